"""{% stage_bar record %}: the stage bar on the lead and opportunity pages."""

from django import template

from accounts.models import Opportunity
from leads.selectors.stages import lead_stages, opportunity_stages
from leadsite.core import jinja

register = template.Library()


@register.simple_tag(takes_context=True)
def stage_bar(context, record, editable=False):
    """Renders leads/partials/stage_bar.html (the Jinja2 engine's) for `record` (a lead or an opportunity,
    already found through the record-scope gate); `editable`: the user may move it
    and tick its steps."""
    if isinstance(record, Opportunity):
        stages = opportunity_stages(record)
        kind = "opportunity"
    else:
        stages = lead_stages(record)
        kind = "lead"
    current = next((s for s in stages if s.status == "current"), None)
    panel = {
        "stage_record": record,
        "stage_kind": kind,
        "stages": stages,
        "current_stage": current,
        "stage_editable": editable and record.is_open,
        "csrf_token": context.get("csrf_token"),
    }
    return jinja.render("leads/partials/stage_bar.html", panel)
