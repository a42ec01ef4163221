"""No English left on the main pages: a pseudo-locale finds every string that does
not go through the translation machinery.

At test time, a catalog is built from every msgid the code has (scripts/i18n.py
extracts them) and from Django's and the installed apps' own catalogs: each
translation is its msgid with every letter swapped for an accented look-alike
("Leads" -> "⟦Ļéáđš⟧"), placeholders, tags and entities kept. Compiled into a temp
LOCALE_PATHS, it stands in for German (so German date and number formats apply).
Then the main pages are read as each role with a small dataset of made-up words
(tests/i18n_support.py): any plain-ASCII word left on a page, that is not a value
of the database, an address, a link, a number or a date, is English that no
translation can reach. The failure lists each one with its page and element.
"""

import io
import re
from pathlib import Path

import django
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.utils import timezone, translation

from accounts.models import User
from tests.i18n_support import (
    EnglishFinder,
    build_dataset,
    data_values,
    extract_pot,
    pages,
    public_pages,
    texts,
)

CARRIER = "de"
OPEN, CLOSE = "⟦", "⟧"
LOOK_ALIKES = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝĥíĵķļɱñóþʠŕšţúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĻṀÑÓÞǪŔŠŢÚṼŴẊÝŽ",
)
# Kept as they are: placeholders, tags, entities, {{ signature }}-style names.
KEPT = re.compile(
    r"%\([^)]+\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0+]*\d*(?:\.\d+)?[sdifr]|%%"
    r"|\{\{[^}]*\}\}|\{[\w.]*\}|<[^>]+>|&#?\w+;"
)


def pseudo(text: str) -> str:
    """`text` in the pseudo-locale: letters swapped outside what KEPT matches."""
    out, last = [], 0
    for match in KEPT.finditer(text):
        out.append(text[last : match.start()].translate(LOOK_ALIKES))
        out.append(match.group())
        last = match.end()
    out.append(text[last:].translate(LOOK_ALIKES))
    return OPEN + "".join(out) + CLOSE


def _messages(path):
    text = path.read_bytes().replace(
        b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);"
    )
    return [m for m in read_po(io.BytesIO(text)) if m.id]


def _sources(pot_files) -> list:
    """The catalogs whose msgids get a pseudo translation: Django's, the installed
    apps', then the code's."""
    django_dir = django.__path__[0]
    found = [f"{django_dir}/conf/locale/{CARRIER}/LC_MESSAGES/django.po"]
    for app in apps.get_app_configs():
        found.append(f"{app.path}/locale/{CARRIER}/LC_MESSAGES/django.po")
    return [p for p in map(Path, found) if p.exists()] + [pot_files["django"]]


@pytest.fixture(scope="module")
def pseudo_locale(tmp_path_factory):
    """A LOCALE_PATHS folder with the pseudo catalog as German."""
    root = tmp_path_factory.mktemp("pseudo")
    pot_files = extract_pot(root / "pot")
    catalog = Catalog(locale=CARRIER, domain="django")
    for source in _sources(pot_files):
        for message in _messages(source):
            if isinstance(message.id, tuple):
                string = tuple(pseudo(form) for form in message.id)
            else:
                string = pseudo(message.id)
            catalog.add(message.id, string, context=message.context)
    folder = root / "locale" / CARRIER / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "django.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return root / "locale"


@pytest.fixture
def pseudo_site(settings, pseudo_locale):
    settings.LOCALE_PATHS = [pseudo_locale]
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


def test_the_pseudo_locale_swaps_letters_and_keeps_placeholders():
    assert pseudo("Qualify %(name)s") == "⟦Ǫúáļíƒý %(name)s⟧"
    assert pseudo('<a href="%(url)s">Open</a> &amp; more') == (
        '⟦<a href="%(url)s">Óþéñ</a> &amp; ɱóŕé⟧'
    )
    assert not re.search(r"[A-Za-z]{2}", pseudo("Sign in to LeadSite"))


def test_the_main_pages_show_no_english(client, pseudo_site, db):
    data = build_dataset()
    User.objects.update(language=CARRIER)
    finder = EnglishFinder(data_values())
    offences: dict[tuple[str, str, str], set[str]] = {}
    unreached, untranslated_pages = [], []
    opened: dict[str, set[str]] = {}

    def read(name, role, response):
        if response.status_code != 200:
            unreached.append(f"{name} as {role}: {response.status_code}")
            return
        opened.setdefault(name, set()).add(role)
        html = response.content.decode()
        if OPEN not in html:
            untranslated_pages.append(f"{name} as {role}")
        for where, text in texts(html):
            words = finder.words(text)
            if words:
                offences.setdefault((name, where, text), set()).add(role)

    for name, url in public_pages(data).items():
        read(name, "anonymous", client.get(url, HTTP_ACCEPT_LANGUAGE=CARRIER))
    for role in ("rep", "manager", "administrator"):
        client.force_login(getattr(data, role))
        for name, url in pages(data).items():
            read(name, role, client.get(url))
        client.logout()

    assert not untranslated_pages, (
        "the pseudo-locale did not reach these pages: " + ", ".join(untranslated_pages)
    )
    nobody = [n for n in [*public_pages(data), *pages(data)] if not opened.get(n)]
    assert not nobody, f"pages nobody could open: {nobody} ({unreached})"
    if offences:
        lines = [
            f"English left on {len({k[0] for k in offences})} pages "
            f"({len(offences)} texts): wrap them in {{% translate %}} / gettext.",
        ]
        for (name, where, text), roles in sorted(offences.items()):
            words = " ".join(dict.fromkeys(finder.words(text)))
            lines.append(
                f"  {name} [{', '.join(sorted(roles))}] {where}: {text!r}  <- {words}"
            )
        pytest.fail("\n".join(lines), pytrace=False)
