"""Finding a person's values in text and JSON, and replacing them: no database.

A person is found by their *needles*: single names (first, last), strong values
(email addresses and the full name) and phone numbers (their digits). A text or a
JSON object that holds a strong value or a phone number is about the person; in
it every needle is replaced, single names too (as whole words). Rows tied to the
person (their record, its history, its timeline...) are about them by definition.

Every needle is looked for in the forms it is stored in: as typed, JSON-escaped
("Zo\\u00eb"), URL-encoded (a saved list query: "q.z%40example.org") and
HTML-escaped; a phone number whatever its punctuation ("+49 (30) 555-01",
"0049 30 55501"), by its digits.
"""

import html
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

ERASED = "[erased]"
MIN_NAME = 2  # shorter single names (initials) are not looked for
MIN_PHONE_DIGITS = 7  # as leadsite.core.phones compares numbers
_PHONE_SEPARATOR = r"(?:[\s().\-/+]|%20|%2B){0,3}"
# A record's fields that name, reach or locate the person: blanked wherever a JSON
# object about the person holds them (an API representation, an import row's
# values, a mass update's before and after).
PERSONAL_KEYS = frozenset(
    {
        "salutation",
        "first_name",
        "last_name",
        "full_name",
        "job_title",
        "email",
        "business_phone",
        "mobile_phone",
        "business_phone_digits",
        "mobile_phone_digits",
        "phone",
        "address_line1",
        "address_line2",
        "address_line3",
        "city",
        "state_or_province",
        "postal_code",
        "description",
        "original_message",
        "from_address",
        "to_address",
        "sender",
        "body",
    }
)


def phone_digits(value: str) -> str:
    """The number's digits before any extension, leading zeros dropped (as
    leadsite.core.phones.phone_digits; repeated so this module needs no app)."""
    value = re.sub(r"[A-Za-z].*", "", value or "", flags=re.DOTALL)
    return re.sub(r"[^0-9]", "", value).lstrip("0")


def folded(value: str) -> str:
    """`value` without accents ("Zanzibarová" → "Zanzibarova"), as people type a
    name into a file name or an address."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _variants(value: str) -> set[str]:
    """The forms a value is stored in: typed, without accents, JSON-escaped,
    URL-encoded, HTML-escaped."""
    found = set()
    for form in {value, folded(value)}:
        found |= {form, json.dumps(form)[1:-1], quote_plus(form), quote(form)}
        found.add(html.escape(form))
    return {v for v in found if v}


def _alternation(values: Iterable[str]) -> str:
    # Longest first, so "Quentin Zanzibarova" wins over "Quentin".
    return "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))


def phone_pattern(digits: str) -> str:
    """A Python pattern for the number with any punctuation between its digits and
    an optional + / 00 / trunk 0 before it."""
    return r"(?<!\d)(?:\+|0+)?" + _PHONE_SEPARATOR.join(digits) + r"(?!\d)"


def national_forms(digits: str) -> list[str]:
    """The number without a country code of one to three digits ("493055501234" →
    "3055501234"), as it may be written at home: looked for only in text already
    about the person (another country's number may end the same way)."""
    return [
        digits[k:]
        for k in range(1, 4)
        if len(digits) - k >= MIN_PHONE_DIGITS + 1 and digits[k] != "0"
    ]


def sql_phone_pattern(digits: str) -> str:
    """A looser pattern both PostgreSQL and SQLite understand (finds candidate rows;
    phone_pattern decides)."""
    return "[^0-9]{0,4}".join(digits)


@dataclass(frozen=True)
class Needles:
    names: frozenset = frozenset()
    strong: frozenset = frozenset()
    phones: frozenset = frozenset()
    _all: re.Pattern | None = field(default=None, compare=False, repr=False)
    _strong: re.Pattern | None = field(default=None, compare=False, repr=False)

    @classmethod
    def collect(cls, *, names=(), full_names=(), emails=(), phones=()) -> "Needles":
        """Needles from the values a person's records held (blanks and too-short
        values are left out)."""
        single = {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME}
        strong = {e.strip() for e in emails if e and "@" in e}
        strong |= {n.strip() for n in full_names if n and " " in n.strip()}
        digits = {phone_digits(p) for p in phones if p}
        digits = {d for d in digits if len(d) >= MIN_PHONE_DIGITS}
        return cls(frozenset(single), frozenset(strong), frozenset(digits))

    def with_strong(self, values) -> "Needles":
        """These needles and `values` as strong ones (a file name the erasure
        replaced, found again in a notification)."""
        extra = frozenset(v for v in values if v and len(v) >= MIN_NAME)
        return Needles(self.names, self.strong | extra, self.phones)

    def __bool__(self):
        return bool(self.names or self.strong or self.phones)

    def _pattern(self, *, single: bool) -> re.Pattern:
        parts = []
        words = set()
        for value in self.strong:
            if "@" in value:
                parts.append(_alternation(_variants(value)))
            else:
                words |= _variants(value)
        if single:
            for value in self.names:
                words |= _variants(value)
        if words:
            parts.append(r"(?<!\w)(?:" + _alternation(words) + r")(?!\w)")
        phones = set(self.phones)
        if single:
            phones |= {n for d in self.phones for n in national_forms(d)}
        parts += [phone_pattern(d) for d in sorted(phones)]
        if not parts:
            return re.compile(r"(?!x)x")  # matches nothing
        return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)

    @property
    def everything(self) -> re.Pattern:
        """Every needle: what is replaced in text about the person."""
        if self._all is None:
            object.__setattr__(self, "_all", self._pattern(single=True))
        return self._all

    @property
    def identifying(self) -> re.Pattern:
        """Strong values and phones: a text holding one is about the person."""
        if self._strong is None:
            object.__setattr__(self, "_strong", self._pattern(single=False))
        return self._strong

    def mentions(self, text: str) -> bool:
        return bool(text) and bool(self.identifying.search(text))

    def sql_literals(self) -> list[str]:
        """Strong values in every stored form, for case-insensitive `contains`."""
        return sorted({v for s in self.strong for v in _variants(s)})

    def sql_patterns(self) -> list[str]:
        return [sql_phone_pattern(d) for d in sorted(self.phones)]


def scrub_text(text: str, needles: Needles, *, about: bool) -> str:
    """`text` with the person's values replaced: every needle when the text is about
    the person (`about`, or it names them strongly), else nothing."""
    if not text or not isinstance(text, str):
        return text
    if not about and not needles.mentions(text):
        return text
    if text[:1] in "{[":
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            compact = '": ' not in text and '", "' not in text
            scrubbed = scrub_json(parsed, needles, about=about)
            return json.dumps(scrubbed, separators=(",", ":") if compact else None)
    return needles.everything.sub(ERASED, text)


def _about(node: dict, needles: Needles) -> bool:
    return any(isinstance(v, str) and needles.mentions(v) for v in node.values())


def scrub_json(value, needles: Needles, *, about: bool):
    """A JSON value with the person's values replaced. An object about the person
    (`about`, or one of its own strings names them strongly) has its PERSONAL_KEYS
    blanked and every needle replaced in its strings, down its whole subtree."""
    if isinstance(value, str):
        return scrub_text(value, needles, about=about)
    if isinstance(value, list):
        return [scrub_json(item, needles, about=about) for item in value]
    if isinstance(value, dict):
        here = about or _about(value, needles)
        result = {}
        for key, item in value.items():
            if here and key in PERSONAL_KEYS and item not in (None, "", [], {}):
                result[key] = ERASED if isinstance(item, str) else None
            else:
                result[key] = scrub_json(item, needles, about=here)
        return result
    return value


def scrub_bytes(data: bytes, needles: Needles, *, about: bool) -> bytes:
    """Bytes holding UTF-8 text (a stored API response): scrubbed as text."""
    if not data:
        return data
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        text = bytes(data).decode("latin-1")
        return scrub_text(text, needles, about=about).encode("latin-1", "replace")
    return scrub_text(text, needles, about=about).encode("utf-8")


def scrub_any(value, needles: Needles, *, about: bool):
    """Text, bytes or a JSON value, scrubbed by its kind."""
    if isinstance(value, str):
        return scrub_text(value, needles, about=about)
    if isinstance(value, bytes | memoryview | bytearray):
        return scrub_bytes(bytes(value), needles, about=about)
    if isinstance(value, dict | list):
        return scrub_json(value, needles, about=about)
    return value
