"""Routing's hand-written SQL (leads/sql_routing.py, and the routing notification's
insert, notifications/services/told.py) returns or writes what the ORM version of
each statement does (the older statements' tests are in tests/test_sql.py)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import BusinessUnit
from leads.exceptions import TransitionRefused
from leads.models import (
    AssignmentTrigger,
    Distribution,
    Lead,
    LeadRating,
    LeadScore,
    RoutingRule,
)
from leads.selectors.routing.situation import RuleSet
from leads.selectors.scoring import lead_pairs
from leads.services.locks import lock_lead
from leads.services.routing import _lock_with_pairs, route_lead
from leads.services.scoring import rebuild_scores, request_rebuild, score_leads
from leads.sql_routing import active_rules_and_units, business_unit_rows
from notifications.models import Channel, Kind, Notification, NotificationPreference
from notifications.services.delivery import Message, message_text, notify
from tests import factories


def _field_values(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.fields}


def test_active_rules_and_units_are_the_orms(org, direct_writes):
    """The active rules (every column, their teams loaded) and the unit tree,
    inactive rules left out, conditions as the JSON field reads them."""
    team = factories.TeamFactory(business_unit=org.south, members=[])
    user = factories.UserFactory(business_unit=org.north)
    org.north.default_owner = user
    org.north.save()
    factories.RoutingRuleFactory(
        target_user=None,
        target_team=team,
        distribution=Distribution.ROUND_ROBIN,
        last_assigned_user=user,
        business_unit=org.south,
        conditions=[{"field": "country", "op": "equals", "value": "Ireland"}],
        reroute_after_hours=4,
    )
    factories.RoutingRuleFactory(target_user=user, order=7)
    factories.RoutingRuleFactory(target_user=user, is_active=False)

    rules, units = active_rules_and_units()

    by_orm = RoutingRule.objects.filter(is_active=True).select_related("target_team")
    assert {r.pk: _field_values(r) for r in rules} == {
        r.pk: _field_values(r) for r in by_orm
    }
    teams = {r.pk: r.target_team for r in by_orm}
    for rule in rules:
        assert not rule._state.adding
        if teams[rule.pk] is None:
            assert rule.target_team is None
        else:
            assert _field_values(rule.target_team) == _field_values(teams[rule.pk])
    assert sorted(units) == sorted(business_unit_rows())
    assert sorted(units) == sorted(
        BusinessUnit.objects.values_list("pk", "parent_id", "default_owner_id", "name")
    )


def test_rule_set_loads_in_one_statement(org, direct_writes, django_assert_num_queries):
    factories.RoutingRuleFactory(
        target_user=factories.UserFactory(business_unit=org.north)
    )
    with django_assert_num_queries(1):
        ruleset = RuleSet.load()
        [rule] = ruleset.rules
        assert rule.target_team is None
    assert set(ruleset.parents) == {org.root.pk, org.north.pk, org.south.pk}


def test_no_rules_still_reads_the_units(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        rules, units = active_rules_and_units()
    assert rules == []
    assert len(units) == 3


# --- notifications/services/told.py: the routing notification's insert -------------


def _written(ids_before):
    fields = [f.attname for f in Notification._meta.fields if f.attname != "id"]
    rows = Notification.objects.exclude(pk__in=ids_before).order_by("pk")
    return [tuple(getattr(row, name) for name in fields) for row in rows]


def test_one_statement_notify_writes_the_rows_notify_writes(
    org, direct_writes, django_assert_num_queries
):
    """Each channel (none chosen, in the app, email, digest, off) and a recipient
    in another language and zone: the same rows and the same count to email."""
    users = [factories.UserFactory(business_unit=org.north) for _ in range(5)]
    users[4].language, users[4].time_zone = "de", "Europe/Berlin"
    users[4].save()
    kind = Kind.LEAD_ASSIGNED
    for user, channel in zip(
        users[1:4], [Channel.IN_APP, Channel.EMAIL, Channel.DIGEST], strict=True
    ):
        NotificationPreference.objects.create(user=user, kind=kind, channel=channel)
    NotificationPreference.objects.create(
        user=users[0], kind=Kind.LEAD_REASSIGNED, channel=Channel.OFF
    )
    off = factories.UserFactory(business_unit=org.north)
    NotificationPreference.objects.create(user=off, kind=kind, channel=Channel.OFF)
    lead = factories.LeadFactory(business_unit=org.north)
    actor = factories.UserFactory(business_unit=org.north)
    now = timezone.now() - datetime.timedelta(minutes=5)

    def messages():
        return [
            Message(
                user_id=user.pk,
                kind=kind,
                text=message_text(
                    "lead_assigned",
                    lead=lead,
                    trigger="form",
                    trigger_label="form",
                    rerouted=False,
                    rule=None,
                    new_owner=lambda user=user: user,
                ),
                target=lead,
                actor_id=actor.pk,
            )
            for user in [*users, off, actor]
        ] + [Message(user_id=users[0].pk, kind=Kind.LEAD_REASSIGNED, text="gone")]

    before = list(Notification.objects.values_list("pk", flat=True))
    two_way = notify(messages(), now=now)
    by_orm = _written(before)
    Notification.objects.exclude(pk__in=before).delete()
    locales = {u.pk: (u.language, u.time_zone) for u in [*users, off, actor]}
    with django_assert_num_queries(1):
        one_way = notify(messages(), now=now, locales=locales)
    assert _written(before) == by_orm
    assert one_way == two_way == 1
    assert len(by_orm) == 5


def test_notify_reads_recipients_it_was_not_given(org, django_assert_num_queries):
    user, other = factories.UserFactory(), factories.UserFactory()
    messages = [
        Message(user_id=pk, kind=Kind.LEAD_ASSIGNED, text="x")
        for pk in (user.pk, other.pk)
    ]
    with django_assert_num_queries(2):
        notify(messages, locales={user.pk: ("", "")})
    assert Notification.objects.filter(text="x").count() == 2


def test_routing_tells_the_new_owner_without_reading_them_again(org, direct_writes):
    """The owner's language and zone come with the candidate users: the
    notification is one statement, written in the owner's language."""
    owner = factories.UserFactory(
        business_unit=org.north, language="de", time_zone="Europe/Berlin"
    )
    factories.RoutingRuleFactory(target_user=owner)
    by = factories.UserFactory(business_unit=org.north)
    lead = factories.LeadFactory(business_unit=org.north, owner_user=by)
    with CaptureQueriesContext(connection) as ctx:
        entry = route_lead(lead=lead, by=by)
    assert entry.assigned_user == owner
    told = [q["sql"] for q in ctx.captured_queries if "notifications_" in q["sql"]]
    assert len(told) == 1
    [row] = Notification.objects.filter(user=owner)
    assert row.kind == Kind.LEAD_ASSIGNED
    assert row.actor_id == by.pk
    assert row.text == message_text(
        "lead_assigned",
        lead=entry.lead,
        trigger="form",
        trigger_label=AssignmentTrigger.FORM.label,
        rerouted=False,
        rule=None,
        new_owner=lambda: owner,
    ).render("de", "Europe/Berlin")


# --- leads.services.routing: the lock that reads the scoring pairs too -------------


def _lead_values(lead):
    return {f.attname: getattr(lead, f.attname) for f in Lead._meta.concrete_fields}


def test_routing_lock_reads_the_lead_and_its_pairs_as_the_orm(org, administrator):
    """Every column as lock_lead reads it, nothing deferred, and the pairs
    lead_pairs reads at the same time (an open lead's pending engagement left out,
    a closed lead's kept)."""
    now = timezone.now()
    day = datetime.timedelta(days=1)
    leads = [
        factories.LeadFactory(owner_user=administrator),
        factories.LeadFactory(
            owner_user=administrator,
            created_at=now - 10 * day,
            first_activity_at=now - 10 * day + datetime.timedelta(hours=3),
            rating=LeadRating.HOT,
            decision_maker=True,
            number_of_employees=400,
            estimated_value=Decimal("300000"),
            country="Germany",
        ),
        factories.LeadFactory(
            owner_user=administrator, business_phone="12", email="", industry=None
        ),
        factories.LeadFactory(owner_user=administrator, disqualified=True),
    ]
    for lead in leads:
        with transaction.atomic():
            locked, (pairs, read_at) = _lock_with_pairs(lead.pk)
            by_orm = lock_lead(lead.pk, related=())
        assert _lead_values(locked) == _lead_values(by_orm)
        assert locked.get_deferred_fields() == set()
        assert not hasattr(locked, "feature_source")
        [(_, _, expected)] = lead_pairs(Lead.objects.filter(pk=lead.pk), read_at)
        assert pairs == expected
    with transaction.atomic(), pytest.raises(TransitionRefused):
        _lock_with_pairs(10**12)


def test_a_lead_routed_to_another_unit_is_rescored_in_one_statement(org, administrator):
    """The score routing writes is the one score_leads writes at the time the
    pairs were read, and scoring it takes one statement (the upsert)."""
    south_rep = factories.UserFactory(business_unit=org.south)
    for qualified in (True, False):
        factories.LeadFactory.create_batch(
            100, owner_user=south_rep, qualified=qualified, disqualified=not qualified
        )
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)
    factories.RoutingRuleFactory(target_user=south_rep)
    lead = factories.LeadFactory(owner_user=administrator, business_unit=org.north)
    score_leads([lead.pk])
    with CaptureQueriesContext(connection) as ctx:
        route_lead(lead=lead, by=administrator)
    scored = [q for q in ctx.captured_queries if "leads_leadscore" in q["sql"]]
    assert len(scored) == 1
    row = LeadScore.objects.get(lead=lead)
    assert row.scope == "unit"
    routed = (row.model_score, row.score, row.scope, row.factors)
    score_leads([lead.pk], now=row.scored_at)
    row.refresh_from_db()
    assert (row.model_score, row.score, row.scope, row.factors) == routed
