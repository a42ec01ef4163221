"""The cells of an import table: the delimiter between them (CSV) and their text."""

import csv
import datetime


def detect_delimiter(sample: str) -> str:
    """A CSV's delimiter (comma, semicolon or tab) from its first lines."""
    first_line = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in ",;\t"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def cell_text(value) -> str:
    """A cell's value (CSV text or an XLSX cell's number, date or flag) as the
    text the row parser reads."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()
