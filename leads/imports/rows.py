"""Import rows as lead fields: each value converted (option sets as codes, labels or
another product's values, numbers, dates, flags, campaigns, owners, full names,
creation dates, source record IDs), required fields filled from the batch's
templates where no column gives them, and validated with the model's rules, with
the column and reason of every problem; read CHUNK_ROWS rows at a time."""

import datetime
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Value
from django.db.models.functions import Concat, Lower
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import assignable_users
from leads.exports import (
    BOOL,
    CAMPAIGN,
    COLUMN_BY_FIELD,
    DATE,
    ID,
    INT,
    MONEY,
    OPTION,
    unguard_formula,
)
from leads.imports import sources
from leads.imports.files import (
    FALSE_WORDS,
    REQUIRED_FIELDS,
    TRUE_WORDS,
    TableInfo,
    iter_rows,
)
from leads.models import (
    LEAD_STATE_OF_STATUS,
    Campaign,
    ImportBatch,
    Lead,
)

CHUNK_ROWS = 500
# Targets that are no lead column of their own (leads.imports.sources).
EXTRA_TARGETS = {target for target, _ in sources.EXTRA_TARGETS}
# A column mapped to "consent:<purpose code>" records consent to that purpose
# (yes: given, no: withdrawn, empty: nothing), method import
# (leads.services.consent.record_import_consents).
CONSENT_PREFIX = "consent:"
CONSENT_GIVEN = {"yes", "y", "true", "1", "x", "ja", "oui", "given", "opt-in", "allow"}
CONSENT_WITHDRAWN = {
    "no",
    "n",
    "false",
    "0",
    "nein",
    "non",
    "withdrawn",
    "opt-out",
    "do not allow",
}


def consent_target(code: str) -> str:
    return f"{CONSENT_PREFIX}{code}"


@dataclass
class Lookups:
    """What row conversion looks up once per batch, not per row: campaigns by name,
    and the users the importing user may give leads to, by full name ("Mia
    Meyer", "Meyer, Mia"), email and username (lower case; a name two users share
    matches neither)."""

    campaigns: dict = field(default_factory=dict)
    owners: dict = field(default_factory=dict)

    @classmethod
    def load(cls, user=None, *, owners: bool = False):
        lookups = cls(campaigns={c.name.lower(): c for c in Campaign.objects.all()})
        if owners and user is not None:
            lookups.owners = _owner_keys(user)
        return lookups

    def owner(self, text):
        return self.owners.get(" ".join(text.lower().split()))


AMBIGUOUS = object()


def _owner_keys(user) -> dict:
    users = assignable_users(user).annotate(
        full=Lower(Concat("first_name", Value(" "), "last_name")),
        reverse=Lower(Concat("last_name", Value(", "), "first_name")),
    )
    found = {}
    for candidate in users:
        names = {candidate.full.strip(), candidate.reverse.strip(" ,")}
        names |= {candidate.email.lower(), candidate.username.lower()}
        for name in names - {""}:
            known = found.get(name)
            found[name] = candidate if known in (None, candidate) else AMBIGUOUS
    return {name: u for name, u in found.items() if u is not AMBIGUOUS}


@functools.cache
def _option_labels(choices, language) -> dict:
    """Label (lower case) → code of an option set, in `language` first, then in
    every other language of the site: a file exported in one language imports in
    any other."""
    labels = {}
    for code in [language, *dict(settings.LANGUAGES)]:
        with translation.override(code):
            for value, label in choices.choices:
                labels.setdefault(str(label).lower(), value)
    return labels


def _option(column, text):
    choices = column.choices
    if re.fullmatch(r"-?\d+", text):
        code = int(text)
        if code in choices.values:
            return code
    labels = _option_labels(choices, translation.get_language())
    if text.lower() in labels:
        return labels[text.lower()]
    raise ValueError(
        gettext("'%(value)s' is not a %(column)s code or label (e.g. %(examples)s).")
        % {
            "value": text,
            "column": column.label,
            "examples": ", ".join(f"{v} {lbl}" for v, lbl in choices.choices[:4]),
        }
    )


def _number(text, kind):
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    # A currency sign or code as reports write amounts ("$1,200,000.00", "USD 250").
    cleaned = re.sub(r"^(?:[A-Z]{3}|[$€£¥])|(?:[A-Z]{3}|[$€£¥])$", "", cleaned)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(
            gettext("'%(value)s' is not a number.") % {"value": text}
        ) from None
    if kind == INT:
        if value != value.to_integral_value():
            raise ValueError(
                gettext("'%(value)s' is not a whole number.") % {"value": text}
            )
        return int(value)
    return value


def _convert(column, text, lookups):
    if column.kind == OPTION:
        return _option(column, text)
    if column.kind == BOOL:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(gettext("'%(value)s' is not yes or no.") % {"value": text})
    if column.kind in (MONEY, INT):
        return _number(text, column.kind)
    if column.kind == DATE:
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(
                gettext("'%(value)s' is not a date (use YYYY-MM-DD).") % {"value": text}
            ) from None
    if column.kind == CAMPAIGN:
        name = unguard_formula(text)
        campaign = lookups.campaigns.get(name.lower())
        if campaign is None:
            raise ValueError(
                gettext("There is no campaign named '%(name)s'.") % {"name": name}
            )
        return campaign
    if column.kind == ID:
        if not text.isdigit():
            raise ValueError(gettext("'%(value)s' is not a lead ID.") % {"value": text})
        return int(text)
    return unguard_formula(text)


def _lenient_option(column, text):
    """An option set every product has its own version of: a code or label, else
    another product's value (sources.VALUES), else None (left empty)."""
    try:
        return _option(column, text)
    except ValueError:
        return sources.known_value(column.field, text)


# What an unknown value of these becomes, as the preview says it.
UNKNOWN_BECOMES = {
    "status": _("New"),
    "source": _("no source"),
    "rating": _("Warm"),
    "industry": _("no industry"),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SEPARATORS = " -–—,:;/|·"


def placeholder_value(name, fields) -> str:
    if name == sources.FULL_NAME:
        return " ".join(
            p for p in (fields.get("first_name"), fields.get("last_name")) if p
        )
    value = fields.get(name)
    if value is None:
        return ""
    column = COLUMN_BY_FIELD.get(name)
    if column is not None and column.kind == OPTION:
        return str(column.choices(value).label)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def render_fill(template: str, fields: dict, max_length: int) -> str:
    """A required field's text from a fill: a constant, or a template whose
    {field} placeholders take the row's values ("{company_name}", "{first_name}
    {last_name} – {company_name}"); separators left dangling by empty values are
    dropped, and the text is cut to the field's length."""
    text = PLACEHOLDER.sub(lambda m: placeholder_value(m.group(1), fields), template)
    text = " ".join(text.split()).strip(SEPARATORS)
    text = re.sub(r"([-–—,:;/|·])(\s*[-–—,:;/|·])+", r"\1", text)
    return text[:max_length].strip()


VALIDATE_EXCLUDE = ["status", "owner_user", "owner_team", "business_unit", "created_by"]


@dataclass
class ConvertedRow:
    index: int
    line: int
    fields: dict
    errors: list  # (column header, reason)
    match_id: int | None = None
    lead: Lead | None = None
    owner: object = None  # the user an owner column named
    owner_text: str = ""  # what the owner column said
    external_id: str = ""
    notes: list = field(default_factory=list)  # (header, value, what it becomes)
    filled: set = field(default_factory=set)  # fields a fill gave (not the file)
    consents: dict = field(default_factory=dict)  # purpose code -> given (bool)

    @property
    def keys(self) -> set:
        """What makes two rows of one file the same lead (see converted_chunks)."""
        found = set()
        if self.external_id:
            found.add(("external", self.external_id))
        if self.match_id:
            found.add(("id", self.match_id))
        if self.fields.get("email"):
            found.add(("email", self.fields["email"].strip().lower()))
        return found


def _external_id(text: str) -> str:
    """A record ID as stored: a D365 GUID without braces, in lower case."""
    text = text.strip()
    if re.fullmatch(r"\{?[0-9a-fA-F-]{36}\}?", text):
        return text.strip("{}").lower()
    return text


def convert_row(
    index, line, values, *, mapping, headers, lookups, fills=None, system=""
) -> ConvertedRow:
    """One data row as lead fields (empty cells left out) and its errors, each with
    the column it is about; required fields the row has no value for take the
    batch's fill (`fills`: field → constant or template). Validated with the
    model's own rules (full_clean)."""
    fields, errors, header_of, notes = {}, [], {}, []
    match_id = None
    extra = {}
    consents = {}
    for key, target in mapping.items():
        text = values[int(key)].strip()
        if target.startswith(CONSENT_PREFIX):
            word = text.lower()
            if word in CONSENT_GIVEN or word in CONSENT_WITHDRAWN:
                consents[target.removeprefix(CONSENT_PREFIX)] = word in CONSENT_GIVEN
            elif text:
                reason = gettext("'%(value)s' is not yes (given) or no (withdrawn).")
                errors.append((headers[int(key)] or target, reason % {"value": text}))
            continue
        column = None if target in EXTRA_TARGETS else COLUMN_BY_FIELD[target]
        header = headers[int(key)] or (str(column.label) if column else target)
        header_of[target] = header
        if not text:
            continue
        if column is None:
            extra[target] = (header, unguard_formula(text))
            continue
        try:
            if column.kind == OPTION and column.field in sources.LENIENT_OPTIONS:
                value = _lenient_option(column, text)
                if value is None:
                    notes.append((header, text, str(UNKNOWN_BECOMES[column.field])))
                    continue
            else:
                value = _convert(column, text, lookups)
        except ValueError as error:
            errors.append((header, str(error)))
            continue
        if column.kind == ID:
            match_id = value
        else:
            fields[target] = value
    row = ConvertedRow(
        index, line, fields, errors, match_id, notes=notes, consents=consents
    )
    if sources.FULL_NAME in extra:
        first, last = sources.split_name(extra[sources.FULL_NAME][1])
        if first and "first_name" not in fields:
            fields["first_name"] = first
        if last and "last_name" not in fields:
            fields["last_name"] = last
    if sources.OWNER in extra:
        row.owner_text = extra[sources.OWNER][1]
        row.owner = lookups.owner(row.owner_text)
    created_at = None
    if sources.CREATED in extra:
        header, text = extra[sources.CREATED]
        try:
            created_at = sources.parse_datetime(text)
        except ValueError as error:
            errors.append((header, str(error)))
    if sources.EXTERNAL_ID in extra:
        row.external_id = _external_id(extra[sources.EXTERNAL_ID][1])
    failed_columns = {h for h, _ in errors}
    for target, template in (fills or {}).items():
        if target in fields or header_of.get(target) in failed_columns:
            continue
        length = Lead._meta.get_field(target).max_length
        text = render_fill(template, fields, length)
        if text:
            fields[target] = text
            row.filled.add(target)
    for target in REQUIRED_FIELDS:
        if target not in fields and header_of.get(target) not in failed_columns:
            reason = gettext("This cell is empty.")
            if (fills or {}).get(target):
                reason = gettext(
                    "Empty, and '%(fill)s' gives no text for this row."
                ) % {"fill": fills[target]}
            header = header_of.get(target) or str(REQUIRED_FIELDS[target])
            errors.append((header, reason))
    lead = Lead(**fields)
    if created_at is not None:
        lead.created_at = created_at
    if row.external_id:
        lead.external_system = system
        lead.external_id = row.external_id
    if "status" in fields:
        lead.state = LEAD_STATE_OF_STATUS[fields["status"]]
    try:
        lead.full_clean(exclude=VALIDATE_EXCLUDE, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name in REQUIRED_FIELDS and name not in fields:
                continue  # reported above
            header = header_of.get(name, name)
            errors.extend((header, message) for message in messages)
    row.lead = lead
    return row


def converted_chunks(handle, batch: ImportBatch, *, start: int = 0):
    """Lists of ConvertedRow, CHUNK_ROWS at a time, from data row `start` on. A row
    that repeats an earlier row of its chunk (same email, lead ID or record ID)
    starts the next chunk, so the earlier one is saved before it is matched: a
    repeat is then treated as any row matching an existing lead, wherever the
    chunk boundaries fall."""
    info = TableInfo(
        file_format=batch.file_format,
        encoding=batch.encoding,
        delimiter=batch.delimiter,
        headers=batch.headers,
    )
    lookups = Lookups.load(
        batch.created_by, owners=sources.OWNER in batch.mapping.values()
    )
    chunk, seen = [], set()
    for index, line, values in iter_rows(handle, info, start=start):
        row = convert_row(
            index,
            line,
            values,
            mapping=batch.mapping,
            headers=batch.headers,
            lookups=lookups,
            fills=batch.fills,
            system=batch.source_system,
        )
        keys = row.keys if not row.errors else set()
        if chunk and keys & seen:
            yield chunk
            chunk, seen = [], set()
        chunk.append(row)
        seen |= keys
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk, seen = [], set()
    if chunk:
        yield chunk
