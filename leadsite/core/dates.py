"""The business date range (1900–2200) every date and datetime is held to.

Inputs: `validate_business_date` (model fields, forms, filters, admin, imports)
refuses anything outside it with a message beside the field.

Stored values: `business_date_check` / `business_datetime_check` are the CHECK
constraints (Meta.constraints) on every column a user or a file can set, so a write
that skips validation (a script, raw SQL, a bulk insert) cannot store a date psycopg
cannot load (year 10000, BC) or a page cannot show (year 9999 overflows east of
UTC). The migrations that added them (accounts and leads `*_business_date_range`)
repaired the values stored before.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import CheckConstraint, Q
from django.utils.translation import gettext_lazy as _

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2200, 12, 31)
RANGE_MESSAGE = _("Enter a date between 1900 and 2200.")
RANGE_CODE = "date_out_of_range"

# A datetime column is checked in UTC with a day of slack on either side: the
# validator reads the day in the user's time zone (offsets stay under a day), so a
# value it accepts is never refused by the database. MAX is exclusive.
DATETIME_MIN = datetime.datetime(1899, 12, 31, tzinfo=datetime.UTC)
DATETIME_MAX = datetime.datetime(2201, 1, 2, tzinfo=datetime.UTC)


def validate_business_date(value) -> None:
    """Refuse a date or datetime outside 1900–2200 (as a form/model field error)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(RANGE_MESSAGE, code=RANGE_CODE)


class BusinessDateCheck(CheckConstraint):
    """The database's CHECK that a date column stays in the range. Before a save,
    validate() decides it in Python with validate_business_date, the rule itself,
    and puts the message beside the field; Django's CheckConstraint.validate would
    run a savepoint and a query to ask the database the same."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        (name,) = Q(self.condition).referenced_base_fields
        if exclude and name in exclude:
            return
        field = model._meta.get_field(name)
        try:
            validate_business_date(field.to_python(getattr(instance, field.attname)))
        except ValidationError as error:
            raise ValidationError({name: error.error_list}) from None


def business_date_check(model: str, field: str) -> BusinessDateCheck:
    """CHECK: the DateField `field` is empty or within 1900–2200."""
    return BusinessDateCheck(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": DATE_MIN, f"{field}__lte": DATE_MAX}),
        name=f"{model}_{field}_in_range",
        violation_error_message=RANGE_MESSAGE,
        violation_error_code=RANGE_CODE,
    )


def business_datetime_check(model: str, field: str) -> BusinessDateCheck:
    """CHECK: the DateTimeField `field` is empty or within 1900–2200 in any time
    zone."""
    return BusinessDateCheck(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": DATETIME_MIN, f"{field}__lt": DATETIME_MAX}),
        name=f"{model}_{field}_in_range",
        violation_error_message=RANGE_MESSAGE,
        violation_error_code=RANGE_CODE,
    )
