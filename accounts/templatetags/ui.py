"""Display filters and tags shared by every page: money with its currency, break
points in long addresses, the opportunity badge and table, and `{% jinja %}`, which
brings a template of the Jinja2 engine (templates/jinja2/) into a Django page."""

from django import template

from accounts.presenters import opportunity_badge_text
from accounts.presenters import opportunity_rows as present_opportunity_rows
from leadsite.core import display, jinja

register = template.Library()


@register.filter
def money(value, places=2):
    """`{{ amount|money }}` -> "USD 75,000.00"; `|money:0` -> "USD 75,000"; "—" for
    no value. Digits are grouped the way the active locale groups them."""
    return display.money(value, places)


@register.filter
def breakable(value):
    """`{{ lead.email|breakable }}`: <wbr> where a long address may wrap (the
    Jinja2 engine's filter of the same name)."""
    return jinja.breakable(value)


@register.simple_tag(name="jinja")
def jinja_include(template_name, **context):
    """`{% jinja "leads/partials/lead_table.html" columns=columns rows=rows %}`: the
    Jinja2 template with these values only, as `{% include ... with ... only %}`."""
    return jinja.render(template_name, context)


@register.simple_tag
def opportunity_rows(opportunities):
    """The rows of an opportunity table (accounts/partials/opportunity_rows.html)."""
    return present_opportunity_rows(opportunities)


@register.simple_tag
def opportunity_badge(opportunity):
    """The opportunity's state badge ("Won", "Lost · Out-Sold")."""
    badge = jinja.macro(
        "accounts/partials/opportunity_status.html", "opportunity_status"
    )
    return badge(opportunity.state_name, opportunity_badge_text(opportunity))
