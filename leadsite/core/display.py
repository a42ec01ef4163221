"""Display values that pages prepare once per page and templates print as they are:
money with its currency, dates, detail URLs. Plain text, never HTML (templates
escape it)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format

# A detail URL with this placeholder id is reversed once a page, not once a row.
URL_PLACEHOLDER = 987654321987
NO_VALUE = "—"


def money(value, places=2):
    """75000 -> "USD 75,000.00"; places=0 -> "USD 75,000"; "—" for no value. Digits
    are grouped the way the active locale groups them."""
    if value is None or value == "":
        return NO_VALUE
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    currency = getattr(settings, "LEADSITE_CURRENCY", "USD")
    return f"{currency}\u00a0{floatformat(amount, f'{int(places)}g')}"


def money_formatter(places=2):
    """`money` with `places`, each amount formatted once (a page's rows repeat a
    few round amounts)."""
    formatted = {}

    def format_money(value):
        text = formatted.get(value)
        if text is None:
            text = formatted[value] = money(value, places)
        return text

    return format_money


def day_formatter(fmt="SHORT_DATE_FORMAT"):
    """A formatter of dates, and of datetimes by their local day, in the format
    setting `fmt` ("—" for none): each day is formatted once (a page's rows share
    a few days)."""
    fmt = get_format(fmt)
    zone = timezone.get_current_timezone()
    formatted = {}

    def format_day(value):
        if value is None:
            return NO_VALUE
        if isinstance(value, datetime.datetime):
            value = value.astimezone(zone).date()
        text = formatted.get(value)
        if text is None:
            text = formatted[value] = dateformat.format(value, fmt)
        return text

    return format_day


def url_maker(name):
    """pk -> the URL `name` of that pk, reversed once."""
    head, tail = reverse(name, args=[URL_PLACEHOLDER]).split(str(URL_PLACEHOLDER))

    def make(pk):
        return f"{head}{pk}{tail}"

    # Handed through a Django template to a Jinja2 one as the function itself.
    make.do_not_call_in_templates = True
    return make
