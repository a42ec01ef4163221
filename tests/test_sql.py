"""The hand-written SQL (accounts/sql.py, leads/sql.py) returns the same rows as the
ORM version of each statement, on seeded demo data (routing: on rules made for it),
and its locking reads lock the rows the ORM's select_for_update(of=...) locks."""

import collections
import datetime
import io
import threading

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.models import ApiToken, BusinessUnit, Team, User
from accounts.services.tokens import create_api_token, revoke_api_token
from accounts.sql import user_access_rows
from leads.models import (
    Distribution,
    Lead,
    LeadAssignment,
    LeadSource,
    LeadState,
    RoutingRule,
    SourceReportDay,
    SourceReportHistogram,
)
from leads.reports.facts import FIGURES, SPANS, figures, with_spans
from leads.reports.summary import refresh_source_summary
from leads.selectors.leads import PRESENCE
from leads.selectors.routing.situation import RuleSet, load_situation
from leads.sql import (
    CANDIDATE_FIELDS,
    business_unit_rows,
    candidate_users,
    latest_routing_detail,
    presence_flags,
    team_rule_rows,
)
from notifications.models import Kind, Notification
from notifications.selectors import BELL_CAP
from tests import factories


@pytest.fixture
def seeded(db, settings):
    # Local days differ from UTC days: the summary's day boundaries are tested too.
    settings.TIME_ZONE = "America/Los_Angeles"
    call_command("seed_demo", leads=150, seed=3, stdout=io.StringIO())


# --- accounts.sql --------------------------------------------------------------------


def _access_by_orm(user):
    permission = ["content_type__app_label", "codename"]
    own = Permission.objects.filter(user=user).values_list(*permission)
    # One row per group that grants a permission, as the statement's join.
    through_groups = Permission.objects.filter(group__user=user).values_list(
        *permission
    )
    return sorted(
        [
            ("group", name)
            for name in Group.objects.filter(user=user).values_list("name", flat=True)
        ]
        + [
            ("team", str(pk))
            for pk in Team.objects.filter(members=user).values_list("pk", flat=True)
        ]
        + [("perm", f"{app}.{codename}") for app, codename in [*own, *through_groups]]
    )


def test_access_rows_are_the_orms_for_every_seeded_user(seeded):
    someone = User.objects.filter(teams__isnull=False).first()
    assert someone is not None
    someone.user_permissions.add(Permission.objects.get(codename="view_lead"))
    kinds = set()
    for user in User.objects.all():
        rows = sorted(user_access_rows(user.pk, parts=False))
        assert rows == _access_by_orm(user), user.username
        kinds |= {kind for kind, _ in rows}
    assert kinds == {"group", "team", "perm"}


def _parts_by_orm(user):
    now = timezone.now()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    parts = {("unread", str(min(unread.count(), BELL_CAP + 1)))}
    parts |= {("api_token", "1")} if tokens.exists() else set()
    return parts | {
        ("unit", f"{pk}:{'' if parent is None else parent}")
        for pk, parent in BusinessUnit.objects.values_list("pk", "parent_id")
    }


def test_the_parts_read_with_the_access_rows_are_the_orms(seeded, rep, rep2):
    """The bell's count (capped), the API-docs link's token check and the unit
    tree come with the groups in one statement; each equals its ORM reading."""
    create_api_token(user=rep, name="CI", by=rep)
    old, _key = create_api_token(user=rep2, name="Old", by=rep2)
    revoke_api_token(token=old, by=rep2)
    Notification.objects.bulk_create(
        Notification(user=rep, kind=Kind.LEAD_ASSIGNED, text=f"n{n}")
        for n in range(BELL_CAP + 5)
    )
    Notification.objects.create(
        user=rep2, kind=Kind.LEAD_ASSIGNED, text="read", read_at=timezone.now()
    )
    for user in (rep, rep2):
        rows = set(user_access_rows(user.pk))
        parts = {row for row in rows if row[0] not in {"group", "team", "perm"}}
        assert parts == _parts_by_orm(user), user.username
    assert ("unread", str(BELL_CAP + 1)) in user_access_rows(rep.pk)
    assert ("api_token", "1") not in user_access_rows(rep2.pk)


# --- leads.sql: the lead page's presence flags ----------------------------------------


def _presence_by_orm():
    flags = {}
    for name, model, field in PRESENCE:
        rows = model.objects.filter(**{field: OuterRef("pk")})
        if model is StateLog:
            rows = rows.filter(content_type=ContentType.objects.get_for_model(Lead))
        flags[name] = Exists(rows)
    return flags


def test_presence_flags_are_the_orms_on_seeded_leads(seeded):
    names = [name for name, _, _ in PRESENCE]
    by_sql = Lead.objects.annotate(**presence_flags(PRESENCE)).order_by("pk")
    by_orm = Lead.objects.annotate(**_presence_by_orm()).order_by("pk")
    rows = list(by_sql.values(*names))
    assert rows == list(by_orm.values(*names))
    # Seeded leads have timelines and interests, and some have none.
    for name in ("has_activities", "has_notes", "has_interests"):
        assert {row[name] for row in rows} == {True, False}, name


def test_latest_routing_detail_is_the_orms_newest_log_row(db):
    twice = factories.LeadFactory()
    factories.LeadAssignmentFactory(lead=twice, detail="first decision")
    factories.LeadAssignmentFactory(lead=twice, detail="second decision")
    once = factories.LeadAssignmentFactory(detail="only decision").lead
    never = factories.LeadFactory()
    newest = LeadAssignment.objects.filter(lead=OuterRef("pk")).order_by("-id")
    by_orm = Lead.objects.annotate(latest=Subquery(newest.values("detail")[:1]))
    by_sql = Lead.objects.annotate(latest=latest_routing_detail())
    expected = dict(by_orm.values_list("pk", "latest"))
    assert dict(by_sql.values_list("pk", "latest")) == expected
    assert expected[twice.pk] == "second decision"
    assert expected[once.pk] == "only decision"
    assert expected[never.pk] is None


# --- leads.sql: routing ----------------------------------------------------------------


def _routing_rules(org, settings):
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


def test_business_unit_rows_are_the_orms(org, direct_writes):
    org.north.default_owner = factories.UserFactory(business_unit=org.north)
    org.north.save()
    rows = BusinessUnit.objects.values_list(
        "pk", "parent_id", "default_owner_id", "name"
    )
    assert sorted(business_unit_rows()) == sorted(rows)
    ruleset = RuleSet.load(rules=[])
    assert ruleset.parents == {pk: parent for pk, parent, _, _ in rows}
    assert ruleset.default_owners == {pk: owner for pk, _, owner, _ in rows}
    assert ruleset.unit_names == {pk: name for pk, _, _, name in rows}
    assert ruleset.rules == []


def test_team_rule_rows_are_the_orms_locked_or_not(org, settings, direct_writes):
    """A row per member with the rule's cursor; a team without members, one row."""
    rules = _routing_rules(org, settings)
    empty = factories.TeamFactory(business_unit=org.north, members=[])
    rules.append(factories.RoutingRuleFactory(target_user=None, target_team=empty))
    ids = [rule.pk for rule in rules if rule.target_team_id]
    by_orm = RoutingRule.objects.filter(pk__in=ids).values_list(
        "pk", "last_assigned_user_id", "target_team__members"
    )
    expected = collections.Counter(by_orm)
    assert (rules[-1].pk, None, None) in expected
    with transaction.atomic():
        assert collections.Counter(team_rule_rows(ids, lock=True)) == expected
    assert collections.Counter(team_rule_rows(ids, lock=False)) == expected


def test_candidate_users_are_the_orms(org, settings, direct_writes):
    """By id, by username, or both: the same users in id order, with the fields
    routing reads."""
    _routing_rules(org, settings)
    ids = set(User.objects.exclude(username="sam").values_list("pk", flat=True)[:4])
    for wanted, username in [(ids, "sam"), (ids, ""), (set(), "sam"), (ids, "nobody")]:
        by_orm = User.objects.filter(
            Q(pk__in=wanted) | Q(username=username or None)
        ).order_by("pk")
        for lock in (True, False):
            with transaction.atomic():
                read = candidate_users(wanted, username=username, lock=lock)
            assert list(read) == [user.pk for user in by_orm]
            for user in by_orm:
                assert [getattr(read[user.pk], name) for name in CANDIDATE_FIELDS] == [
                    getattr(user, name) for name in CANDIDATE_FIELDS
                ]
    assert candidate_users(set(), username="", lock=False) == {}


def test_locked_situation_reads_what_the_orm_reads(org, settings, direct_writes):
    rules = _routing_rules(org, settings)
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
        assert [getattr(read, name) for name in CANDIDATE_FIELDS] == [
            getattr(user, name) for name in CANDIDATE_FIELDS
        ]
    assert locked.fallback_owner_id == User.objects.get(username="sam").pk
    north = members[rules[1].target_team_id]
    # Counted: the capped user and the least-loaded team (open leads only).
    assert locked.loads == {rules[2].target_user_id: 2, north[0]: 1}


def test_one_builder_reads_the_same_locked_or_not(org, settings, direct_writes):
    """The locked situation (leads.sql) and the dry run's (the members through the
    ORM, the cursors from the rules given) agree."""
    rules = _routing_rules(org, settings)
    ruleset = RuleSet.load()
    with transaction.atomic():
        locked = load_situation(ruleset=ruleset, rules=rules, lock=True)
    unlocked = load_situation(ruleset=ruleset, rules=rules)
    assert set(locked.users) == set(unlocked.users)
    for name in ("team_members", "cursors", "loads", "fallback_owner_id", "labels"):
        assert getattr(locked, name) == getattr(unlocked, name), name


def _rows_locked_by(read, probes) -> dict:
    """{name: "locked" or "free"} for each (name, queryset) of `probes`, tried with
    NOWAIT from another connection while `read()` holds its transaction open."""
    outcome = {}

    def other_session():
        try:
            for name, rows in probes:
                try:
                    with transaction.atomic():
                        list(rows.select_for_update(nowait=True))
                    outcome[name] = "free"
                except DatabaseError:
                    outcome[name] = "locked"
        finally:
            connections.close_all()

    with transaction.atomic():
        read()
        thread = threading.Thread(target=other_session)
        thread.start()
        thread.join(timeout=30)
    return outcome


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
)
def test_routing_locks_are_the_rows_the_orms_select_for_update_locks():
    """The turn: the rule's row, not its team's or the membership rows; the
    candidates: their own rows, no one else's (leads.services.locks)."""
    unit = factories.BusinessUnitFactory(name="North")
    ann, bob, cat = [
        factories.UserFactory(username=name, business_unit=unit)
        for name in ("ann", "bob", "cat")
    ]
    team = factories.TeamFactory(business_unit=unit, members=[ann, bob])
    rule = factories.RoutingRuleFactory(target_user=None, target_team=team)
    other = factories.RoutingRuleFactory(target_user=cat)
    probes = [
        ("rule", RoutingRule.objects.filter(pk=rule.pk)),
        ("other rule", RoutingRule.objects.filter(pk=other.pk)),
        ("team", Team.objects.filter(pk=team.pk)),
        ("membership", Team.members.through.objects.filter(team=team)),
        ("ann", User.objects.filter(pk=ann.pk)),
        ("bob", User.objects.filter(pk=bob.pk)),
        ("cat", User.objects.filter(pk=cat.pk)),
    ]
    locked_rows = _rows_locked_by(
        lambda: (
            team_rule_rows([rule.pk], lock=True),
            candidate_users({ann.pk}, username="bob", lock=True),
        ),
        probes,
    )
    by_orm = _rows_locked_by(
        lambda: (
            list(
                RoutingRule.objects.filter(pk=rule.pk)
                .values_list("pk", "last_assigned_user_id", "target_team__members")
                .select_for_update(of=("self",))
            ),
            list(
                User.objects.filter(Q(pk=ann.pk) | Q(username="bob"))
                .order_by("pk")
                .select_for_update(of=("self",))
            ),
        ),
        probes,
    )
    assert locked_rows == by_orm
    assert {name for name, state in locked_rows.items() if state == "locked"} == {
        "rule",
        "ann",
        "bob",
    }


# --- leads.sql: the source report's summary -------------------------------------------

KEY_COLUMNS = [
    "source",
    "campaign_id",
    "business_unit_id",
    "owner_user_id",
    "owner_team_id",
]


def _by_orm(period, *, span=None, **values):
    """Rows computed by the ORM straight from the leads, grouped by `period` (an
    expression over created_at) and the summary key (0 for none), with `values`;
    only leads that have `span` when given."""
    leads = with_spans(Lead.objects.order_by())
    if span:
        leads = leads.filter(**{f"{span}__isnull": False})
    keys = {
        f"k_{column}": Coalesce(column, 0, output_field=IntegerField())
        for column in KEY_COLUMNS
    }
    return leads.values(period=period, **keys, **values)


def _periods():
    zone = timezone.get_current_timezone()
    return [
        (SourceReportDay.DAY, TruncDate("created_at", tzinfo=zone)),
        *(
            (level, Trunc("created_at", kind, output_field=DateField(), tzinfo=zone))
            for level, kind in [
                (SourceReportDay.MONTH, "month"),
                (SourceReportDay.YEAR, "year"),
            ]
        ),
    ]


def _rows(dicts, columns):
    return sorted(tuple(row[name] for name in columns) for row in dicts)


def assert_summary_is_the_orms():
    refresh_source_summary()
    keys = [f"k_{column}" for column in KEY_COLUMNS]
    for level, period in _periods():
        stored = SourceReportDay.objects.filter(level=level)
        expected = _by_orm(period).annotate(**figures())
        assert _rows(stored.values(), ["period", *KEY_COLUMNS, *FIGURES]) == _rows(
            expected, ["period", *keys, *FIGURES]
        ), level
        for metric, span in SPANS:
            stored = SourceReportHistogram.objects.filter(level=level, metric=metric)
            expected = _by_orm(period, span=span, bucket=F(span)).annotate(
                count=Count("pk")
            )
            assert _rows(
                stored.values(), ["period", *KEY_COLUMNS, "bucket", "count"]
            ) == _rows(expected, ["period", *keys, "bucket", "count"]), (level, span)


def test_summary_rows_are_the_orms_on_seeded_leads(seeded, direct_writes):
    """Day, month and year rows and their histograms, after the seed and after
    changes that move leads between keys and days, or remove them."""
    assert_summary_is_the_orms()
    assert SourceReportDay.objects.filter(level=SourceReportDay.YEAR).exists()
    # Owned by users: the second one's owner changes (a team-owned lead would
    # then have both owners).
    leads = list(
        Lead.objects.filter(state=LeadState.OPEN, owner_team__isnull=True).order_by(
            "pk"
        )[:6]
    )
    other_owner = User.objects.exclude(pk=leads[1].owner_user_id).first()
    # Around the services, as an import or a fix in the shell would: the triggers
    # mark the days all the same.
    Lead.objects.filter(pk=leads[0].pk).update(source=LeadSource.TRADE_SHOW)
    Lead.objects.filter(pk=leads[1].pk).update(owner_user=other_owner)
    Lead.objects.filter(pk=leads[2].pk).update(created_at=leads[3].created_at)
    Lead.objects.filter(pk=leads[4].pk).delete()
    assert_summary_is_the_orms()


# --- webhooks.sql ----------------------------------------------------------------------


@pytest.mark.parametrize("queued", ["none", "ready", "deferred", "running"])
def test_insert_event_stores_the_row_and_answers_what_the_orm_would(
    db, settings, queued
):
    from django_tasks_db.models import DBTaskResult

    from webhooks.models import Event
    from webhooks.sql import insert_event
    from webhooks.tasks import deliver_webhooks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    if queued != "none":
        deliver_webhooks.using(
            run_after=timezone.now() + datetime.timedelta(hours=1)
            if queued == "deferred"
            else None
        ).enqueue()
    if queued == "running":
        DBTaskResult.objects.update(status="RUNNING")
    now = timezone.now()
    values = {
        "message_id": "msg_test",
        "type": "lead.updated",
        "object_type": "leads.lead",
        "object_id": 7,
        "body": '{"type":"lead.updated"}',
        "created_at": now,
    }
    event_id, found = insert_event(
        values=values, pass_task_path=deliver_webhooks.module_path
    )
    assert found == (
        DBTaskResult.objects.ready()
        .filter(task_path=deliver_webhooks.module_path)
        .exists()
    )
    assert found == (queued == "ready")
    stored = Event.objects.values(*values).get(pk=event_id)
    assert stored == values
    assert Event.objects.get(pk=event_id).dispatched_at is None
