"""The hand-written SQL (accounts/sql.py, leads/sql.py) returns the same rows as the
ORM version of each statement, on seeded demo data."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Count, DateField, Exists, F, IntegerField, OuterRef
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.models import Team, User
from accounts.sql import user_access_rows
from leads.models import (
    Lead,
    LeadSource,
    LeadState,
    SourceReportDay,
    SourceReportHistogram,
)
from leads.reports.facts import FIGURES, SPANS, figures, with_spans
from leads.reports.summary import refresh_source_summary
from leads.selectors.leads import PRESENCE
from leads.sql import presence_flags


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
        rows = sorted(user_access_rows(user.pk))
        assert rows == _access_by_orm(user), user.username
        kinds |= {kind for kind, _ in rows}
    assert kinds == {"group", "team", "perm"}


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
    leads = list(Lead.objects.filter(state=LeadState.OPEN).order_by("pk")[:6])
    other_owner = User.objects.exclude(pk=leads[1].owner_user_id).first()
    # Around the services, as an import or a fix in the shell would: the triggers
    # mark the days all the same.
    Lead.objects.filter(pk=leads[0].pk).update(source=LeadSource.TRADE_SHOW)
    Lead.objects.filter(pk=leads[1].pk).update(owner_user=other_owner)
    Lead.objects.filter(pk=leads[2].pk).update(created_at=leads[3].created_at)
    Lead.objects.filter(pk=leads[4].pk).delete()
    assert_summary_is_the_orms()
