"""Import rows as lead fields: each value converted (option sets as codes or
labels, numbers, dates, flags, campaigns) and validated with the model's rules,
with the column and reason of every problem; read CHUNK_ROWS rows at a time."""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

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
from leads.models import (
    LEAD_STATE_OF_STATUS,
    Campaign,
    ImportBatch,
    Lead,
)
from leads.selectors.imports.files import (
    FALSE_WORDS,
    REQUIRED_FIELDS,
    TRUE_WORDS,
    TableInfo,
    iter_rows,
)

CHUNK_ROWS = 500


@dataclass
class Lookups:
    """What row conversion looks up once per batch, not per row."""

    campaigns: dict = field(default_factory=dict)

    @classmethod
    def load(cls):
        return cls(campaigns={c.name.lower(): c for c in Campaign.objects.all()})


def _option(column, text):
    choices = column.choices
    if re.fullmatch(r"-?\d+", text):
        code = int(text)
        if code in choices.values:
            return code
    labels = {str(label).lower(): value for value, label in choices.choices}
    if text.lower() in labels:
        return labels[text.lower()]
    raise ValueError(
        f"'{text}' is not a {column.label} code or label (e.g. "
        + ", ".join(f"{v} {lbl}" for v, lbl in choices.choices[:4])
        + ")."
    )


def _number(text, kind):
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number.") from None
    if kind == INT:
        if value != value.to_integral_value():
            raise ValueError(f"'{text}' is not a whole number.")
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
        raise ValueError(f"'{text}' is not yes or no.")
    if column.kind in (MONEY, INT):
        return _number(text, column.kind)
    if column.kind == DATE:
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD).") from None
    if column.kind == CAMPAIGN:
        campaign = lookups.campaigns.get(text.lower())
        if campaign is None:
            raise ValueError(f"There is no campaign named '{text}'.")
        return campaign
    if column.kind == ID:
        if not text.isdigit():
            raise ValueError(f"'{text}' is not a lead ID.")
        return int(text)
    return unguard_formula(text)


VALIDATE_EXCLUDE = ["status", "owner_user", "owner_team", "business_unit", "created_by"]


@dataclass
class ConvertedRow:
    index: int
    line: int
    fields: dict
    errors: list  # (column header, reason)
    match_id: int | None = None
    lead: Lead | None = None


def convert_row(index, line, values, *, mapping, headers, lookups) -> ConvertedRow:
    """One data row as lead fields (empty cells left out) and its errors, each with
    the column it is about. Validated with the model's own rules (full_clean)."""
    fields, errors, header_of = {}, [], {}
    match_id = None
    for key, target in mapping.items():
        column = COLUMN_BY_FIELD[target]
        header = headers[int(key)] or column.label
        header_of[target] = header
        text = values[int(key)].strip()
        if not text:
            continue
        try:
            value = _convert(column, text, lookups)
        except ValueError as error:
            errors.append((header, str(error)))
            continue
        if column.kind == ID:
            match_id = value
        else:
            fields[target] = value
    for target in REQUIRED_FIELDS:
        if target not in fields and not any(
            h == header_of.get(target) for h, _ in errors
        ):
            errors.append(
                (header_of.get(target, REQUIRED_FIELDS[target]), "This cell is empty.")
            )
    lead = Lead(**{k: v for k, v in fields.items()})
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
    return ConvertedRow(index, line, fields, errors, match_id, lead)


def converted_chunks(handle, batch: ImportBatch, *, start: int = 0):
    """Lists of ConvertedRow, CHUNK_ROWS at a time, from data row `start` on."""
    info = TableInfo(
        file_format=batch.file_format,
        encoding=batch.encoding,
        delimiter=batch.delimiter,
        headers=batch.headers,
    )
    lookups = Lookups.load()
    chunk = []
    for index, line, values in iter_rows(handle, info, start=start):
        chunk.append(
            convert_row(
                index,
                line,
                values,
                mapping=batch.mapping,
                headers=batch.headers,
                lookups=lookups,
            )
        )
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
