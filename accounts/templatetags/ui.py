"""Display filters shared by every page: money with its currency, state badges."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

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


@register.simple_tag
def opportunity_badge(opportunity):
    """The opportunity's state badge ("Won · Won", "Lost · Out-sold"), drawn in
    Python: a list page shows fifty of them."""
    state = opportunity.get_state_display()
    status = opportunity.get_status_display()
    detail = f" · {status}" if not opportunity.is_open and status != state else ""
    return format_html(
        '<span class="badge badge-{}">{}{}</span>',
        opportunity.state_name,
        state,
        detail,
    )
