"""The German and French catalogs (locale/<language>/LC_MESSAGES/django.po and
djangojs.po): complete, nothing fuzzy, every placeholder and tag kept, up to date
with the code (extraction finds exactly their msgids) and compiled (.mo committed).

After changing a user-visible string: `python scripts/i18n.py`, translate what it
added, run it again (README "Languages")."""

import importlib.util
import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from tests.i18n_support import extract_pot

BASE_DIR = Path(settings.BASE_DIR)
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*")


def _tool():
    spec = importlib.util.spec_from_file_location(
        "leadsite_i18n_tool", BASE_DIR / "scripts" / "i18n.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


i18n = _tool()


def catalog_path(language, domain) -> Path:
    return BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, locale=None):
    # xgettext's template header says "nplurals=INTEGER", which Babel refuses.
    text = path.read_bytes().replace(
        b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);"
    )
    return read_po(io.BytesIO(text), locale=locale)


def key(message) -> str:
    """How the message is named in a failure: context, msgid (and plural)."""
    msgid = message.id if isinstance(message.id, str) else " | ".join(message.id)
    return f"[{message.context}] {msgid}" if message.context else msgid


def entries(language, domain):
    path = catalog_path(language, domain)
    if not path.exists():
        return []
    return [m for m in read(path, locale=language) if m.id]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, set[str]]:
    """domain -> the msgids that extraction finds in the code now."""
    if shutil.which("xgettext") is None:
        pytest.skip("extraction needs GNU gettext's xgettext (Debian: gettext)")
    pots = extract_pot(tmp_path_factory.mktemp("pot"))
    return {
        domain: {key(m) for m in read(pots[domain]) if m.id}
        if domain in pots
        else set()
        for domain in DOMAINS
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalog_has_exactly_the_msgids_of_the_code(language, domain, extracted):
    path = catalog_path(language, domain)
    in_code = extracted[domain]
    if not in_code:
        assert not path.exists(), f"{path.name}: the code has no {domain} strings"
        return
    assert path.exists(), f"no {path}: run python scripts/i18n.py"
    in_catalog = {key(m) for m in entries(language, domain)}
    missing = sorted(in_code - in_catalog)
    stale = sorted(in_catalog - in_code)
    assert not missing and not stale, (
        f"{path.relative_to(BASE_DIR)} is not up to date with the code "
        "(run python scripts/i18n.py):\n"
        + "".join(f"  missing: {m!r}\n" for m in missing[:50])
        + "".join(f"  no longer in the code: {m!r}\n" for m in stale[:50])
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_none_is_fuzzy(language, domain):
    untranslated, fuzzy = [], []
    for message in entries(language, domain):
        forms = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message.fuzzy:
            fuzzy.append(key(message))
        elif not all(forms):
            untranslated.append(key(message))
    assert not untranslated and not fuzzy, (
        f"{language}/{domain}.po: {len(untranslated)} untranslated, "
        f"{len(fuzzy)} fuzzy:\n"
        + "".join(f"  untranslated: {m!r}\n" for m in untranslated)
        + "".join(f"  fuzzy: {m!r}\n" for m in fuzzy)
    )


def _problems(message) -> list[str]:
    """Placeholders and HTML tags the translation does not keep."""
    if isinstance(message.id, str):
        pairs = [(message.id, message.string)]
    else:
        singular, plural = message.id
        # Each form keeps the plural's placeholders, except that a form for one
        # item may leave the count out ("Ein Lead").
        pairs = [(plural, form) for form in message.string]
    problems = []
    for index, (source, translated) in enumerate(pairs):
        if not translated:
            continue
        want, have = i18n.placeholders(source), i18n.placeholders(translated)
        if have != want:
            allowed_to_omit = index == 0 and len(pairs) > 1
            extra = set(have) - set(want) - set(i18n.placeholders(message.id[0]))
            if not (allowed_to_omit and not extra):
                problems.append(f"placeholders {have} instead of {want}")
        if sorted(TAG.findall(source)) != sorted(TAG.findall(translated)):
            problems.append("HTML tags differ")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_every_placeholder_and_tag(language, domain):
    bad = []
    for message in entries(language, domain):
        for problem in _problems(message):
            bad.append(f"  {key(message)!r} -> {message.string!r}: {problem}")
    assert not bad, f"{language}/{domain}.po:\n" + "\n".join(bad)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_files_are_the_compiled_catalogs(language, domain):
    po = catalog_path(language, domain)
    if not po.exists():
        return
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.read_bytes() == i18n.compiled(po), (
        f"{mo.relative_to(BASE_DIR)} is older than its .po: "
        "run python scripts/i18n.py compile"
    )


def test_placeholders_are_read_as_a_translator_writes_them():
    assert i18n.placeholders("Qualify %(name)s (%(count)d)") == [
        "%(count)d",
        "%(name)s",
    ]
    assert i18n.placeholders("50%% of {{ signature }} {name}") == [
        "{name}",
        "{{signature}}",
    ]
    assert i18n.placeholders("100 % erledigt") == []


def test_jinja2_templates_are_extracted_with_their_line_and_placeholders():
    source = (
        b'<a title="{{ _("Select %(name)s", name=row.name) }}">\n'
        b'{{ pgettext("lead status", "Open") }}'
        b' {{ ngettext("%(num)d lead", "%(num)d leads", n) }}\n'
        b"{% trans count=n %}{{ count }} day{% pluralize %}{{ count }} days"
        b"{% endtrans %}\n"
    )
    assert i18n.jinja_as_python(source).rstrip("\n").splitlines() == [
        "gettext('Select %(name)s')",
        "pgettext('lead status', 'Open'); ngettext('%(num)d lead', '%(num)d leads', n)",
        "ngettext('%(count)s day', '%(count)s days', n)",
    ]
