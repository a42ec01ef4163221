"""German and French in a real browser: the language chosen on the login page's
switcher carries through the session; the lead list, a lead's page, the qualify
page, the source report and the public capture form show no English text left
(no English msgid that has a translation of its own) and no layout broken by the
longer words: the page never scrolls sideways at 1366 or 390 px, and no button
cuts its text. Screenshots: test-artifacts/language-<lang>-<page>-<width>.png."""

import io
import re

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import save_screenshot
from tests.i18n_support import build_dataset

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
PLACEHOLDER_OR_TAG = re.compile(
    r"%\([^)]+\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]|%[sd]|\{\{[^}]*\}\}|\{[\w.]*\}|<[^>]+>"
)
LONG_WORD = re.compile(r"[A-Za-z]{4,}")
# English words that German and French never use: two of them in one text is an
# English sentence, even one the catalogs do not know (not wrapped yet).
ENGLISH_ONLY = set(
    "the and you your yet with this that from have has been which there their "
    "them will would should could into only than when where what who not are "
    "isn't can't don't does here these those".split()
)

# Visible texts (text nodes of rendered elements, the title) and the attributes a
# user reads; and what breaks the layout: sideways scrolling, clipped buttons.
READ_PAGE = """() => {
  const texts = [document.title];
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(parent.tagName)) continue;
    if (parent.closest('.language-switcher, select[name=time_zone], .brand')) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && shown(parent)) texts.push(text);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], img[alt]')) {
    if (el.closest('.language-switcher, .brand')) continue;
    for (const name of ['title', 'placeholder', 'aria-label', 'alt']) {
      const value = (el.getAttribute(name) || '').trim();
      if (value) texts.push(value);
    }
  }
  const root = document.documentElement;
  const clipped = [];
  for (const el of document.querySelectorAll('button, .button, input[type=submit]')) {
    if (!shown(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) clipped.push(el.textContent.trim() || el.value);
  }
  return {texts, clipped, scrollWidth: root.scrollWidth, clientWidth: root.clientWidth};
}"""


def english_msgids(language: str) -> tuple[set[str], list[str]]:
    """The English texts a page in `language` must not show: the literal parts of
    every msgid whose translation differs from it (or is missing). Returns the
    parts to match whole, and the longer ones (3+ words) to find inside a text."""
    whole, inside, native = set(), [], set()
    for domain in ("django", "djangojs"):
        path = settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists():
            continue
        for message in read_po(io.BytesIO(path.read_bytes()), locale=language):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = (
                message.string
                if isinstance(message.string, tuple)
                else (message.string,)
            )
            if not message.id:
                continue
            for string in filter(None, strings):
                native.update(_parts(string))
            if any(s and s in ids for s in strings):
                continue  # the same in both languages ("Status", "Notifications")
            for msgid in ids:
                for part in _parts(msgid):
                    if LONG_WORD.search(part):
                        whole.add(part)
    # A part that a translation uses too is a word of that language as well
    # ("Contact", "Budget", "Filter"); LeadSite is everyone's.
    whole -= native | {"LeadSite"}
    inside = [part for part in whole if len(part.split()) >= 3]
    return whole, inside


def _parts(text: str) -> list[str]:
    """The literal parts of a msgid or translation, between its placeholders and
    tags."""
    return [
        " ".join(part.split()).strip(" .,:;()·–—")
        for part in PLACEHOLDER_OR_TAG.split(text)
    ]


def english_left(texts, whole, inside) -> list[str]:
    found = []
    for text in dict.fromkeys(texts):
        bare = text.strip(" .,:;()·–—…")
        words = re.findall(r"[a-z']+", text.lower())
        if (
            bare in whole
            or any(part in text for part in inside)
            or sum(word in ENGLISH_ONLY for word in words) >= 2
        ):
            found.append(text)
    return found


@pytest.fixture
def dataset(db):
    return build_dataset()


@pytest.mark.parametrize("language", ["de", "fr"])
def test_pages_in_german_and_french_have_no_english_and_fit(
    page, dataset, language, live_server
):
    whole, inside = english_msgids(language)
    # The switcher on the login page chooses the language; it holds after logging in.
    page.goto("/login/")
    page.select_option("#language-switcher", language)
    page.locator(".language-switcher button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("input[name=username]", dataset.rep.username)
    page.fill("input[name=password]", "leadsite")
    page.click(".login-card button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    expect(page.locator("html")).to_have_attribute("lang", language)

    pages = {
        "lead-list": reverse("leads:list"),
        "lead": reverse("leads:detail", args=[dataset.lead.pk]),
        "qualify": reverse("leads:qualify", args=[dataset.lead.pk]),
        "source-report": reverse("leads:source-report"),
        "capture-form": reverse("capture", args=[dataset.capture_form.token]),
    }
    problems = []
    for width_name, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            expect(page.locator("html")).to_have_attribute("lang", language)
            save_screenshot(
                page, f"test-artifacts/language-{language}-{name}-{width_name}.png"
            )
            seen = page.evaluate(READ_PAGE)
            where = f"{name} at {viewport['width']} px"
            if seen["scrollWidth"] > seen["clientWidth"]:
                problems.append(
                    f"{where}: the page scrolls sideways "
                    f"({seen['scrollWidth']} > {seen['clientWidth']} px)"
                )
            problems += [f"{where}: button text cut: {t!r}" for t in seen["clipped"]]
            if width_name == "desktop":
                problems += [
                    f"{where}: English left: {t!r}"
                    for t in english_left(seen["texts"], whole, inside)
                ]
    assert not problems, f"{language}:\n" + "\n".join(problems)
