"""Migration 0004_h1_routing_conditions turns the old fixed condition columns into
condition rows that mean the same thing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("leads", "0003_search_trigram_indexes"), ("accounts", "0001_initial")]
AFTER = [("leads", "0004_h1_routing_conditions")]


def test_old_rules_become_condition_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    unit = old.get_model("accounts", "BusinessUnit").objects.create(name="North")
    user = old.get_model("accounts", "User").objects.create(
        username="owner", business_unit=unit
    )
    partner = old.get_model("accounts", "Account").objects.create(
        name="Fabrikam", is_partner=True, owner_user=user, business_unit=unit
    )
    Rule = old.get_model("leads", "RoutingRule")
    web = Rule.objects.create(
        name="Web DE",
        source=8,
        country="Germany",
        min_estimated_value=Decimal("50000.00"),
        max_employees=200,
        target_user=user,
    )
    both = Rule.objects.create(
        name="Partner in North",
        business_unit=unit,
        channel_partner=partner,
        lead_business_unit=unit,
        target_user=user,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("leads", "RoutingRule")
    assert new.objects.get(pk=web.pk).conditions == [
        {"field": "source", "op": "equals", "value": 8},
        {"field": "country", "op": "equals", "value": "Germany"},
        {"field": "employees", "op": "lte", "value": 200},
        {"field": "estimated_value", "op": "gte", "value": "50000.00"},
    ]
    migrated = new.objects.get(pk=both.pk)
    assert migrated.business_unit_id == unit.pk and migrated.channel_partner_id is None
    assert migrated.conditions == [
        {"field": "channel_partner", "op": "equals", "value": partner.pk},
        {"field": "business_unit", "op": "equals", "value": unit.pk},
    ]
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
