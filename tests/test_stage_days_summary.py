"""The source report's Days per stage read from the summary rows equals the straight
computation from the leads and their stage visits, for every filter and scope,
and stays equal after every change to a lead's qualification or its opportunity's
stages: through the services and around them (the triggers mark the days)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Opportunity, OpportunityStatus, SalesStage, StageVisit
from accounts.services import stages as stage_services
from leads.models import Lead, LeadSource, SourceReportDirty
from leads.models.reports import SourceReportStage
from leads.reports.stages import report_days_per_stage
from leads.reports.summary import (
    INLINE_DAYS,
    rebuild_source_summary,
    refresh_source_summary,
)
from leads.services import qualification
from tests import factories

D = datetime.timedelta(days=1)
H = datetime.timedelta(hours=1)


def _shown(rows):
    return [(row.source, row.cells()) for row in rows]


def _filter_sets(world):
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
        {"created_from": today - 500 * D, "created_to": today - 30 * D},
        {"business_unit_ids": [world.org.north.pk]},
        {"owner": world.rep},
        {"team": world.team},
        {"campaign": world.campaign},
        {"created_from": today - 89 * D, "owner": world.rep},
    ]


def assert_stage_days_equal_straight(world, *users):
    """Every user's Days per stage, for every filter set, from the summary equals
    the straight computation; the summary was brought up to date on the way."""
    for user in users or (world.administrator, world.manager, world.rep):
        for filters in _filter_sets(world):
            summary = report_days_per_stage(user=user, **filters)
            straight = report_days_per_stage(user=user, straight=True, **filters)
            assert _shown(summary) == _shown(straight), (user.username, filters)
    assert not SourceReportDirty.objects.exists()


def _qualified(owner, *, source, age, qualify_after, develop_days, **fields):
    """A lead created `age` ago and qualified `qualify_after` later; its
    opportunity has been in Develop for `develop_days` (still open). Qualified by
    `owner`, who owns it unless a team does."""
    now = timezone.now()
    fields.setdefault("owner_user", None if "owner_team" in fields else owner)
    lead = factories.LeadFactory(source=source, created_at=now - age, **fields)
    result = qualification.qualify_lead(lead=lead, by=owner, create_account=True)
    Lead.objects.filter(pk=lead.pk).update(qualified_at=now - age + qualify_after)
    StageVisit.objects.filter(opportunity=result.opportunity).update(
        entered_at=now - develop_days * D
    )
    lead.refresh_from_db()
    return lead, result.opportunity


def _move(opportunity, stage, *, by, entered_days_ago=None):
    """Move the opportunity to `stage`; the new visit began `entered_days_ago`."""
    stage_services.move_opportunity_stage(opportunity=opportunity, stage=stage, by=by)
    if entered_days_ago is not None:
        StageVisit.objects.filter(opportunity=opportunity, left_at=None).update(
            entered_at=timezone.now() - entered_days_ago * D
        )


@pytest.fixture
def world(rep, rep2, manager, administrator, org):
    """Qualified leads of three sources (and none) in North and South, created
    over more than two years, their opportunities in every stage."""
    campaign = factories.CampaignFactory(source=LeadSource.WEB, cost=Decimal("500"))
    team = factories.TeamFactory(business_unit=org.north)
    web, web_opportunity = _qualified(
        rep, source=LeadSource.WEB, age=5 * D, qualify_after=2 * D + 3 * H,
        develop_days=2.3, campaign=campaign,
    )  # fmt: skip
    _move(web_opportunity, SalesStage.PROPOSE, by=rep, entered_days_ago=1.2)
    partner, partner_opportunity = _qualified(
        rep, source=LeadSource.PARTNER, age=50 * D, qualify_after=9 * D + 5 * H,
        develop_days=30.4,
    )  # fmt: skip
    _move(partner_opportunity, SalesStage.PROPOSE, by=rep, entered_days_ago=12.6)
    _move(partner_opportunity, SalesStage.CLOSE, by=rep, entered_days_ago=4.1)
    account_services.win_opportunity(
        opportunity=partner_opportunity,
        by=rep,
        actual_value=Decimal("1200"),
        actual_close_date=timezone.localdate(),
    )
    _qualified(
        rep2, source=LeadSource.PARTNER, age=420 * D, qualify_after=40 * D + 7 * H,
        develop_days=300.7,
    )  # fmt: skip
    old, old_opportunity = _qualified(
        rep, source=None, age=800 * D, qualify_after=100 * D + 2 * H,
        develop_days=600.2,
    )  # fmt: skip
    _move(old_opportunity, SalesStage.PROPOSE, by=rep, entered_days_ago=200.3)
    account_services.lose_opportunity(
        opportunity=old_opportunity, by=rep, reason=OpportunityStatus.OUT_SOLD
    )
    _qualified(
        manager, source=LeadSource.WEB, age=70 * D, qualify_after=11 * H,
        develop_days=20.5, owner_team=team, campaign=campaign,
    )  # fmt: skip
    # Open leads: not in any average.
    factories.LeadFactory(owner_user=rep, source=LeadSource.WEB)
    factories.LeadFactory(owner_user=rep2, created_at=timezone.now() - 30 * D)
    return type(
        "World",
        (),
        {
            "org": org,
            "rep": rep,
            "manager": manager,
            "administrator": administrator,
            "campaign": campaign,
            "team": team,
            "web": web,
            "web_opportunity": web_opportunity,
            "partner": partner,
            "old": old,
            "old_opportunity": old_opportunity,
        },
    )


def test_days_per_stage_equals_straight_for_every_filter_and_scope(world):
    assert_stage_days_equal_straight(world)
    rows = report_days_per_stage(user=world.administrator)
    assert [row.source for row in rows] == [LeadSource.PARTNER, LeadSource.WEB, None]
    web = rows[1].days
    # 2 d 3 h and 11 h to qualify; Develop 2.3 d (left) and 20.5 d (still open).
    assert web[SalesStage.QUALIFY] == (1.3, 2)
    assert web[SalesStage.DEVELOP] == (11.4, 2)
    assert web[SalesStage.PROPOSE] == (1.2, 1)


def test_an_open_visit_counts_up_to_the_read(world):
    """The summary keeps an open visit's start; the days up to now come at read."""
    report_days_per_stage(user=world.administrator)
    propose = SourceReportStage.objects.get(
        level=SourceReportStage.DAY,
        period=timezone.localtime(world.web.created_at).date(),
        stage=SalesStage.PROPOSE,
    )
    assert (propose.finished, propose.open) == (0, 1)
    (web,) = report_days_per_stage(user=world.rep, campaign=world.campaign)
    assert web.days[SalesStage.PROPOSE] == (1.2, 1)


def test_days_per_stage_follow_every_change_of_stage_or_qualification(
    world, direct_writes
):
    check = lambda: assert_stage_days_equal_straight(world)  # noqa: E731
    check()
    # stage moves through the service, forward and back
    _move(world.web_opportunity, SalesStage.CLOSE, by=world.rep)
    check()
    _move(world.web_opportunity, SalesStage.DEVELOP, by=world.rep)
    check()
    # a visit written around every service, on an old lead (year roll-ups)
    StageVisit.objects.filter(opportunity=world.old_opportunity).update(
        entered_at=timezone.now() - 700 * D
    )
    check()
    # won, reopened, lost
    account_services.win_opportunity(
        opportunity=world.web_opportunity,
        by=world.rep,
        actual_value=Decimal("99"),
        actual_close_date=timezone.localdate(),
    )
    check()
    account_services.reopen_opportunity(opportunity=world.web_opportunity, by=world.rep)
    check()
    account_services.lose_opportunity(
        opportunity=world.web_opportunity,
        by=world.rep,
        reason=OpportunityStatus.CANCELED,
    )
    check()
    # a newly qualified lead, and the qualification time edited in place
    fresh = factories.LeadFactory(
        owner_user=world.rep,
        source=LeadSource.SEMINAR,
        created_at=timezone.now() - 3 * D,
    )
    qualification.qualify_lead(lead=fresh, by=world.rep, create_account=True)
    check()
    Lead.objects.filter(pk=world.partner.pk).update(
        qualified_at=world.partner.created_at + 3 * D
    )
    check()
    # the lead's dimensions change: source, owner (scope), creation day
    # (a qualified lead is closed to the services: written around them)
    Lead.objects.filter(pk=world.web.pk).update(source=LeadSource.TRADE_SHOW)
    check()
    Lead.objects.filter(pk=world.partner.pk).update(owner_user=world.manager)
    check()
    Lead.objects.filter(pk=world.web.pk).update(
        created_at=world.web.created_at - 40 * D
    )
    check()
    # a second lead sharing an opportunity counts its visits too
    Lead.objects.filter(pk=fresh.pk).update(
        qualifying_opportunity=world.old_opportunity
    )
    check()
    # deleted: an opportunity (its visits with it), then a lead
    Opportunity.objects.filter(pk=world.old_opportunity.pk).delete()
    check()
    Lead.objects.filter(pk=world.partner.pk).delete()
    check()


def test_many_changed_days_are_caught_up_by_the_background_refresh(world):
    """More than INLINE_DAYS changed days: the read queues the background
    refresh (run at once in the tests), which recomputes the stage rows too."""
    refresh_source_summary()
    now = timezone.now()
    leads = [
        factories.LeadFactory(
            owner_user=world.rep, source=LeadSource.WEB, created_at=now - n * 7 * D
        )
        for n in range(1, INLINE_DAYS + 3)
    ]
    for lead in leads:
        qualification.qualify_lead(lead=lead, by=world.rep, create_account=True)
    assert_stage_days_equal_straight(world, world.administrator)


def test_rebuild_recomputes_the_stage_rows(world):
    refresh_source_summary()
    SourceReportStage.objects.all().delete()  # lost summary rows
    rebuild_source_summary()
    assert_stage_days_equal_straight(world, world.administrator)
    assert SourceReportStage.objects.filter(level=SourceReportStage.YEAR).exists()


def test_days_per_stage_reads_the_summary_in_a_constant_number_of_queries(world):
    """Neither the leads nor the stage visits are read, however many there are."""
    report_days_per_stage(user=world.administrator)
    with CaptureQueriesContext(connection) as few:
        report_days_per_stage(user=world.administrator)
    for n in range(5):
        _qualified(
            world.rep, source=LeadSource.EMAIL, age=(n * 40 + 3) * D,
            qualify_after=D, develop_days=1.5,
        )  # fmt: skip
    report_days_per_stage(user=world.administrator)
    with CaptureQueriesContext(connection) as more:
        report_days_per_stage(user=world.administrator)
    assert len(more) == len(few) == 2  # the dirty marks, the summary rows
    read = " ".join(query["sql"] for query in more.captured_queries)
    assert '"leads_lead"' not in read and '"accounts_stagevisit"' not in read


def test_the_report_page_checks_the_summary_is_current_once(world, client):
    """The page's report has just brought the summary up to date: its Days per
    stage card reads the summary without checking again."""
    refresh_source_summary()
    client.force_login(world.administrator)
    client.get("/reports/sources/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reports/sources/")
    assert response.status_code == 200
    assert response.context["stage_days"]
    marks = [q for q in queries.captured_queries if "sourcereportdirty" in q["sql"]]
    assert len(marks) == 1
