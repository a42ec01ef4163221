"""The source report's triggers (leads migration 0006_source_report_triggers) are all
in the database, and a write of a column the report reads around every service (plain
SQL, a bulk insert) still changes what the report shows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from leads.models import ActivityState, Lead, LeadSource
from leads.reports import source_performance_report
from tests import factories

pytestmark = pytest.mark.django_db

# As leads.models.reports names them.
TRIGGERS = {
    "report_dirty_leads_lead_insert",
    "report_dirty_leads_lead_update",
    "report_dirty_leads_lead_delete",
    "report_dirty_accounts_opportunity_update",
    "report_dirty_accounts_opportunity_delete",
    "report_dirty_leads_activity_insert",
    "report_dirty_leads_activity_update",
    "report_dirty_leads_activity_delete",
    # leads migration 0017_stage_days_summary
    "report_dirty_accounts_stagevisit_insert",
    "report_dirty_accounts_stagevisit_update",
    "report_dirty_accounts_stagevisit_delete",
}


def _installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname LIKE 'report_dirty_%%'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'report_dirty_%'"
            )
        return {name for (name,) in cursor.fetchall()}


def test_every_report_trigger_is_installed():
    assert _installed_triggers() == TRIGGERS


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _report(user):
    """What the report shows (from its summary rows), and the straight computation
    from the leads it must equal."""

    def shown(report):
        rows = [(row.label, dict(row.sums)) for row in report.rows]
        return rows, dict(report.total.sums)

    return (
        shown(source_performance_report(user=user)),
        shown(source_performance_report(user=user, straight=True)),
    )


@pytest.fixture
def qualified_lead(rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep, estimated_value=Decimal("1000.00")
    )
    return factories.LeadFactory(
        owner_user=rep,
        source=LeadSource.WEB,
        qualified=True,
        qualifying_opportunity=opportunity,
    )


# Each takes the qualified lead, sets up what its write needs and returns the write.
def lead_source_updated(lead):
    return lambda: _sql(
        "UPDATE leads_lead SET source = %s WHERE id = %s",
        [LeadSource.PARTNER, lead.pk],
    )


def lead_inserted(lead):
    new = factories.LeadFactory.build(
        owner_user=lead.owner_user,
        business_unit=lead.business_unit,
        source=LeadSource.SEMINAR,
        created_at=lead.created_at - datetime.timedelta(days=3),
    )
    return lambda: Lead.objects.bulk_create([new])


def lead_deleted(lead):
    other = factories.LeadFactory(owner_user=lead.owner_user, source=LeadSource.SEMINAR)
    return lambda: _sql("DELETE FROM leads_lead WHERE id = %s", [other.pk])


def opportunity_value_updated(lead):
    return lambda: _sql(
        "UPDATE accounts_opportunity SET estimated_value = %s WHERE id = %s",
        [Decimal("5000.00"), lead.qualifying_opportunity_id],
    )


def activity_inserted(lead):
    return lambda: factories.ActivityFactory(
        lead=lead, owner=lead.owner_user, completed=True
    )


def activity_completed(lead):
    activity = factories.ActivityFactory(lead=lead, owner=lead.owner_user)
    return lambda: _sql(
        "UPDATE leads_activity SET state = %s, completed_at = %s WHERE id = %s",
        [ActivityState.COMPLETED, timezone.now(), activity.pk],
    )


def activity_deleted(lead):
    activity = factories.ActivityFactory(
        lead=lead, owner=lead.owner_user, completed=True
    )
    return lambda: _sql("DELETE FROM leads_activity WHERE id = %s", [activity.pk])


@pytest.mark.parametrize(
    "prepare",
    [
        lead_source_updated,
        lead_inserted,
        lead_deleted,
        opportunity_value_updated,
        activity_inserted,
        activity_completed,
        activity_deleted,
    ],
    ids=lambda prepare: prepare.__name__,
)
def test_a_write_around_the_services_reaches_the_report(rep, qualified_lead, prepare):
    """Fails when the table written has lost its trigger: the summary then keeps
    showing the numbers from before the write."""
    write = prepare(qualified_lead)
    before, _ = _report(rep)
    write()
    after, straight = _report(rep)
    assert after == straight
    assert after != before
