"""Display filters shared by every page: money with its currency."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def money(value, places=2):
    """`{{ amount|money }}` -> "USD 75,000.00"; `|money:0` -> "USD 75,000"; "—" for
    no value. Digits are grouped the way the active locale groups them."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    currency = getattr(settings, "LEADSITE_CURRENCY", "USD")
    return f"{currency}\u00a0{floatformat(amount, f'{int(places)}g')}"
