"""Translations: extract the messages into locale/<language>/LC_MESSAGES/*.po and
compile them to .mo (README "Languages").

    python scripts/i18n.py            extract (django + djangojs, every language of
                                      settings.LANGUAGES but English), then compile
    python scripts/i18n.py extract    only update the .po files (needs GNU gettext:
                                      xgettext, msgmerge, msguniq, msgattrib)
    python scripts/i18n.py compile    only compile .po -> .mo (pure Python, Babel;
                                      `make setup` runs it)
    python scripts/i18n.py pot DIR    write django.pot and djangojs.pot into DIR and
                                      nothing else (tests/test_translations.py)

Extraction is Django's makemessages with two additions: the Jinja2 templates
(templates/jinja2/) are read by Jinja2's own parser (their `_()`, `ngettext()`,
`pgettext()` calls and `{% trans %}` blocks, with the engine's trimmed policy), and
each run preprocesses templates in a private temporary folder, never beside them.
A catalog whose only change would be its POT-Creation-Date is left as it was.
"""

import io
import os
import re
import sys
import tempfile
from functools import cached_property
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsite.settings")

import django  # noqa: E402

django.setup()

from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.commands import makemessages  # noqa: E402
from jinja2.ext import GETTEXT_FUNCTIONS, babel_extract  # noqa: E402

from leadsite.core.jinja import I18N_POLICIES  # noqa: E402

LOCALE_DIR = BASE_DIR / "locale"
DOMAINS = ("django", "djangojs")
JINJA_DIR = Path("templates") / "jinja2"
# Not the product's text: the virtualenv, tests, third-party and built files.
IGNORE = [
    ".venv",
    "node_modules",
    "tests",
    "scripts",
    "docs",
    "locale",
    "static/vendor",
    "staticfiles",
    "media",
    "test-artifacts",
]
POT_DATE = re.compile(r'^"POT-Creation-Date: .*\\n"$', re.MULTILINE)


def languages() -> list[str]:
    """Every language of settings.LANGUAGES except the source language."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def jinja_as_python(source: bytes) -> str:
    """The gettext calls of a Jinja2 template as Python source that xgettext reads,
    each on the line of the template it came from."""
    options = {
        "trimmed": str(I18N_POLICIES["ext.i18n.trimmed"]),
        "newstyle_gettext": "true",
        "silent": "false",
    }
    lines: dict[int, list[str]] = {}
    comments: dict[int, str] = {}
    found = babel_extract(
        io.BytesIO(source), GETTEXT_FUNCTIONS, ["Translators"], options
    )
    for lineno, func, message, notes in found:
        call = _call(func, message)
        if call:
            lines.setdefault(lineno, []).append(call)
            if notes:
                comments[lineno] = " ".join(notes)
    out = []
    for number in range(1, source.count(b"\n") + 2):
        calls = lines.get(number)
        if calls:
            out.append("; ".join(calls))
        elif number + 1 in comments:
            # A translator's note stays with the line below (xgettext reads the
            # comment right above a call); one on a line with calls is dropped.
            out.append(f"# {comments[number + 1]}")
        else:
            out.append("")
    return "\n".join(out) + "\n"


def _call(func: str, message) -> str:
    """`func(message...)` in Python, or "" when its strings are not literals."""
    args = message if isinstance(message, tuple) else (message,)
    if func in ("_", "gettext"):
        func = "gettext"
    strings = [a for a in args if a is not None]
    need = {"gettext": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}.get(func)
    if need is None or len(strings) < need:
        return ""
    literal = ", ".join(repr(s) for s in strings[:need])
    if func in ("ngettext", "npgettext"):
        literal += ", n"
    return f"{func}({literal})"


class BuildFile(makemessages.BuildFile):
    """A file to extract from: templates are preprocessed into the run's own
    temporary folder (so runs never meet), Jinja2 templates by Jinja2's parser."""

    @cached_property
    def work_path(self):
        if not self.is_templatized:
            return self.path
        return os.path.join(
            self.command.work_dir,
            os.path.normpath(self.translatable.dirpath),
            f"{self.translatable.file}.py",
        )

    @property
    def is_jinja(self) -> bool:
        return Path(os.path.normpath(self.path)).is_relative_to(JINJA_DIR)

    def preprocess(self):
        if not self.is_templatized:
            return
        os.makedirs(os.path.dirname(self.work_path), exist_ok=True)
        if self.is_jinja:
            content = jinja_as_python(Path(self.path).read_bytes())
            Path(self.work_path).write_text(content, encoding="utf-8")
        else:
            super().preprocess()

    def postprocess_messages(self, msgs):
        if not self.is_templatized:
            return msgs
        source = os.path.normpath(self.path)
        return re.sub(
            r"^(#: .*)(" + re.escape(self.work_path) + r")",
            lambda match: match[0].replace(self.work_path, source),
            msgs,
            flags=re.MULTILINE,
        )


class Command(makemessages.Command):
    """makemessages with the BuildFile above; with `pot_dir` set it writes only
    the .pot file there and touches no catalog."""

    build_file_class = BuildFile
    # A changed msgid comes back untranslated, not with a guessed ("fuzzy")
    # translation of a similar one.
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
    pot_dir = None

    def handle(self, *args, **options):
        with tempfile.TemporaryDirectory(prefix="leadsite-i18n-") as work_dir:
            self.work_dir = work_dir
            return super().handle(*args, **options)

    def find_files(self, root):
        files = super().find_files(root)
        if self.pot_dir:
            for translatable in files:
                translatable.locale_dir = self.pot_dir
            self.locale_paths = [self.pot_dir]
        return files

    def write_po_file(self, potfile, locale):
        if not self.pot_dir:
            super().write_po_file(potfile, locale)


def extract(pot_dir: str | None = None) -> None:
    """Update every language's catalogs (or, with `pot_dir`, write the templates
    there only)."""
    os.chdir(BASE_DIR)
    before = {po: po.read_text("utf-8") for po in LOCALE_DIR.glob("*/*/*.po")}
    for domain in DOMAINS:
        command = Command()
        command.pot_dir = pot_dir
        call_command(
            command,
            locale=languages(),
            domain=domain,
            ignore_patterns=IGNORE,
            no_obsolete=True,
            add_location="file",
            keep_pot=bool(pot_dir),
            verbosity=0,
        )
    for po in LOCALE_DIR.glob("*/*/*.po"):
        text = _with_header(po.read_text("utf-8"), language=po.parent.parent.name)
        old = before.get(po)
        if old is not None and POT_DATE.sub("", text) == POT_DATE.sub("", old):
            text = old
        po.write_text(text, "utf-8")


def _with_header(text: str, *, language: str) -> str:
    """A new catalog's header filled in (xgettext leaves placeholders, marked
    fuzzy); msgmerge keeps it from then on."""
    if not text.startswith("# SOME DESCRIPTIVE TITLE."):
        return text
    name = dict(settings.LANGUAGES)[language]
    head, rest = text.split('msgid ""\n', 1)
    head = f"# LeadSite: {name} ({language}).\n#\n"
    rest = (
        rest.replace("PACKAGE VERSION", "LeadSite")
        .replace('"Language: \\n"', f'"Language: {language}\\n"')
        .replace("LANGUAGE <LL@li.org>", name)
        .replace("FULL NAME <EMAIL@ADDRESS>", "LeadSite")
    )
    return head + 'msgid ""\n' + rest


def compile_catalogs() -> list[Path]:
    """Write each locale/*/LC_MESSAGES/*.po as its .mo (fuzzy entries left out,
    as msgfmt does)."""
    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        data = compiled(po)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written.append(mo)
    return written


def compiled(po: Path) -> bytes:
    """The .mo bytes of the catalog `po`."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


# %(name)s, %s, %d ... (Python and JavaScript interpolate), {name} and {{ name }}
# (Python str.format and LeadSite's email placeholders); %% is a literal sign.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0+]*\d*(?:\.\d+)?[sdifeEgGxXr]|%[-#0+]*\d*(?:\.\d+)?[sdifeEgGxXr]"
    r"|\{\{\s*[\w.]+\s*\}\}|\{[\w.]*\}"
)


def placeholders(text: str) -> list[str]:
    """The placeholders of `text`, sorted (a translation must keep them all)."""
    return sorted(
        re.sub(r"\s+", "", match)
        for match in PLACEHOLDER.findall(text.replace("%%", ""))
    )


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "all"
    if action in ("all", "extract"):
        extract()
    if action in ("all", "compile"):
        for mo in compile_catalogs():
            print(f"compiled {mo.relative_to(BASE_DIR)}")
    if action == "pot":
        if len(argv) != 2:
            print("usage: scripts/i18n.py pot DIR", file=sys.stderr)
            return 2
        os.makedirs(argv[1], exist_ok=True)
        extract(pot_dir=os.path.abspath(argv[1]))
    if action not in ("all", "extract", "compile", "pot"):
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
