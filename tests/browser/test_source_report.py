"""The source report in Chromium as a manager: filters, the three charts, campaign
rows, a drill-down link, desktop and phone screenshots."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import LeadSource, LeadState, LeadStatus
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

D = datetime.timedelta(days=1)


@pytest.fixture
def report_data(rep, rep2, manager):
    now = timezone.now()
    spring = factories.CampaignFactory(
        name="Website relaunch", source=LeadSource.WEB, cost=Decimal("2400")
    )
    fair = factories.CampaignFactory(
        name="Trade fair", source=LeadSource.TRADE_SHOW, cost=None
    )
    plan = [
        (LeadSource.WEB, spring, 12, 6, 8),
        (LeadSource.WEB, None, 5, 2, 4),
        (LeadSource.TRADE_SHOW, fair, 6, 4, 2),
        (LeadSource.PARTNER, None, 4, 3, 1),
        (LeadSource.ADVERTISEMENT, None, 7, 1, 6),
    ]
    n = 0
    for source, campaign, open_, qualified, disqualified in plan:
        for owner in (rep, rep2):
            for i in range(open_ + qualified + disqualified):
                n += 1
                created = now - (n * 7 % 150) * D - datetime.timedelta(hours=n % 20)
                fields = {"owner_user": owner, "source": source, "campaign": campaign}
                if i < qualified:
                    opportunity = factories.OpportunityFactory(
                        owner_user=owner,
                        **(
                            {"won": True, "actual_value": Decimal(3000 + 500 * (n % 7))}
                            if i % 2 == 0
                            else {}
                        ),
                    )
                    fields.update(
                        state=LeadState.QUALIFIED,
                        status=LeadStatus.QUALIFIED,
                        qualified_at=created + (n % 9) * D,
                        closed_at=created + (n % 9) * D,
                        qualifying_opportunity=opportunity,
                    )
                elif i < qualified + disqualified:
                    fields.update(
                        state=LeadState.DISQUALIFIED,
                        status=[LeadStatus.LOST, LeadStatus.CANNOT_CONTACT][i % 2],
                        closed_at=created + D,
                    )
                lead = factories.LeadFactory(created_at=created, **fields)
                if n % 3:
                    factories.ActivityFactory(
                        lead=lead,
                        owner=owner,
                        state="completed",
                        completed_at=created + datetime.timedelta(hours=n % 40),
                    )


def _charts_drawn(page):
    return page.evaluate(
        """() => ["source-report-chart", "source-report-trend", "source-report-revenue"]
            .map((id) => {
              const canvas = document.getElementById(id);
              const chart = canvas && canvas.chart;
              if (!chart) return 0;
              return chart.data.datasets.reduce(
                (n, set) => n + set.data.filter((v) => v !== null && v !== 0).length, 0);
            })"""
    )


def test_manager_filters_expands_and_drills_down(
    page, login, screenshot, report_data, org
):
    login("manager")
    page.goto("/reports/sources/")
    all_time = page.locator("tfoot a[data-count=created]").inner_text()

    page.select_option("#id_period", "90days")
    page.click("#source-report-filters button[type=submit]")
    page.wait_for_url(re.compile(r"period=90days"))
    ninety = page.locator("tfoot a[data-count=created]").inner_text()
    assert int(ninety) < int(all_time)

    page.select_option("#id_business_unit", label="North")
    page.click("#source-report-filters button[type=submit]")
    page.wait_for_url(re.compile(rf"business_unit={org.north.pk}"))
    assert all(count > 0 for count in _charts_drawn(page))
    for canvas in (
        "#source-report-chart",
        "#source-report-trend",
        "#source-report-revenue",
    ):
        assert page.locator(canvas).bounding_box()["height"] > 100

    campaign_row = page.locator("tr.report-campaign", has_text="Website relaunch")
    assert campaign_row.is_hidden()
    page.get_by_role("button", name="Web").click()
    assert campaign_row.is_visible()
    assert "2,400" in campaign_row.inner_text()

    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot("source-report-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("source-report-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    link = campaign_row.locator("a[data-count=created]")
    expected = int(link.inner_text())
    assert expected > 0
    link.click()
    page.wait_for_url(re.compile(r"/leads/\?"))
    count_text = page.locator("#lead-count").inner_text()
    assert re.search(rf"of {expected}\b", count_text), count_text


def test_invalid_date_shows_the_error_and_no_figures(page, login, report_data):
    login("manager")
    page.goto("/reports/sources/?period=custom&created_to=9999-12-31")
    assert page.locator(".error").first.is_visible()
    assert page.locator("#source-report").count() == 0
    assert page.locator("#source-report-invalid").is_visible()
