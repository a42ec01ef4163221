"""Phone numbers compared by their digits, whatever the formatting.

"+1 (415) 555-9941", "415.555.9941" and "4155559941" are one number. Each phone
column of a lead, account or contact has a twin `<column>_digits`: a generated
column (GeneratedField, stored) holding the number's digits, so every write (form,
service, bulk insert, COPY) keeps it right, and searches compare digits through an
index. An extension ("x12", "ext. 12") is not part of the number, and neither are
leading zeros (a trunk "0" or an international "00"): "020 5555 0101" keeps
"2055550101", which "+44 20 5555 0101" ("442055550101") ends with.

Two numbers are the same when their digits are equal or one ends with the other
and the shorter has at least MIN_DIGITS digits: a national number matches its
international form ("4155559941" and "+1 415 555 9941").
"""

import re

from django.db.models import CharField, Func, GeneratedField, Q
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith

MIN_DIGITS = 7
# What the global search takes for a phone number (at least four digits).
PHONE_RE = re.compile(r"^\+?[\d\s().\-/]{4,}$")
_EXTENSION_RE = re.compile(r"[A-Za-z].*", re.DOTALL)
_NOT_DIGIT_RE = re.compile(r"[^0-9]")
# SQLite has no regular expressions: these are stripped one REPLACE each. With the
# cut at the first "x" they cover what the phone fields accept (digits, spaces,
# + ( ) - . / and an "x 12" or "ext. 12" extension: the "e" of "ext" is left).
_SQLITE_STRIPPED = [" ", "\u00a0", "\t", "(", ")", ".", "-", "/", "+", "e", "E"]


def phone_digits(value) -> str:
    """The digits of a phone number before any extension, leading zeros dropped:
    "+1 (415) 555-9941 x2" → "14155559941", "020 5555 0101" → "2055550101". The
    same as the generated `*_digits` columns hold."""
    return _NOT_DIGIT_RE.sub("", _EXTENSION_RE.sub("", value or "")).lstrip("0")


def looks_like_phone(value: str) -> bool:
    """Digits and phone punctuation only, at least four digits."""
    return bool(PHONE_RE.match(value)) and sum(ch.isdigit() for ch in value) >= 4


def same_number(a: str, b: str) -> bool:
    """Whether two digit strings are the same number (equal, or one ends with the
    other, the shorter having MIN_DIGITS)."""
    short, long = sorted((a or "", b or ""), key=len)
    return len(short) >= MIN_DIGITS and long.endswith(short)


def _shorter_forms(digits: str) -> list[str]:
    """The number without leading digits (a country or trunk code), down to
    MIN_DIGITS: what a national number stored for `digits` can be."""
    return [digits[i:] for i in range(1, len(digits) - MIN_DIGITS + 1)]


def same_phone_q(fields: list[str], value: str) -> Q | None:
    """Rows whose number in any of `fields` (digit columns) is the same number as
    `value` (see same_number); None when `value` has fewer than MIN_DIGITS digits.
    Equality and "ends with": a btree serves the first; the second is a prefix
    match of the reversed digits, which PostgreSQL's btree on reverse(column)
    (text_pattern_ops) serves (leads 0014, accounts 0011)."""
    digits = phone_digits(value)
    if len(digits) < MIN_DIGITS:
        return None
    shorter = _shorter_forms(digits)
    condition = Q()
    for name in fields:
        condition |= Q(StartsWith(Reverse(name), digits[::-1]))
        if shorter:
            condition |= Q(**{f"{name}__in": shorter})
    return condition


def phone_search_q(fields: list[str], value: str, *, min_digits=MIN_DIGITS):
    """Rows whose number in any of `fields` (digit columns) contains the digits of
    `value`, or is a shorter (national) form of it; None when `value` is not a phone
    number of at least `min_digits` digits."""
    value = (value or "").strip()
    digits = phone_digits(value)
    if not looks_like_phone(value) or len(digits) < min_digits:
        return None
    shorter = _shorter_forms(digits)
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__contains": digits})
        if shorter:
            condition |= Q(**{f"{name}__in": shorter})
    return condition


class PhoneDigits(Func):
    """phone_digits() in SQL, for a GeneratedField: an immutable expression on both
    databases. PostgreSQL cuts at the first letter and drops every non-digit (as
    phone_digits does); SQLite cuts at the first "x" and strips _SQLITE_STRIPPED,
    which gives the same for every value the phone fields accept. Both then trim
    leading zeros."""

    arity = 1
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        # SQLite (and any backend without regular expressions).
        sql, params = compiler.compile(self.source_expressions[0])
        cut = f"SUBSTR({sql}, 1, INSTR(LOWER({sql}) || 'x', 'x') - 1)"
        for char in _SQLITE_STRIPPED:
            cut = f"REPLACE({cut}, '{char}', '')"
        return f"LTRIM({cut}, '0')", (*params, *params)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"ltrim(regexp_replace(regexp_replace({sql}, '[A-Za-z].*', ''), "
            "'[^0-9]', '', 'g'), '0')",
            params,
        )


def phone_digits_field(source: str) -> GeneratedField:
    """A stored column holding the digits of the `source` phone field, written by
    the database on every insert and update (bulk ones and COPY included)."""
    return GeneratedField(
        expression=PhoneDigits(source),
        output_field=CharField(max_length=50),
        db_persist=True,
    )
