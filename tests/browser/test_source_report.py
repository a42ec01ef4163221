"""The source report in Chromium as a manager: filters, the three charts, campaign
rows, a drill-down link, the column groups (each fits its card at 1280 px, the source
column stays put where a narrower screen scrolls), the charts above the table, the
Period box in step with the dates, desktop and phone screenshots."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

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


def _charts_settled(page):
    """Wait for what a user waits for: the three charts drawn at their box's size
    (Chart.js redraws on the frame after a resize)."""
    page.wait_for_function(
        """() => ["source-report-chart", "source-report-trend", "source-report-revenue"]
            .every((id) => {
              const canvas = document.getElementById(id);
              const box = canvas && canvas.parentElement.getBoundingClientRect();
              return canvas && canvas.chart && box.width > 0
                && Math.abs(canvas.chart.width - box.width) < 2;
            })"""
    )
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => "
        "requestAnimationFrame(done)))"
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

    page.set_viewport_size({"width": 1366, "height": 900})
    _charts_settled(page)
    screenshot("source-report-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    _charts_settled(page)
    screenshot("source-report-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # The campaign's cost is in the Cost group (filters kept), whose campaign
    # lines are open: costs are on them only.
    page.locator("#source-report-columns").get_by_role("link", name="Cost").click()
    page.wait_for_url(re.compile(r"columns=cost"))
    assert "period=90days" in page.url
    expect(campaign_row).to_be_visible()
    assert "2,400" in campaign_row.inner_text()
    page.locator("#source-report-columns").get_by_role("link", name="Outcomes").click()
    page.wait_for_url(re.compile(r"columns=outcomes"))
    page.get_by_role("button", name="Web").click()

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


GROUP_FIRST_HEADERS = {
    "Outcomes": "Created",
    "Revenue": "Leads won (share)",
    "Speed": "Median days to qualify",
    "Cost": "Campaign cost",
}


def _fit(page):
    """The table's width against its scrolling box's, and where things are."""
    return page.evaluate(
        """() => {
          const table = document.getElementById("source-report");
          const wrap = table.parentElement;
          const charts = document.getElementById("source-report-charts");
          return {
            table: table.scrollWidth, wrap: wrap.clientWidth,
            wrapScroll: wrap.scrollWidth,
            chartsBottom: charts.getBoundingClientRect().bottom + window.scrollY,
            tableTop: table.getBoundingClientRect().top + window.scrollY,
            chartsFirst: Boolean(
              charts.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING),
          };
        }"""
    )


def test_every_column_group_fits_at_1280_under_the_charts(
    page, login, screenshot, report_data
):
    login("manager")
    page.goto("/reports/sources/?period=all")  # the page's viewport: 1280 x 900
    groups = page.locator("#source-report-columns")
    for name, first_header in GROUP_FIRST_HEADERS.items():
        groups.get_by_role("link", name=name).click()
        page.wait_for_url(re.compile(rf"columns={name.lower()}"))
        expect(groups.locator("a.active")).to_have_text(name)
        headers = page.locator("#source-report thead th").all_inner_texts()
        assert headers[1].lower() == first_header.lower(), headers
        fit = _fit(page)
        assert fit["table"] <= fit["wrap"], (name, fit)
        assert fit["wrapScroll"] <= fit["wrap"], (name, fit)
        # The charts come first, and the table starts in the first screenful.
        assert fit["chartsFirst"], name
        assert fit["chartsBottom"] <= fit["tableTop"] < 700, (name, fit)
        _charts_settled(page)
        screenshot(f"source-report-{name.lower()}-1280")
    assert all(count > 0 for count in _charts_drawn(page))

    page.set_viewport_size({"width": 390, "height": 844})
    groups.get_by_role("link", name="Outcomes").click()
    page.wait_for_url(re.compile(r"columns=outcomes"))
    _charts_settled(page)
    screenshot("source-report-outcomes-390")
    # A phone stacks each row: the group's values, each labelled.
    labels = page.evaluate(
        """() => [...document.querySelectorAll("tr.report-source")[0].cells]
            .slice(1).filter((cell) => cell.offsetHeight > 0)
            .map((cell) => getComputedStyle(cell, "::before").content === "none"
              ? null : cell.dataset.label)"""
    )
    assert labels[:3] == ["Created", "Open", "Qualified"], labels
    assert len(labels) == 10, labels
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_source_column_stays_where_a_narrow_screen_scrolls(
    page, login, screenshot, report_data
):
    page.set_viewport_size({"width": 820, "height": 900})
    login("manager")
    page.goto("/reports/sources/?period=all&columns=outcomes")
    fit = _fit(page)
    assert fit["wrapScroll"] > fit["wrap"]  # this width still scrolls
    wrap = page.locator("#source-report").locator("xpath=..")
    source = page.locator("tr.report-source th").first
    created = page.locator("tr.report-source a[data-count=created]").first
    before = source.bounding_box()["x"], created.bounding_box()["x"]
    wrap.evaluate("(node) => { node.scrollLeft = node.scrollWidth; }")
    page.wait_for_function(
        "(x) => document.querySelector('tr.report-source a[data-count=created]')"
        ".getBoundingClientRect().x < x",
        arg=before[1],
    )
    assert source.bounding_box()["x"] == before[0]
    assert created.bounding_box()["x"] < before[1]
    screenshot("source-report-820-scrolled")


def test_period_box_and_dates_stay_in_step(page, login, report_data):
    login("manager")
    today = timezone.localdate()
    page.goto("/reports/sources/?created_from=2026-01-05")
    expect(page.locator("#id_period")).to_have_value("custom")
    expect(page.locator("#id_created_from")).to_have_value("2026-01-05")

    page.select_option("#id_period", "month")
    expect(page.locator("#id_created_from")).to_have_value(
        today.replace(day=1).isoformat()
    )
    expect(page.locator("#id_created_to")).to_have_value(today.isoformat())
    page.select_option("#id_period", "all")
    expect(page.locator("#id_created_from")).to_have_value("")
    expect(page.locator("#id_created_to")).to_have_value("")

    page.select_option("#id_period", "90days")
    page.fill("#id_created_to", (today - 5 * D).isoformat())
    expect(page.locator("#id_period")).to_have_value("custom")
    page.click("#source-report-filters button[type=submit]")
    page.wait_for_url(re.compile(r"period=custom"))
    expect(page.locator("#id_period")).to_have_value("custom")
    expect(page.locator("#id_created_from")).to_have_value((today - 89 * D).isoformat())
    expect(page.locator("#id_created_to")).to_have_value((today - 5 * D).isoformat())
