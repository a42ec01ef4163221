"""Lead scoring in Chromium as `rep`: the home page's "Call these first" ordered by
score, the lead page's score, grade and factors (as sentences and a chart), a pin
through the lead page; desktop (1280) and phone (390) screenshots of both pages in
test-artifacts/."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import LeadRating, LeadScore, LeadSource
from leads.services.scoring import rebuild_scores, request_rebuild
from tests import factories
from tests.browser.conftest import USER_WAIT_MS

pytestmark = pytest.mark.django_db(transaction=True)

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

# The closed leads the model learns from: (source, rating, qualified, disqualified).
HISTORY = [
    (LeadSource.EMPLOYEE_REFERRAL, LeadRating.HOT, 36, 6),
    (LeadSource.EMPLOYEE_REFERRAL, LeadRating.WARM, 14, 8),
    (LeadSource.WEB, LeadRating.COLD, 8, 52),
    (LeadSource.WEB, LeadRating.WARM, 12, 20),
    (LeadSource.TRADE_SHOW, LeadRating.WARM, 16, 16),
    (LeadSource.PARTNER, LeadRating.HOT, 14, 6),
]
# The rep's open leads: (first, last, company, source, rating, worked the first day).
OPEN_LEADS = [
    ("Ana", "Silva", "Mercado Foods", LeadSource.EMPLOYEE_REFERRAL, LeadRating.HOT, 1),
    ("Ben", "Okafor", "Lagos Freight", LeadSource.WEB, LeadRating.COLD, 0),
    ("Chloé", "Martin", "Atelier Martin", LeadSource.TRADE_SHOW, LeadRating.WARM, 1),
    ("Dev", "Patel", "Patel & Sons", LeadSource.PARTNER, LeadRating.HOT, 0),
    ("Eva", "Novak", "Novak Print", LeadSource.WEB, LeadRating.WARM, 1),
]


@pytest.fixture
def scored(rep, manager):
    """Over 200 closed leads with both outcomes (worked on the first day far more
    often when qualified), the rep's open leads, and a rebuild that scores them."""
    now = timezone.now()
    n = 0
    for source, rating, qualified, disqualified in HISTORY:
        for i in range(qualified + disqualified):
            n += 1
            won = i < qualified
            created = now - (40 + n % 30) * D
            worked = (i % 4 != 0) if won else (i % 3 == 0)
            factories.LeadFactory(
                owner_user=manager,
                source=source,
                rating=rating,
                created_at=created,
                first_activity_at=created + 3 * H if worked else None,
                qualified=won,
                disqualified=not won,
                closed_at=created + 12 * D,
                decision_maker=won and i % 2 == 0,
            )
    leads = {}
    for first, last, company, source, rating, worked in OPEN_LEADS:
        created = now - 6 * D
        leads[last] = factories.LeadFactory(
            owner_user=rep,
            first_name=first,
            last_name=last,
            company_name=company,
            source=source,
            rating=rating,
            created_at=created,
            first_activity_at=created + 2 * H if worked else None,
        )
    rebuild, _ = request_rebuild(by=None)
    rebuild_scores(rebuild_id=rebuild.pk)
    return leads


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"
    )


def test_rep_calls_the_best_leads_first_and_reads_why(page, login, screenshot, scored):
    scores = dict(LeadScore.objects.values_list("lead_id", "score"))
    best_first = sorted(scored.values(), key=lambda lead: -scores[lead.pk])
    login("rep")
    page.goto("/")
    card = page.locator("#call-first")
    expect(card.get_by_role("heading", name="Call these first")).to_be_visible()
    shown = [int(s) for s in card.locator(".call-first-score").all_inner_texts()]
    assert len(shown) == len(OPEN_LEADS)
    assert shown == sorted(shown, reverse=True)
    assert shown == [scores[lead.pk] for lead in best_first]
    names = card.locator("td.c-name").all_inner_texts()
    assert names[0] == str(best_first[0].full_name)
    assert card.locator("td.c-factor").first.inner_text().endswith("×")
    screenshot("scoring-home-1280")

    card.get_by_role("link", name=best_first[0].full_name).click()
    page.wait_for_url(re.compile(rf"/leads/{best_first[0].pk}/"))
    panel = page.locator("#score")
    expect(panel.locator("#score-value")).to_have_text(str(scores[best_first[0].pk]))
    expect(panel.locator("#score-grade")).to_have_text(re.compile(r"^Grade [A-D]$"))
    sentences = panel.locator(".factor-sentence").all_inner_texts()
    assert 3 <= len(sentences) <= 5, sentences
    assert all("as often as average" in s for s in sentences), sentences
    assert any(s.startswith("Source is Employee Referral") for s in sentences)
    bars = panel.locator(".factor-bar .factor-fill")
    assert bars.count() == len(sentences)
    assert all(box["width"] > 0 for box in (b.bounding_box() for b in bars.all()))
    # Helping factors draw right of the middle, hurting ones left of it.
    assert panel.locator(".factor-helps").count() >= 1
    screenshot("scoring-lead-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(panel.locator("#score-value")).to_be_visible()
    assert _no_sideways_scroll(page)
    screenshot("scoring-lead-390")
    page.goto("/")
    expect(page.locator("#call-first")).to_be_visible()
    assert _no_sideways_scroll(page)
    screenshot("scoring-home-390")


def test_rep_pins_a_score_from_the_lead_page(page, login, screenshot, scored):
    lead = scored["Okafor"]
    model_score = LeadScore.objects.get(lead=lead).model_score
    login("rep")
    page.goto(lead.get_absolute_url())
    panel = page.locator("#score")
    panel.get_by_text("Pin a score").click()
    panel.get_by_label("Score").fill("120")
    panel.get_by_label("Reason").fill("Signed a letter of intent")
    panel.get_by_role("button", name="Pin score").click()
    # Out of range: the form again, the error beside the field, the input kept.
    expect(page.locator("#id_pinned_score_error")).to_contain_text("100")
    expect(page.get_by_label("Reason")).to_have_value("Signed a letter of intent")
    screenshot("scoring-pin-error-1280")
    page.get_by_label("Score").fill("99")
    page.get_by_role("button", name="Pin score").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/$"))
    expect(page.locator(".message-success")).to_contain_text("Score pinned at 99")
    expect(panel.locator("#score-value")).to_have_text("99")
    expect(panel.locator("#score-pin")).to_contain_text("Signed a letter of intent")
    expect(panel.locator("#score-model")).to_have_text(str(model_score))
    screenshot("scoring-lead-pinned-1280")

    page.goto("/")
    first = page.locator("#call-first tbody tr").first
    expect(first).to_contain_text("Okafor")
    expect(first).to_contain_text("Pinned")

    page.goto(lead.get_absolute_url())
    panel.get_by_role("button", name="Unpin").click()
    expect(page.locator(".message-success")).to_contain_text("Pin removed")
    expect(panel.locator("#score-value")).to_have_text(str(model_score))


def test_administrator_rebuilds_the_scores_and_watches_it_finish(
    page, login, screenshot, scored, administrator, task_worker
):
    with task_worker.quiet():
        before = LeadScore.objects.count()
    login("administrator")
    page.goto("/admin/leads/scorerebuild/")
    page.get_by_role("button", name="Rebuild scores now").click()
    page.wait_for_url(re.compile(r"/admin/leads/scorerebuild/\d+/change/"))
    expect(page.locator(".messagelist")).to_contain_text("Score rebuild queued")
    # The page reloads itself until the worker is done.
    expect(page.locator("#rebuild-progress")).to_contain_text(
        "Done", timeout=USER_WAIT_MS
    )
    expect(page.locator("#rebuild-progress")).to_contain_text(
        f"{len(OPEN_LEADS)} open leads rescored"
    )
    screenshot("scoring-admin-rebuild")
    with task_worker.quiet():
        assert LeadScore.objects.count() == before
