"""What Django templates need of the leads app's tables and badges, whose markup
lives in templates/jinja2/leads/ (leadsite/core/jinja.py says why):

- `{% timeline_items timeline as items %}`: the display values of the timeline
  (leads.presenters), for `{% jinja %}` to print (the lead list's rows come
  presented from its view);
- `{% lead_status_badge lead %}` and `{% rating_badge lead %}`: one badge, drawn by
  the macro the tables call.
"""

from django import template

from leads.presenters.timeline import timeline_items as present_timeline_items
from leadsite.core import jinja

register = template.Library()


@register.simple_tag
def timeline_items(timeline):
    """The timeline's items (leads/partials/timeline_items.html)."""
    return present_timeline_items(timeline)


@register.simple_tag
def lead_status_badge(lead, short=True):
    """The lead's status pill; short=False spells out "Disqualified · reason"."""
    status_badge = jinja.macro("leads/partials/status_badge.html", "status_badge")
    return status_badge(lead.state_name, lead.get_status_display(), short=short)


@register.simple_tag
def rating_badge(lead):
    """The lead's rating badge."""
    badge = jinja.macro("leads/partials/rating_badge.html", "rating_badge")
    return badge(lead.get_rating_display())
