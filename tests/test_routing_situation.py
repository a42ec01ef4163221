"""What a routing decision reads (leads.selectors.routing_situation): one builder
for the routing service (locking), the dry run and the preview; its hand-written
statements return what the ORM returns. And the engine's own boundaries: it
imports no models, and a rule's fields are listed once."""

import subprocess
import sys

from django.conf import settings as django_settings
from django.contrib.admin.utils import flatten_fieldsets
from django.db import transaction

from accounts.models import BusinessUnit, Industry, Team, User
from leads.admin.routing import RoutingRuleAdmin
from leads.forms.routing import RoutingRuleForm
from leads.models import Distribution, LeadRating, LeadSource
from leads.routing.conditions import FIELDS
from leads.selectors.routing_situation import (
    USER_FIELDS,
    RuleSet,
    load_situation,
)
from leads.services.routing import RULE_FIELDS
from tests import factories


def test_rule_set_reads_the_unit_tree_the_orm_reads(org, direct_writes):
    org.north.default_owner = factories.UserFactory(business_unit=org.north)
    org.north.save()
    ruleset = RuleSet.load(rules=[])
    rows = BusinessUnit.objects.values_list(
        "pk", "parent_id", "default_owner_id", "name"
    )
    assert ruleset.parents == {pk: parent for pk, parent, _, _ in rows}
    assert ruleset.default_owners == {pk: owner for pk, _, owner, _ in rows}
    assert ruleset.unit_names == {pk: name for pk, _, _, name in rows}
    assert ruleset.rules == []


def _rules(org, settings):
    """A round-robin team rule (its turn moved), a least-loaded team rule, a user
    rule of a unit, unit default owners and the fallback owner setting."""
    south = [factories.UserFactory(business_unit=org.south) for _ in range(3)]
    north = [factories.UserFactory(business_unit=org.north) for _ in range(2)]
    south_team = factories.TeamFactory(business_unit=org.south, members=south)
    north_team = factories.TeamFactory(business_unit=org.north, members=north)
    capped = factories.UserFactory(business_unit=org.north, lead_capacity=5)
    factories.LeadFactory.create_batch(2, owner_user=capped)
    factories.LeadFactory(owner_user=north[0])
    factories.LeadFactory(owner_user=north[1], disqualified=True)
    boss = factories.UserFactory(username="boss", business_unit=org.root)
    org.root.default_owner = boss
    org.root.save()
    factories.UserFactory(username="sam", business_unit=org.south)
    settings.LEADSITE_FALLBACK_OWNER = "sam"
    return [
        factories.RoutingRuleFactory(
            target_user=None, target_team=south_team, last_assigned_user=south[1]
        ),
        factories.RoutingRuleFactory(
            target_user=None,
            target_team=north_team,
            distribution=Distribution.LEAST_LOADED,
        ),
        factories.RoutingRuleFactory(target_user=capped, business_unit=org.north),
    ]


def test_locked_situation_reads_what_the_orm_reads(org, settings, direct_writes):
    rules = _rules(org, settings)
    ruleset = RuleSet.load()
    with transaction.atomic():
        locked = load_situation(
            ruleset=ruleset, rules=rules, unit_ids=[org.south.pk], lock=True
        )
    members = {
        rule.target_team_id: sorted(
            Team.objects.get(pk=rule.target_team_id).members.values_list(
                "pk", flat=True
            )
        )
        for rule in rules[:2]
    }
    assert locked.team_members == members
    assert locked.cursors == {rules[0].pk: rules[0].last_assigned_user_id}
    wanted = {pk for ids in members.values() for pk in ids}
    wanted |= {rules[2].target_user_id, org.root.default_owner_id}
    wanted |= {User.objects.get(username="sam").pk}
    assert set(locked.users) == wanted
    for user in User.objects.filter(pk__in=wanted):
        read = locked.users[user.pk]
        assert [getattr(read, name) for name in USER_FIELDS] == [
            getattr(user, name) for name in USER_FIELDS
        ]
    assert locked.fallback_owner_id == User.objects.get(username="sam").pk
    north = members[rules[1].target_team_id]
    # Counted: the capped user and the least-loaded team (open leads only).
    assert locked.loads == {rules[2].target_user_id: 2, north[0]: 1}


def test_one_builder_reads_the_same_locked_or_not(org, settings, direct_writes):
    rules = _rules(org, settings)
    ruleset = RuleSet.load()
    with transaction.atomic():
        locked = load_situation(ruleset=ruleset, rules=rules, lock=True)
    unlocked = load_situation(ruleset=ruleset, rules=rules)
    assert set(locked.users) == set(unlocked.users)
    for name in ("team_members", "cursors", "loads", "fallback_owner_id", "labels"):
        assert getattr(locked, name) == getattr(unlocked, name), name


def test_condition_choices_are_the_lead_fields_choices():
    assert FIELDS["source"].choices == tuple(LeadSource.choices)
    assert FIELDS["industry"].choices == tuple(Industry.choices)
    assert FIELDS["rating"].choices == tuple(LeadRating.choices)
    assert FIELDS["country"].choices == ()


def test_routing_engine_imports_no_models():
    """The rule model imports the engine's conditions: the engine may import none."""
    code = (
        "import sys, leads.routing.decision; "
        "print(sorted(m for m in sys.modules if m.startswith(('leads.', 'accounts'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "leads.models" not in loaded and "accounts" not in loaded
    assert "leads.routing.conditions" in loaded


def test_rule_form_admin_and_service_edit_the_same_rule_fields():
    assert tuple(RoutingRuleForm._meta.fields) == RULE_FIELDS
    admin_fields = flatten_fieldsets(RoutingRuleAdmin.fieldsets)
    assert admin_fields == [*RULE_FIELDS[:5], "conditions", *RULE_FIELDS[5:]] + [
        "last_assigned_user"
    ]
