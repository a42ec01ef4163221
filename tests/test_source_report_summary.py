"""The summary rows behind the source report stay exactly equal to the straight
computation from the leads after every kind of change, through the services and
around them (factories, bulk inserts, raw deletes): the triggers mark the days."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from accounts import services as account_services
from accounts.models import OpportunityStatus
from leads.models import (
    ActivityKind,
    Lead,
    LeadSource,
    LeadStatus,
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
    SourceReportStage,
)
from leads.reports import source_performance_report
from leads.reports.summary import rebuild_source_summary, refresh_source_summary
from leads.services import lifecycle, merge, qualification, timeline
from tests import factories

D = datetime.timedelta(days=1)


def _money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _snapshot(row):
    sums = {
        name: _money(value) if name in ("won_revenue", "pipeline") else value
        for name, value in row.sums.items()
    }
    return (
        row.label,
        sums,
        row.qualify_days,
        row.work_hours,
        row.significance,
        [_snapshot(line) for line in row.campaigns],
    )


def _filter_sets(user, org, campaign):
    today = timezone.localdate()
    year_start = today.replace(month=1, day=1)
    return [
        {},
        {"created_from": today - 89 * D, "created_to": today},
        {"created_from": today.replace(day=1)},
        {"created_to": today - 40 * D},
        {
            "created_from": year_start.replace(year=year_start.year - 1),
            "created_to": today,
        },
        {"created_from": today - 400 * D, "created_to": today - 30 * D},
        {"business_unit_ids": [org.north.pk]},
        {"owner": user},
        {"campaign": campaign},
        {"baseline": str(int(LeadSource.WEB))},
    ]


def assert_summary_equals_straight(user, org, campaign):
    for filters in _filter_sets(user, org, campaign):
        summary = source_performance_report(user=user, **filters)
        straight = source_performance_report(user=user, straight=True, **filters)
        assert [_snapshot(r) for r in summary.rows] == [
            _snapshot(r) for r in straight.rows
        ], filters
        assert _snapshot(summary.total) == _snapshot(straight.total), filters
        assert summary.trend == straight.trend, filters
    assert not SourceReportDirty.objects.exists()


@pytest.fixture
def world(rep, manager, org):
    campaign = factories.CampaignFactory(source=LeadSource.WEB, cost=Decimal("900"))
    now = timezone.now()
    for days, source in [(3, LeadSource.WEB), (45, LeadSource.PARTNER), (420, None)]:
        factories.LeadFactory(
            owner_user=rep, source=source, created_at=now - days * D, campaign=campaign
        )
    return type("World", (), {"campaign": campaign, "org": org})


def test_summary_follows_every_kind_of_change(
    rep, manager, administrator, world, direct_writes
):
    check = lambda: assert_summary_equals_straight(  # noqa: E731
        administrator, world.org, world.campaign
    )
    check()
    # create
    lead = lifecycle.create_lead(
        by=rep,
        subject="Needs CRM",
        last_name="Lovelace",
        company_name="Analytical Engines",
        email="ada@example.com",
        source=LeadSource.WEB,
        campaign=world.campaign,
    )
    other = lifecycle.create_lead(
        by=rep, subject="Also CRM", last_name="Babbage", source=LeadSource.PARTNER
    )
    check()
    # activity logged, then completed (speed to lead)
    activity = timeline.log_activity(
        record=lead, by=rep, kind=ActivityKind.TASK, subject="Call back"
    )
    check()
    timeline.complete_activity(activity=activity, by=rep)
    check()
    # edit (source) and re-assignment (owner, unit)
    lifecycle.update_lead(lead=other, by=rep, source=LeadSource.SEMINAR)
    lifecycle.assign_lead(lead=other, by=manager, owner_user=manager)
    check()
    # transition: disqualify, then reactivate
    lifecycle.disqualify_lead(lead=other, by=rep, reason=LeadStatus.CANNOT_CONTACT)
    check()
    lifecycle.reactivate_lead(lead=other, by=rep)
    check()
    # qualify (creates the opportunity), win, reopen, re-value, lose
    result = qualification.qualify_lead(lead=lead, by=rep)
    check()
    opportunity = result.opportunity
    account_services.win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("7100.50"),
        actual_close_date=timezone.localdate(),
    )
    check()
    account_services.reopen_opportunity(opportunity=opportunity, by=rep)
    check()
    account_services.update_opportunity(
        opportunity=opportunity, by=rep, estimated_value=Decimal("8000.00")
    )
    check()
    account_services.lose_opportunity(
        opportunity=opportunity, by=rep, reason=OpportunityStatus.OUT_SOLD
    )
    check()
    # merge: the subordinate is counted as merged, the master keeps its data
    duplicate = lifecycle.create_lead(
        by=rep, subject="Dup", last_name="Babbage", source=LeadSource.PARTNER
    )
    merge.merge_leads(master=other, subordinate=duplicate, by=manager, field_values={})
    check()
    # import: rows written in bulk, around the services
    Lead.objects.bulk_create(
        [
            factories.LeadFactory.build(
                owner_user=rep,
                business_unit=rep.business_unit,
                source=LeadSource.TRADE_SHOW,
                created_at=timezone.now() - n * 17 * D,
            )
            for n in range(6)
        ]
    )
    check()
    # delete: one through the ORM, several in one statement
    other.refresh_from_db()
    Lead.objects.filter(pk=duplicate.pk).delete()
    check()
    Lead.objects.filter(source=LeadSource.TRADE_SHOW).delete()
    check()


def test_summary_never_goes_stale_between_refreshes(rep, administrator, world):
    """A write after a refresh marks its day again; the next read sees it."""
    before = source_performance_report(user=administrator).total.created
    factories.LeadFactory(owner_user=rep)
    assert SourceReportDirty.objects.exists()
    assert source_performance_report(user=administrator).total.created == before + 1


def test_rebuild_recomputes_everything(rep, administrator, world):
    refresh_source_summary()
    SourceReportDay.objects.all().delete()  # lost summary rows, e.g. restored backup
    rebuild_source_summary()
    assert_summary_equals_straight(administrator, world.org, world.campaign)
    assert source_performance_report(user=administrator).total.created == 3


def test_team_membership_changes_need_no_refresh(rep, org, world):
    """Scope is applied to summary rows by their owner columns at read time."""
    team = factories.TeamFactory(business_unit=org.north)
    factories.LeadFactory(owner_user=None, owner_team=team)
    assert source_performance_report(user=rep).total.created == 3
    team.members.add(rep)
    rep.__dict__.pop("_leadsite_team_ids", None)
    assert source_performance_report(user=rep).total.created == 4


@pytest.mark.django_db(transaction=True)
def test_a_write_committing_during_a_refresh_is_not_lost(rep, administrator, org):
    """PostgreSQL: a refresh consumes only the marks it can see; a lead written in
    a transaction still open during the refresh is counted by the next read."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row visibility between sessions: PostgreSQL")
    factories.LeadFactory(owner_user=rep)
    written, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                factories.LeadFactory(owner_user=rep, source=LeadSource.SEMINAR)
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(10)
    assert source_performance_report(user=administrator).total.created == 1
    release.set()
    thread.join(10)
    report = source_performance_report(user=administrator)
    assert report.total.created == 2
    straight = source_performance_report(user=administrator, straight=True)
    assert _snapshot(report.total) == _snapshot(straight.total)


def _rolled_by_unit(model, level, extra):
    """{(period, source, campaign, unit, *extra): summed figures} of the
    per-owner rows of `level`, and of the unit roll-up rows of its unit level."""
    from leads.models.reports import ALL_OWNERS

    figures = {
        SourceReportDay: ["created", "open", "pipeline", "worked"],
        SourceReportHistogram: ["count"],
        SourceReportStage: ["finished", "open", "open_since"],
    }[model]
    keys = ["period", "source", "campaign_id", "business_unit_id", *extra]
    per_owner: dict = {}
    for row in model.objects.filter(level=level).values(*keys, *figures):
        sums = per_owner.setdefault(tuple(row[k] for k in keys), [0] * len(figures))
        for index, name in enumerate(figures):
            sums[index] += row[name]
    units = model.objects.filter(level=model.UNIT_LEVEL[level])
    assert set(units.values_list("owner_user_id", "owner_team_id")) <= {
        (ALL_OWNERS, ALL_OWNERS)
    }
    by_unit = {
        tuple(row[k] for k in keys): [row[name] for name in figures]
        for row in units.values(*keys, *figures)
    }
    return per_owner, by_unit


def assert_unit_roll_ups_sum_the_owners():
    for model, extra in [
        (SourceReportDay, []),
        (SourceReportHistogram, ["metric", "bucket"]),
        (SourceReportStage, ["stage"]),
    ]:
        for level in (model.DAY, model.MONTH, model.YEAR):
            per_owner, by_unit = _rolled_by_unit(model, level, extra)
            assert by_unit == per_owner, (model.__name__, level)


def test_unit_roll_ups_follow_changes_and_serve_unnarrowed_reports(
    rep, manager, administrator, world
):
    """A manager's or an administrator's report not narrowed to an owner or a
    team reads the unit roll-ups (a business unit's rows summed over its owners,
    a few hundred a day however many leads): they stay the per-owner rows summed
    through writes and refreshes, and give the straight figures for every scope;
    a rep's report and an owner's filter read the per-owner rows."""
    lead = lifecycle.create_lead(
        by=rep,
        subject="Unit",
        last_name="Roll",
        company_name="Northwind",
        source=LeadSource.WEB,
    )
    lifecycle.assign_lead(lead=lead, by=manager, owner_user=manager)
    qualification.qualify_lead(lead=Lead.objects.get(pk=lead.pk), by=manager)
    for user in (administrator, manager, rep):
        assert_summary_equals_straight(user, world.org, world.campaign)
    assert_unit_roll_ups_sum_the_owners()
    rebuild_source_summary()
    assert_unit_roll_ups_sum_the_owners()
    # Which rows each report reads: the per-owner rows changed behind the
    # summary's back move the owner-filtered report only.
    before = source_performance_report(user=administrator).total.created
    owned = source_performance_report(user=administrator, owner=rep).total.created
    SourceReportDay.objects.filter(
        level__in=[SourceReportDay.DAY, SourceReportDay.MONTH, SourceReportDay.YEAR],
        owner_user=rep,
    ).update(created=F("created") + 100)
    assert source_performance_report(user=administrator).total.created == before
    changed = source_performance_report(user=administrator, owner=rep).total
    assert changed.created > owned
