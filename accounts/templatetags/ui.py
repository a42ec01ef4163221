"""Display filters shared by every page: money with its currency, state badges,
and the helpers of rows drawn in Python (a list page repeats them fifty times)."""

import datetime
import html
import re
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.models import SalesStage

register = template.Library()

# A detail URL with this placeholder id is reversed once a page, not once a row.
URL_PLACEHOLDER = 987654321987


def escape_text(value):
    """django.utils.html.escape without its lazy-string wrapper (it runs per cell)."""
    return html.escape(str(value))


def day_formatter(fmt):
    """A formatter of dates, and of datetimes by their local day, in `fmt`: each
    day is formatted once (a list page's rows share a few days)."""
    formatted = {}

    def format_day(value):
        if value is None:
            return "—"
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date()
        text = formatted.get(value)
        if text is None:
            text = formatted[value] = escape_text(dateformat.format(value, fmt))
        return text

    return format_day


def url_maker(name):
    """pk -> the URL `name` of that pk, reversed once."""
    head, tail = reverse(name, args=[URL_PLACEHOLDER]).split(str(URL_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


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


# Where an e-mail address or URL may wrap, as typesetters break them: after "@" and
# "/" (not between the two of "//"), before ".", "?", "&", "#" and "=".
BREAK_POINTS = re.compile(r"(?<=[@/])(?!/)|(?=[.?&#=])")


@register.filter
def breakable(value):
    """`{{ lead.email|breakable }}`: the value escaped, with <wbr> at BREAK_POINTS,
    so a narrow column wraps "ana.trujillo@" / "treyresearch" / ".example"
    rather than inside a word. Put it on the link text, never in an href."""
    parts = BREAK_POINTS.split(str(value))
    return mark_safe("<wbr>".join(escape_text(part) for part in parts if part))  # noqa: S308


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


@register.simple_tag
def opportunity_rows(opportunities):
    """The <tr> of every opportunity of a table (accounts/partials/
    opportunity_rows.html): account and contact selected with it."""
    day = day_formatter(get_format("SHORT_DATE_FORMAT"))
    url = url_maker("accounts:opportunity-detail")
    stages = {value: escape_text(label) for value, label in SalesStage.choices}
    rows = []
    for opportunity in opportunities:
        name = escape_text(opportunity.name)
        account, contact = opportunity.account, opportunity.contact
        customer = " · ".join(
            escape_text(part)
            for part in (
                account.name if account else None,
                contact.full_name if contact else None,
            )
            if part is not None
        )
        owner = opportunity.owner
        rows.append(
            "<tr>\n"
            f'  <td class="clip c-name" title="{name}"><a href="{url(opportunity.pk)}">'
            f"{name}</a></td>\n"
            f'  <td class="clip c-customer">{customer}</td>\n'
            '  <td class="num c-value">'
            f"{escape_text(money(opportunity.estimated_value, 0))}</td>\n"
            f'  <td class="c-stage">{stages[opportunity.sales_stage]}</td>\n'
            '  <td class="num c-probability">'
            f"{opportunity.close_probability}\u00a0%</td>\n"
            f'  <td class="c-date minor">{day(opportunity.estimated_close_date)}</td>\n'
            f'  <td class="c-status">{opportunity_badge(opportunity)}</td>\n'
            f'  <td class="clip c-owner">{escape_text(owner) if owner else "—"}</td>\n'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
