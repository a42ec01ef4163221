"""{% stage_bar record %}: the stage bar on the lead and opportunity pages."""

from django import template
from django.template.loader import get_template

from accounts.models import Opportunity
from leads.selectors.stages import lead_stages, opportunity_stages

register = template.Library()


@register.simple_tag(takes_context=True)
def stage_bar(context, record, editable=False):
    """Renders leads/partials/stage_bar.html for `record` (a lead or an opportunity,
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
    }
    with context.push(panel):
        return get_template("leads/partials/stage_bar.html").template.render(context)
