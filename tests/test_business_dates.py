"""Dates stay within the business range, 1900–2200: forms and filters refuse others
as a field error, the database refuses them from any write, the migrations that added
its checks clamped the values stored before, and the furthest dates it accepts break
no page in any time zone."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Opportunity, User
from leads.models import Activity, ActivityKind, Campaign, Lead
from leadsite.core.dates import (
    DATETIME_MAX,
    DATETIME_MIN,
    RANGE_MESSAGE,
    validate_business_date,
)
from leadsite.core.validation import refusal_for
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def _post_task(client, lead, due):
    return client.post(
        reverse("leads:add-activity", args=["lead", lead.pk]),
        {"kind": ActivityKind.TASK, "subject": "Call back", "due_at": due},
        follow=True,
    )


# --- forms and filters ------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, due",
    [("America/New_York", "9999-12-31T23:59"), ("Asia/Tokyo", "0001-01-01T00:00")],
)
def test_task_due_outside_business_range_is_refused(
    settings, rep_client, rep, zone, due
):
    settings.TIME_ZONE = zone
    lead = factories.LeadFactory(owner_user=rep)
    response = _post_task(rep_client, lead, due)
    assert response.status_code == 200
    assert "between 1900 and 2200" in response.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "zone, due",
    [("Asia/Tokyo", "1900-01-01T00:00"), ("Pacific/Pago_Pago", "2200-12-31T23:59")],
)
def test_task_due_on_the_edges_is_saved_in_any_time_zone(
    settings, rep_client, rep, zone, due
):
    """The database's check leaves a day of slack in UTC, so it accepts whatever the
    form accepts east of UTC (the first day) or west of it (the last)."""
    settings.TIME_ZONE = zone
    lead = factories.LeadFactory(owner_user=rep)
    response = _post_task(rep_client, lead, due)
    assert response.status_code == 200
    assert Activity.objects.get().due_at is not None


def test_lead_close_date_outside_business_range_is_a_field_error(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    data = {"subject": lead.subject, "last_name": lead.last_name}
    for value in ("9999-12-31", "1899-12-31"):
        response = rep_client.post(
            reverse("leads:edit", args=[lead.pk]),
            {**data, "estimated_close_date": value},
        )
        assert response.status_code == 200
        assert "between 1900 and 2200" in response.content.decode()
    lead.refresh_from_db()
    assert lead.estimated_close_date is None


def test_opportunity_close_date_outside_business_range_is_a_field_error(
    rep_client, rep
):
    account = factories.AccountFactory(owner_user=rep)
    response = rep_client.post(
        reverse("accounts:opportunity-create"),
        {
            "name": "Big deal",
            "account": account.pk,
            "estimated_close_date": "9999-12-31",
        },
    )
    assert response.status_code == 200
    assert "between 1900 and 2200" in response.content.decode()
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    "url, params",
    [
        ("leads:list", {"created_before": "9999-12-31", "close_after": "0001-01-01"}),
        ("leads:list", {"created_after": "0001-01-01", "close_before": "9999-12-31"}),
        ("accounts:opportunity-list", {"close_before": "9999-12-31"}),
        ("accounts:opportunity-list", {"close_after": "0001-01-01"}),
    ],
)
def test_list_filters_with_extreme_dates_answer(settings, rep_client, rep, url, params):
    settings.TIME_ZONE = "Asia/Tokyo"
    factories.LeadFactory(owner_user=rep)
    response = rep_client.get(reverse(url), params)
    assert response.status_code == 200
    assert "between 1900 and 2200" in response.content.decode()


# --- the database -------------------------------------------------------------------

# (model, field, a value just outside the range on either side)
OUTSIDE = [
    (Lead, "estimated_close_date", datetime.date(1899, 12, 31)),
    (Lead, "created_at", datetime.datetime(2201, 1, 2, tzinfo=UTC)),
    (Campaign, "start_date", datetime.date(1, 1, 1)),
    (Campaign, "end_date", datetime.date(2201, 1, 1)),
    (Activity, "due_at", datetime.datetime(9999, 12, 31, tzinfo=UTC)),
    (Activity, "start_at", datetime.datetime(1899, 12, 30, 23, 59, tzinfo=UTC)),
    (Activity, "end_at", datetime.datetime(2201, 1, 2, tzinfo=UTC)),
    (Opportunity, "estimated_close_date", datetime.date(9999, 12, 31)),
    (Opportunity, "actual_close_date", datetime.date(1899, 12, 31)),
    (User, "unavailable_until", datetime.date(2201, 1, 1)),
]


@pytest.fixture
def one_of_each(rep):
    lead = factories.LeadFactory(owner_user=rep)
    return {
        Lead: lead,
        Campaign: factories.CampaignFactory(),
        Activity: factories.ActivityFactory(lead=lead, owner=rep),
        Opportunity: factories.OpportunityFactory(owner_user=rep),
        User: rep,
    }


@pytest.mark.parametrize(
    "model, field, value", OUTSIDE, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_database_refuses_a_date_outside_the_range(one_of_each, model, field, value):
    """A write around validation (an update, a script) is refused, and the refusal
    reads as the field's message."""
    row = one_of_each[model]
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: value})
    assert refusal_for(raised.value).message_dict == {field: [RANGE_MESSAGE]}


def test_validation_puts_the_range_beside_a_field_without_a_validator(rep):
    """A user's "away until" and a lead's creation time carry no validator of their
    own: their check decides in Python before a save, without asking the
    database."""
    rep.unavailable_until = datetime.date(9999, 12, 31)
    with pytest.raises(ValidationError) as raised:
        rep.full_clean()
    assert raised.value.message_dict == {"unavailable_until": [RANGE_MESSAGE]}
    lead = factories.LeadFactory.build(
        owner_user=rep,
        business_unit=rep.business_unit,
        created_at=datetime.datetime(1, 1, 1, tzinfo=UTC),
    )
    (check,) = [
        c for c in Lead._meta.constraints if c.name == "lead_created_at_in_range"
    ]
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(ValidationError) as raised,
    ):
        check.validate(Lead, lead)
    assert raised.value.message_dict == {"created_at": [RANGE_MESSAGE]}
    assert queries.captured_queries == []


def test_database_refuses_a_date_python_cannot_even_hold(one_of_each):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores what Python wrote")
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE leads_activity SET due_at = '10000-01-01 04:59:00+00' "
                "WHERE id = %s",
                [one_of_each[Activity].pk],
            )


def test_every_validated_date_has_its_database_check():
    """A date field held to the range by its validator is held by a CHECK too."""
    missing = []
    for model in [*apps.get_app_config("leads").get_models()] + [
        *apps.get_app_config("accounts").get_models()
    ]:
        names = {constraint.name for constraint in model._meta.constraints}
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.DateField)
                and validate_business_date in field.validators
                and not model.__name__.startswith("Historical")
            ):
                expected = f"{model._meta.model_name}_{field.name}_in_range"
                if expected not in names:
                    missing.append(expected)
    assert missing == []


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo", "UTC"])
@pytest.mark.parametrize(
    "due",
    [DATETIME_MIN, DATETIME_MAX - datetime.timedelta(microseconds=1)],
    ids=["earliest", "latest"],
)
def test_furthest_dates_stored_break_no_page(
    settings, client, administrator, zone, due
):
    settings.TIME_ZONE = zone
    lead = factories.LeadFactory(owner_user=administrator)
    activity = factories.ActivityFactory(
        lead=lead, owner=administrator, kind=ActivityKind.TASK, direction=""
    )
    Activity.objects.filter(pk=activity.pk).update(due_at=due)
    client.force_login(administrator)
    pages = [
        reverse("leads:detail", args=[lead.pk]),
        reverse("leads:home"),
        reverse("admin:leads_activity_changelist"),
        reverse("admin:leads_activity_change", args=[activity.pk]),
        reverse("admin:leads_lead_change", args=[lead.pk]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page
    cancel = client.post(reverse("leads:cancel-activity", args=[activity.pk]))
    assert cancel.status_code == 302
    assert Lead.objects.filter(pk=lead.pk).exists()


# --- the data fix -------------------------------------------------------------------

BEFORE = [("accounts", "0001_initial"), ("leads", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Unapplies every migration after the apps' first and applies them again: minutes
# on PostgreSQL (about 3 alone, 8 beside the other tests on a busy machine).
@pytest.mark.timeout(1800)
@pytest.mark.django_db(transaction=True)
def test_the_migrations_clamp_dates_stored_outside_the_range():
    old = _migrate(BEFORE)
    unit = old.get_model("accounts", "BusinessUnit").objects.create(name="North")
    user = old.get_model("accounts", "User").objects.create(
        username="owner",
        business_unit=unit,
        unavailable_until=datetime.date(9999, 12, 31),
    )
    account = old.get_model("accounts", "Account").objects.create(
        name="Fabrikam", owner_user=user, business_unit=unit
    )
    opportunity = old.get_model("accounts", "Opportunity").objects.create(
        name="Deal",
        account=account,
        owner_user=user,
        business_unit=unit,
        estimated_close_date=datetime.date(1, 1, 1),
    )
    campaign = old.get_model("leads", "Campaign").objects.create(
        name="Spring",
        start_date=datetime.date(1, 1, 1),
        end_date=datetime.date(9999, 12, 31),
    )
    lead = old.get_model("leads", "Lead").objects.create(
        subject="S",
        last_name="L",
        owner_user=user,
        business_unit=unit,
        created_at=datetime.datetime(1, 1, 1, tzinfo=UTC),
        estimated_close_date=datetime.date(9999, 12, 31),
    )
    activity = old.get_model("leads", "Activity").objects.create(
        kind="appointment",
        subject="Demo",
        owner=user,
        lead=lead,
        start_at=datetime.datetime(1, 1, 1, tzinfo=UTC),
        end_at=datetime.datetime(9999, 12, 31, tzinfo=UTC),
    )
    if connection.vendor == "postgresql":  # beyond Python's range: only SQL can
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE leads_activity SET due_at = '10000-01-01 04:59:00+00' "
                "WHERE id = %s",
                [activity.pk],
            )
    try:
        _migrate(_leaves())
        noon_first = datetime.datetime(1900, 1, 1, 12, tzinfo=UTC)
        noon_last = datetime.datetime(2200, 12, 31, 12, tzinfo=UTC)
        first, last = datetime.date(1900, 1, 1), datetime.date(2200, 12, 31)
        assert User.objects.get(pk=user.pk).unavailable_until == last
        assert Opportunity.objects.get(pk=opportunity.pk).estimated_close_date == first
        assert Campaign.objects.values_list("start_date", "end_date").get(
            pk=campaign.pk
        ) == (first, last)
        fixed = Lead.objects.get(pk=lead.pk)
        assert (fixed.created_at, fixed.estimated_close_date) == (noon_first, last)
        fixed = Activity.objects.get(pk=activity.pk)
        assert (fixed.start_at, fixed.end_at) == (noon_first, noon_last)
        if connection.vendor == "postgresql":
            assert fixed.due_at == noon_last
    finally:
        _migrate(_leaves())


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
