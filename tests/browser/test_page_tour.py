"""A tour of every page as a sales rep, a manager and an administrator would see it,
at a desktop width and a phone width, with screenshots in test-artifacts/tour-*.png.

Every page must show its heading (and, for error states, the visible error), fit the
phone width without sideways scrolling of the whole page, log no console errors
(CSP violations, script errors) and request nothing that fails (favicon included).
"""

import datetime
import os
import unicodedata
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import OpportunityState
from accounts.services import update_account
from leads.models import (
    ActivityKind,
    ActivityState,
    Direction,
    Lead,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
)
from tests import factories

# The outermost elements that stick out past the right edge of the window.
WIDEST_JS = """
[...document.querySelectorAll('body *')].filter(el => {
  if (el.getBoundingClientRect().right <= window.innerWidth + 1) return false;
  if (el.closest('.mainnav, .tabs')) return false;
  const parent = el.parentElement;
  return !parent || parent.getBoundingClientRect().right <= window.innerWidth + 1;
}).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.')
  + ' ' + Math.round(el.getBoundingClientRect().width) + 'px').join(', ')
"""
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}


class Tour:
    """Visits pages at both widths and collects what went wrong in the browser."""

    def __init__(self, page, screenshot):
        self.page = page
        self.screenshot = screenshot
        self.console_errors = []
        self.failed = []
        self.expected_404 = set()
        self.problems = []
        page.on("console", self._check_console)
        page.on(
            "pageerror", lambda exc: self.console_errors.append(f"{page.url}: {exc}")
        )
        page.on("requestfailed", self._check_failed_request)
        page.on("response", self._check_response)

    def _check_console(self, msg):
        if msg.type != "error":
            return
        source = msg.location.get("url", "")
        if "status of 404" in msg.text and urlparse(source).path in self.expected_404:
            return
        self.console_errors.append(f"{self.page.url}: {msg.text} ({source})")

    def _check_failed_request(self, request):
        # A request cut short by the next navigation is not a failure of the page.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url}: {request.failure}")

    def _check_response(self, response):
        if response.status == 404 and urlparse(response.url).path in self.expected_404:
            return
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def visit(self, name, url, heading, *, then=None, expect=None, not_found=False):
        """Open url at each width, optionally act (then(page)), check and screenshot."""
        for width, (w, h) in WIDTHS.items():
            self.page.set_viewport_size({"width": w, "height": h})
            if not_found:
                self.expected_404.add(urlparse(url).path)
            self.page.goto(url[width] if isinstance(url, dict) else url)
            if then:
                then(self.page)
            self.page.wait_for_load_state("load")
            self.screenshot(f"tour-{name}-{width}")
            h1 = self.page.locator("h1").first.inner_text()
            if heading not in h1:
                self.problems.append(f"{name} at {width}: heading {h1!r}")
            for text in [expect] if isinstance(expect, str) else expect or []:
                if not self.page.get_by_text(text, exact=False).first.is_visible():
                    self.problems.append(f"{name} at {width}: {text!r} not visible")
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            if overflow > 1:
                self.problems.append(
                    f"{name} at {width}: page scrolls sideways {overflow}px, "
                    f"widest: {self.page.evaluate(WIDEST_JS)}"
                )

    def check_clean(self):
        trouble = self.problems + self.console_errors + self.failed
        assert trouble == [], "\n".join(trouble)


def ascii_email(first, last, company):
    local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
    return f"{local.decode().lower()}@{company.split()[0].lower()}.example"


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def build_world(rep, manager, org):
    """A working week of a north-region sales team, with realistic names and values."""
    team = factories.TeamFactory(
        name="North Inside Sales", business_unit=org.north, members=[rep]
    )
    rep.first_name, rep.last_name = "Rita", "Reyes"
    rep.save()
    manager.first_name, manager.last_name = "Marcus", "Lindqvist"
    manager.save()
    fair = factories.CampaignFactory(
        name="Spring Trade Fair 2025",
        source=LeadSource.TRADE_SHOW,
        cost=Decimal("12500.00"),
    )
    webinar = factories.CampaignFactory(
        name="Field Service Webinar", source=LeadSource.SEMINAR, cost=Decimal("1800")
    )
    suite = factories.ProductFactory(
        name="Field Service Suite (per seat)",
        product_number="FSS-100",
        price=Decimal("49.00"),
    )
    workshop = factories.ProductFactory(
        name="Onboarding workshop",
        product_number="SRV-210",
        price=Decimal("2400.00"),
    )
    northwind = factories.AccountFactory(
        owner_user=rep,
        name="Northwind Traders",
        email="office@northwind.example",
        phone="+1 555 010 2000",
        website="https://northwind.example",
        city="Seattle",
    )
    fabrikam = factories.AccountFactory(
        owner_user=rep,
        name="Fabrikam Logistics",
        email="hello@fabrikam.example",
        phone="+1 555 020 3000",
        website="https://fabrikam.example",
        city="Portland",
        is_partner=True,
    )
    nancy = factories.ContactFactory(
        owner_user=rep,
        first_name="Nancy",
        last_name="Davolio",
        job_title="Purchasing Manager",
        email="nancy.davolio@northwind.example",
        account=northwind,
    )
    factories.ContactFactory(
        owner_user=rep,
        first_name="Omar",
        last_name="Haddad",
        job_title="Operations Director",
        email="omar.haddad@fabrikam.example",
        account=fabrikam,
    )
    northwind = update_account(account=northwind, by=manager, primary_contact=nancy)

    open_leads = [
        ("Ana", "Silva", "Mercado Foods", "Stock system for 12 stores", "48000"),
        ("Ben", "Okafor", "Lagos Freight", "Fleet tracking pilot", "15000"),
        ("Chloé", "Martin", "Atelier Martin", "Online shop relaunch", "6000"),
        ("Dev", "Patel", "Patel & Sons", "Accounting add-on", "9500"),
        (
            "Devendra",
            "Patel",
            "Patel & Sons Ltd",
            "Accounting add-on for 3 sites",
            "11000",
        ),
        ("Ingrid", "Berg", "Fjord Energy", "Maintenance scheduling", "72000"),
    ]
    ratings = [LeadRating.HOT, LeadRating.WARM, LeadRating.COLD]
    leads = {}
    for index, (first, last, company, topic, value) in enumerate(open_leads):
        leads[first] = factories.LeadFactory(
            owner_user=rep,
            first_name=first,
            last_name=last,
            company_name=company,
            subject=topic,
            email=ascii_email(first, last, company),
            rating=ratings[index % 3],
            estimated_value=Decimal(value),
            estimated_close_date=days(20 + index * 9),
            source=LeadSource.TRADE_SHOW if index % 2 else LeadSource.WEB,
            campaign=fair if index % 2 else None,
            status=LeadStatus.CONTACTED if index % 3 == 1 else LeadStatus.NEW,
            created_at=timezone.now() - datetime.timedelta(days=index + 1),
        )
    # Long words and long topics must wrap, not push the layout sideways.
    leads["long"] = factories.LeadFactory(
        owner_user=rep,
        first_name="Maximiliane",
        last_name="Oberhauser-Wittgenstein",
        company_name="Internationale Versorgungs- und Instandhaltungsgesellschaft mbH",
        subject=(
            "Replacement of the legacy dispatch system for 140 service technicians "
            "across Bavaria, Austria and South Tyrol, including mobile offline mode"
        ),
        email="maximiliane.oberhauser-wittgenstein@versorgungsgesellschaft.example",
        website="https://www.internationale-versorgungs-und-instandhaltungsgesellschaft.example",
        rating=LeadRating.WARM,
        estimated_value=Decimal("1250000.00"),
        source=LeadSource.PARTNER,
        channel_partner=fabrikam,
    )
    factories.LeadFactory(
        owner_user=None,
        owner_team=team,
        first_name="Priya",
        last_name="Raman",
        company_name="Kaveri Textiles",
        subject="Inbound: pricing for 25 seats",
        source=LeadSource.WEB,
        campaign=webinar,
    )

    grace = factories.LeadFactory(
        owner_user=rep,
        salutation="Ms.",
        first_name="Grace",
        last_name="Hopper",
        job_title="Head of Field Operations",
        company_name="Cobol Systems",
        email="grace.hopper@cobol.example",
        business_phone="+1 555 0100 200",
        website="https://cobol.example",
        city="Arlington",
        country="United States",
        subject="CRM rollout for 40 field engineers",
        rating=LeadRating.HOT,
        estimated_value=Decimal("75000.00"),
        estimated_close_date=days(45),
        source=LeadSource.TRADE_SHOW,
        campaign=fair,
        status=LeadStatus.CONTACTED,
        description="Met at the spring fair booth. Wants a pilot with two crews first.",
    )
    factories.ActivityFactory(
        lead=grace,
        owner=rep,
        kind=ActivityKind.PHONE_CALL,
        direction=Direction.OUTGOING,
        subject="Discovery call with Grace",
        description="Walked through dispatch and offline needs; budget approved for Q3.",
        state=ActivityState.COMPLETED,
        completed_at=timezone.now() - datetime.timedelta(days=2),
    )
    factories.ActivityFactory(
        lead=grace,
        owner=rep,
        kind=ActivityKind.TASK,
        direction="",
        subject="Send pilot proposal",
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    factories.ActivityFactory(
        lead=grace,
        owner=rep,
        kind=ActivityKind.APPOINTMENT,
        direction="",
        subject="On-site demo in Arlington",
        start_at=timezone.now() + datetime.timedelta(days=8),
        end_at=timezone.now() + datetime.timedelta(days=8, hours=2),
    )
    factories.NoteFactory(
        lead=grace,
        created_by=rep,
        title="Decision process",
        text="Grace decides with the CFO, Alan Turing. Procurement needs two quotes.",
    )
    factories.AttachmentFactory(
        lead=grace, created_by=rep, original_name="booth-visit-notes.txt"
    )
    factories.LeadProductFactory(
        lead=grace, product=suite, quantity=Decimal("40"), note="Pilot with 2 crews"
    )
    factories.LeadProductFactory(lead=grace, product=workshop, quantity=Decimal("1"))
    factories.LeadAccountFactory(lead=grace, account=northwind)
    factories.LeadContactFactory(lead=grace, contact=nancy)
    leads["grace"] = grace

    # Qualified earlier: the account, contact and opportunity it produced.
    contoso_account = factories.AccountFactory(
        owner_user=rep, name="Tailspin Toys", city="Denver"
    )
    contoso_contact = factories.ContactFactory(
        owner_user=rep,
        first_name="Lena",
        last_name="Fischer",
        job_title="COO",
        account=contoso_account,
    )
    opportunity = factories.OpportunityFactory(
        owner_user=rep,
        name="Tailspin Toys: warehouse scanners",
        account=contoso_account,
        estimated_value=Decimal("38000.00"),
    )
    factories.OpportunityProductFactory(
        opportunity=opportunity,
        product=suite,
        quantity=Decimal("25"),
        price_per_unit=Decimal("49.00"),
    )
    leads["qualified"] = factories.LeadFactory(
        owner_user=rep,
        qualified=True,
        first_name="Lena",
        last_name="Fischer",
        company_name="Tailspin Toys",
        subject="Warehouse scanners",
        qualifying_account=contoso_account,
        qualifying_contact=contoso_contact,
        qualifying_opportunity=opportunity,
        estimated_value=Decimal("38000.00"),
    )
    won = factories.OpportunityFactory(
        owner_user=rep,
        won=True,
        name="Northwind Traders: route planning",
        account=northwind,
        estimated_value=Decimal("22000.00"),
        actual_value=Decimal("21500.00"),
    )
    factories.OpportunityFactory(
        owner_user=rep,
        lost=True,
        name="Fabrikam Logistics: yard management",
        account=fabrikam,
        estimated_value=Decimal("64000.00"),
    )
    leads["disqualified"] = factories.LeadFactory(
        owner_user=rep,
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANNOT_CONTACT,
        closed_at=timezone.now(),
        first_name="Tom",
        last_name="Becker",
        company_name="Becker Bau",
        subject="Site equipment tracking",
    )
    leads["merged"] = factories.LeadFactory(
        owner_user=rep,
        state=LeadState.DISQUALIFIED,
        status=LeadStatus.CANCELED,
        closed_at=timezone.now(),
        merged=True,
        master=grace,
        first_name="Grace",
        last_name="Hopper",
        company_name="Cobol Systems Inc.",
        subject="Pricing request",
    )
    # Qualifying this one offers the existing Fabrikam account and Omar as matches.
    leads["dupe"] = factories.LeadFactory(
        owner_user=rep,
        first_name="Omar",
        last_name="Haddad",
        company_name="Fabrikam Logistics",
        email="omar.haddad@fabrikam.example",
        subject="Yard management, second try",
        estimated_value=Decimal("52000.00"),
    )
    return {
        "leads": leads,
        "northwind": northwind,
        "nancy": nancy,
        "opportunity": opportunity,
        "won": won,
        "team": team,
    }


@pytest.fixture
def world(rep, manager, administrator, org):
    return build_world(rep, manager, org)


def submit(label):
    def _submit(page):
        with page.expect_navigation():
            page.get_by_role("button", name=label, exact=True).first.click()

    return _submit


def test_rep_tour(page, login, screenshot, world, live_server, settings):
    tour = Tour(page, screenshot)
    leads = world["leads"]
    grace = leads["grace"]

    def wrong_password(page):
        page.fill("input[name=username]", "rep")
        page.fill("input[name=password]", "not-my-password")
        with page.expect_navigation():
            page.click("button[type=submit]")

    tour.visit("login", "/login/", "Log in")
    tour.visit(
        "login-error",
        "/login/",
        "Log in",
        then=wrong_password,
        expect="Please enter a correct username and password",
    )
    login("rep")
    tour.visit("home", "/", "My work")
    for view in ["mine", "open", "closed", "unassigned", "all"]:
        tour.visit(f"leads-{view}", f"/leads/?view={view}", "Leads")
    tour.visit(
        "leads-filtered",
        f"/leads/?view=open&rating={LeadRating.HOT}&source={LeadSource.WEB}&sort=-value",
        "Leads",
    )
    tour.visit(
        "leads-empty",
        "/leads/?view=open&q=Nobody+Anywhere",
        "Leads",
        expect="No leads match these filters",
    )
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()
    tour.visit(
        "leads-filter-error",
        "/leads/?view=all&created_after=2025-13-45",
        "Leads",
        expect="Enter a valid date",
    )
    tour.visit(
        "lead-new-errors",
        "/leads/new/",
        "New lead",
        then=submit("Create lead"),
        expect=["Please correct the fields marked below", "This field is required"],
    )

    def duplicate(page):
        page.fill("[name=subject]", "Second enquiry about the pilot")
        page.fill("[name=last_name]", "Hopper")
        page.fill("[name=email]", "grace.hopper@cobol.example")
        submit("Create lead")(page)

    tour.visit(
        "lead-new-duplicate",
        "/leads/new/",
        "New lead",
        then=duplicate,
        expect="same email",
    )
    assert Lead.objects.filter(email="grace.hopper@cobol.example").count() == 1

    tour.visit("lead-open", f"/leads/{grace.pk}/", "Grace Hopper")
    tour.visit("lead-long", f"/leads/{leads['long'].pk}/", "Oberhauser")
    tour.visit("lead-qualified", f"/leads/{leads['qualified'].pk}/", "Lena Fischer")
    tour.visit("lead-disqualified", f"/leads/{leads['disqualified'].pk}/", "Tom Becker")
    tour.visit("lead-merged", f"/leads/{leads['merged'].pk}/", "Grace Hopper")
    tour.visit(
        "lead-edit-closed",
        f"/leads/{leads['qualified'].pk}/edit/",
        "Edit lead",
        expect="This lead is read-only",
    )
    tour.visit("lead-edit", f"/leads/{leads['Ingrid'].pk}/edit/", "Edit lead")
    tour.visit(
        "lead-qualify-matches",
        f"/leads/{leads['dupe'].pk}/qualify/",
        "Qualify lead",
        expect="Fabrikam Logistics",
    )
    tour.visit(
        "lead-disqualify", f"/leads/{leads['Ana'].pk}/disqualify/", "Disqualify lead"
    )
    tour.visit(
        "lead-merge",
        f"/leads/merge/?ids={leads['Dev'].pk},{leads['Devendra'].pk}",
        "Merge leads",
    )

    # Qualify through the form (a different lead at each width) to see the result
    # page with its success message.
    tour.visit(
        "lead-qualified-result",
        {
            "1280": f"/leads/{leads['Ben'].pk}/qualify/",
            "390": f"/leads/{leads['Chloé'].pk}/qualify/",
        },
        "Lead qualified",
        then=submit("Qualify"),
        expect="Lead qualified.",
    )

    tour.visit("accounts", "/accounts/", "Accounts")
    tour.visit("account", f"/accounts/{world['northwind'].pk}/", "Northwind Traders")
    tour.visit(
        "account-new-errors",
        "/accounts/new/",
        "New account",
        then=submit("Create account"),
        expect=["Please correct the fields marked below", "This field is required"],
    )
    tour.visit("contacts", "/contacts/", "Contacts")
    tour.visit("contact", f"/contacts/{world['nancy'].pk}/", "Nancy Davolio")
    for name, query in [("all", ""), ("open", "?state=0"), ("won", "?state=1")]:
        tour.visit(f"opportunities-{name}", f"/opportunities/{query}", "Opportunities")
    tour.visit("opportunities-lost", "/opportunities/?state=2", "Opportunities")
    opportunity = world["opportunity"]
    tour.visit(
        "opportunity-open", f"/opportunities/{opportunity.pk}/", opportunity.name
    )
    tour.visit(
        "opportunity-won", f"/opportunities/{world['won'].pk}/", "route planning"
    )
    tour.visit(
        "opportunity-win", f"/opportunities/{opportunity.pk}/win/", "Close as won"
    )
    tour.visit(
        "opportunity-lose", f"/opportunities/{opportunity.pk}/lose/", "Close as lost"
    )
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.OPEN

    # A large Excel export: the page that starts it, the job's page once
    # built (tasks run inline in tests) with its download, and the list of exports.
    settings.LEADSITE_EXPORT_DIRECT_MAX_ROWS = 3
    big_export = "/leads/export/?view=all&format=xlsx"
    tour.visit("export-start", big_export, "Export leads to Excel")
    tour.visit(
        "export-job",
        big_export,
        "Export #",
        then=submit("Build the Excel file"),
        expect="Download leads-",
    )
    tour.visit("exports", "/leads/exports/", "Exports")

    tour.visit("not-found", "/leads/999999/", "Not found", not_found=True)
    tour.check_clean()


def test_manager_tour(page, login, screenshot, world, rep):
    tour = Tour(page, screenshot)
    for source, count in [(LeadSource.WEB, 5), (LeadSource.TRADE_SHOW, 3)]:
        for index in range(count):
            factories.LeadFactory(
                owner_user=rep,
                source=source,
                qualified=index % 2 == 0,
                company_name=f"Harbor Supply {source.label} {index}",
            )
    factories.RoutingRuleFactory(
        name="Web leads to North Inside Sales",
        conditions=[{"field": "source", "op": "equals", "value": int(LeadSource.WEB)}],
        target_user=None,
        target_team=world["team"],
    )
    factories.RoutingRuleFactory(
        name="Trade show leads over 50k to Rita",
        conditions=[
            {"field": "source", "op": "equals", "value": int(LeadSource.TRADE_SHOW)},
            {"field": "estimated_value", "op": "gte", "value": "50000"},
        ],
        target_user=rep,
    )
    login("manager")
    tour.visit("manager-home", "/", "My work")
    tour.visit("manager-leads", "/leads/?view=open", "Leads")
    tour.visit("routing", "/routing/", "Routing")
    tour.visit("reports-sources", "/reports/sources/", "Lead sources")
    tour.check_clean()


def test_admin_tour(page, login, screenshot, world):
    tour = Tour(page, screenshot)
    login("administrator")
    tour.visit("admin-index", "/admin/", "administration")
    tour.visit("admin-leads", "/admin/leads/lead/", "lead")
    tour.check_clean()


# --- Density, phones and accessible names --------------------------------------------

ROWS_ABOVE_FOLD_JS = """
[...document.querySelectorAll('.lead-table tbody tr')]
  .filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length
"""
# Cells whose text wraps onto a second line (a word or address broken in two).
WRAPPED_CELLS_JS = """
[...document.querySelectorAll('.lead-table tbody td')].filter(td => {
  const style = getComputedStyle(td);
  const line = parseFloat(style.lineHeight) || 20;
  const range = document.createRange();
  range.selectNodeContents(td);
  return range.getClientRects().length && td.scrollHeight > line * 1.6 + 12;
}).map(td => td.className + ': ' + td.textContent.trim().slice(0, 40))
"""
INNER_OVERFLOW_JS = """
(() => { const w = document.querySelector('.lead-table').parentElement;
  return w.scrollWidth - w.clientWidth; })()
"""
# Form controls without an accessible name (label, aria-label, aria-labelledby, title).
UNNAMED_CONTROLS_JS = """
[...document.querySelectorAll('input, select, textarea, button')].filter(el => {
  if (el.type === 'hidden' || el.hidden || el.closest('[hidden], [aria-hidden=true]')) return false;
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title) return false;
  if (el.labels && [...el.labels].some(l => l.textContent.trim())) return false;
  if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
  if (el.type === 'submit' && el.value) return false;
  return true;
}).map(el => el.tagName.toLowerCase() + '#' + el.id + '[name=' + el.name + ']')
"""


def test_lead_list_is_dense_at_desktop_and_stacked_on_phones(page, login, rep, world):
    for index in range(45):
        factories.LeadFactory(
            owner_user=rep,
            first_name="Maximiliane",
            last_name=f"Oberhauser-Wittgenstein {index}",
            company_name="Internationale Versorgungs- und Instandhaltungsgesellschaft",
            email=f"maximiliane.oberhauser{index}@versorgungsgesellschaft.example",
        )
    login("rep")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/leads/?view=mine")
    assert page.evaluate(ROWS_ABOVE_FOLD_JS) >= 20
    # Every column fits: the table does not scroll inside its box either, also with
    # closed leads and their longer status reasons.
    for url in ["/leads/?view=all", "/leads/?view=mine"]:
        page.goto(url)
        assert page.evaluate(INNER_OVERFLOW_JS) <= 1, url
    assert page.evaluate(WRAPPED_CELLS_JS) == []
    # Long values are clipped with the full value in a tooltip.
    email_cell = page.locator(".lead-table td.c-email").first
    assert "@" in email_cell.get_attribute("title")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/leads/?view=mine")
    first_row = page.locator(".lead-table tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    # Name, company, status and owner stay; minor columns go.
    expect(
        page.locator(".lead-table tbody tr").first.locator("td.c-topic")
    ).to_be_hidden()
    box = page.locator(".lead-table tbody tr").first.locator("label.hit").bounding_box()
    assert box["height"] >= 40
    search = page.locator("#global-search")
    assert search.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16


def test_filters_collapse_and_show_as_removable_chips(page, login, rep, world):
    login("rep")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/leads/?view=open&rating={LeadRating.HOT}")
    assert page.locator("details.filter-panel").get_attribute("open") is None
    chip = page.get_by_role("link", name="Remove filter Rating: Hot")
    expect(chip).to_be_visible()
    expect(page.locator("#bulk-form")).to_be_hidden()
    page.locator(".lead-select").first.check()
    expect(page.locator("#bulk-form")).to_be_visible()
    # The assign pickers load when the bar first shows.
    expect(page.locator("#bulk-owner-user")).to_be_visible()
    expect(
        page.locator("#bulk-reason")
    ).to_be_hidden()  # no disqualify reason to assign
    page.select_option("#bulk-action", "disqualify")
    expect(page.locator("#bulk-reason")).to_be_visible()
    expect(page.locator("#bulk-owner-user")).to_be_hidden()
    chip.click()
    page.wait_for_url(lambda url: "rating=" not in url)


def main_pages(leads):
    """The pages a rep lives in, for the accessibility and phone checks."""
    return [
        "/",
        "/leads/?view=open",
        f"/leads/{leads['grace'].pk}/",
        f"/leads/{leads['dupe'].pk}/qualify/",
        f"/leads/merge/?ids={leads['Dev'].pk},{leads['Devendra'].pk}",
        "/leads/new/",
        "/accounts/",
        "/contacts/",
        "/opportunities/",
        "/search/?q=grace",
    ]


def test_main_pages_name_every_control_and_fit_phones(page, login, rep, world):
    urls = main_pages(world["leads"])
    login("rep")
    problems = []
    for width, height in [(1366, 900), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("load")
            unnamed = page.evaluate(UNNAMED_CONTROLS_JS)
            if unnamed:
                problems.append(f"{url} at {width}: unnamed {unnamed}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            if overflow > 1:
                problems.append(f"{url} at {width}: scrolls sideways {overflow}px")
    assert problems == [], "\n".join(problems)


def test_phone_qualify_shows_matches_before_the_button(page, login, rep, world):
    login("rep")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/leads/{world['leads']['dupe'].pk}/qualify/")
    matches = page.get_by_role("heading", name="Possible matches").bounding_box()
    button = page.get_by_role("button", name="Qualify", exact=True).bounding_box()
    assert matches["y"] < button["y"]


def test_global_search_from_the_top_bar(page, login, rep, rep2, world):
    factories.LeadFactory(owner_user=rep2, last_name="Hopper", company_name="Elsewhere")
    login("rep")
    page.goto("/")
    page.fill("#global-search", "hopper")
    with page.expect_navigation():
        page.press("#global-search", "Enter")
    leads = page.locator("#results-lead")
    expect(leads.get_by_role("link", name="Grace Hopper").first).to_be_visible()
    assert "Elsewhere" not in leads.inner_text()


def test_admin_lead_list_uses_the_width_and_transitions_sit_on_top(
    page, login, world, administrator
):
    login("administrator")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/admin/leads/lead/")
    overflow = page.evaluate(
        "(() => { const r = document.querySelector('.results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert overflow <= 1
    expect(page.locator("#result_list th.column-owner")).to_be_visible()
    page.goto(f"/admin/leads/lead/{world['leads']['grace'].pk}/change/")
    buttons = page.locator(".fsm-transitions-top").bounding_box()
    first_fieldset = page.locator("fieldset").first.bounding_box()
    assert buttons["y"] < first_fieldset["y"] and buttons["y"] < 900


AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
AXE_RUN_JS = """
async () => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}
"""


# axe is injected as a script tag; the app's CSP stays on.
@pytest.mark.browser_context_args(bypass_csp=True)
def test_main_pages_have_no_serious_axe_violations(page, login, world):
    login("rep")
    urls = main_pages(world["leads"])
    problems = []
    for width, height in [(1366, 900), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        for url in urls:
            page.goto(url)
            page.add_script_tag(path=AXE)
            for violation in page.evaluate(AXE_RUN_JS):
                problems.append(f"{url} at {width}: {violation}")
    assert problems == [], "\n".join(problems)
