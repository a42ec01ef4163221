"""The business date range every date and datetime input is held to, and the guard
that keeps a date already stored outside Python's range from breaking a page.

Inputs: `validate_business_date` (model fields, forms, filters, admin, imports)
refuses anything outside 1900–2200 with a message beside the field.

Stored values: a row written before the bound existed (or by a script) can hold a
year 10000 or BC timestamp, which psycopg cannot load ("timestamp too large"), or a
year-9999 value that overflows when shown in a time zone east of UTC. `install()`
clamps such values on load, on every connection: the page shows the clamped date
(and the field refuses it on the next save) instead of a 500 for every user.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.backends.signals import connection_created

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)
RANGE_MESSAGE = "Enter a date between 1900 and 2200."

# A day inside Python's datetime range on both ends, so converting to any local
# time zone (offsets stay below a day) cannot overflow.
SAFE_MIN = datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)
SAFE_MAX = datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC)
SAFE_MIN_DATE = datetime.date(1, 1, 2)
SAFE_MAX_DATE = datetime.date(9999, 12, 30)


def validate_business_date(value) -> None:
    """Refuse a date or datetime outside 1900–2200 (as a form/model field error)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(RANGE_MESSAGE, code="date_out_of_range")


def clamp_datetime(value):
    if value is None or not isinstance(value, datetime.datetime):
        return value
    if value.tzinfo is None:
        return min(
            max(value, SAFE_MIN.replace(tzinfo=None)), SAFE_MAX.replace(tzinfo=None)
        )
    return min(max(value, SAFE_MIN), SAFE_MAX)


def _postgresql_loaders(wrapper):
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import DataError
    from psycopg.types.datetime import DateLoader

    def too_early(data) -> bool:
        return bytes(data).rstrip().endswith(b"BC")

    class ClampingTzLoader(BaseTzLoader):
        timezone = wrapper.timezone

        def load(self, data):
            try:
                value = super().load(data)
            except DataError:
                value = SAFE_MIN if too_early(data) else SAFE_MAX
                return value.astimezone(self.timezone)
            return clamp_datetime(value)

    class ClampingDateLoader(DateLoader):
        def load(self, data):
            try:
                return super().load(data)
            except DataError:
                return SAFE_MIN_DATE if too_early(data) else SAFE_MAX_DATE

    adapters = wrapper.connection.adapters
    adapters.register_loader("timestamptz", ClampingTzLoader)
    adapters.register_loader("date", ClampingDateLoader)


def _sqlite_converter(wrapper):
    ops = wrapper.ops
    if getattr(ops, "_clamps_datetimes", False):
        return
    convert = type(ops).convert_datetimefield_value

    def convert_clamped(value, expression, connection):
        return clamp_datetime(convert(ops, value, expression, connection))

    ops.convert_datetimefield_value = convert_clamped
    ops._clamps_datetimes = True


def _on_connection(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        _postgresql_loaders(connection)
    elif connection.vendor == "sqlite":
        _sqlite_converter(connection)


def install() -> None:
    """Clamp out-of-range dates on every database connection (AppConfig.ready)."""
    connection_created.connect(_on_connection, dispatch_uid="leadsite.core.dates")
