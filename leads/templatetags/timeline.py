"""The leads app's part of an account, contact or opportunity page: the record's
timeline with its add forms and the leads linked to it. The accounts app cannot
import leads (layers, see docs/architecture.md), so its pages load this tag.
"""

from django import template
from django.template.loader import get_template

from leads.forms.timeline import timeline_forms
from leads.selectors.timeline import timeline_context

register = template.Library()


@register.simple_tag(takes_context=True)
def record_timeline(context, record):
    """Renders leads/partials/record_timeline.html for `record` (already found
    through the record-scope gate) inside the page's own context."""
    user = context["request"].user
    panel = {**timeline_context(user=user, record=record), **timeline_forms(record)}
    with context.push(panel):
        return get_template("leads/partials/record_timeline.html").template.render(
            context
        )
