"""Finding 1 of issue 7: dates outside a business range (1900–2200) are form errors,
and a value already stored outside it never breaks a page."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from leads.models import Activity, ActivityKind, Lead
from tests import factories

pytestmark = pytest.mark.django_db


def _post_task(client, lead, due):
    return client.post(
        reverse("leads:add-activity", args=["lead", lead.pk]),
        {"kind": ActivityKind.TASK, "subject": "Call back", "due_at": due},
        follow=True,
    )


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


# (PostgreSQL text beyond Python's range, the last/first Python datetime on SQLite)
EXTREME = {
    "late": ("10000-01-01 04:59:00+00", datetime.datetime(9999, 12, 31, 23, 59)),
    "early": ("0001-12-31 15:00:00+00 BC", datetime.datetime(1, 1, 1)),
}


def _store_due(activity, which):
    """Write a due date beyond the range straight to the table, as an old row or a
    script would."""
    text, value = EXTREME[which]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE leads_activity SET due_at = %s::timestamptz WHERE id = %s",
                [text, activity.pk],
            )
    else:
        Activity.objects.filter(pk=activity.pk).update(
            due_at=value.replace(tzinfo=datetime.UTC)
        )


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo", "UTC"])
@pytest.mark.parametrize("which", ["late", "early"])
def test_stored_extreme_date_breaks_no_page(
    settings, client, administrator, zone, which
):
    settings.TIME_ZONE = zone
    lead = factories.LeadFactory(owner_user=administrator)
    activity = factories.ActivityFactory(
        lead=lead, owner=administrator, kind=ActivityKind.TASK, direction=""
    )
    _store_due(activity, which)
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
