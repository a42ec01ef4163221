"""`{% timeline_items %}`: the items of templates/leads/partials/timeline.html.

Built in Python, not by the template engine: a 200-item timeline spent most of the
lead page's time in per-item lookups and filters. Every value is escaped here.
"""

import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def _datetime(value, fmt):
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return escape(dateformat.format(value, fmt))


def _lines(text):
    """The linebreaksbr filter: escaped, newlines as <br>."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", "<br>")


def _on_lead(entry):
    lead = entry.from_lead
    if not lead:
        return ""
    return f' · on lead <a href="{escape(lead.get_absolute_url())}">{escape(lead)}</a>'


def _activity(entry, fmt, open_state, csrf, back):
    item = entry.item
    parts = [
        '<div class="timeline-title">\n'
        f'  <span class="badge">{escape(item.get_kind_display())}</span>\n'
    ]
    if item.direction:
        parts.append(
            f'  <span class="muted small">{escape(item.get_direction_display())}'
            "</span>\n"
        )
    parts.append(
        f"  <strong>{escape(item.subject)}</strong>\n"
        f'  <span class="badge badge-{escape(item.state)}">'
        f"{escape(item.get_state_display())}</span>\n</div>\n"
    )
    if item.due_at:
        parts.append(f'<div class="small">Due {_datetime(item.due_at, fmt)}</div>\n')
    if item.start_at:
        end = f" – {_datetime(item.end_at, fmt)}" if item.end_at else ""
        parts.append(f'<div class="small">{_datetime(item.start_at, fmt)}{end}</div>\n')
    if item.description:
        parts.append(f'<div class="timeline-text">{_lines(item.description)}</div>\n')
    completed = (
        f" · completed {escape(naturaltime(item.completed_at))}"
        if item.completed_at
        else ""
    )
    parts.append(
        f'<div class="meta">Owner {escape(item.owner)} · logged '
        f"{escape(naturaltime(item.created_at))}{completed}{_on_lead(entry)}</div>\n"
    )
    if item.state == open_state:
        hidden = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
            f'<input type="hidden" name="next" value="{escape(back)}">'
        )
        complete = reverse("leads:complete-activity", args=[item.pk])
        cancel = reverse("leads:cancel-activity", args=[item.pk])
        parts.append(
            '<div class="actions timeline-actions">\n'
            f'  <form method="post" action="{complete}">{hidden}'
            '<button type="submit" class="button small">Complete</button></form>\n'
            f'  <form method="post" action="{cancel}">{hidden}'
            '<button type="submit" class="button small danger">Cancel activity'
            "</button></form>\n</div>\n"
        )
    return "".join(parts)


def _note(entry):
    item = entry.item
    return (
        '<div class="timeline-title"><span class="badge">Note</span> '
        f"<strong>{escape(item.title or '')}</strong></div>\n"
        f'<div class="timeline-text">{_lines(item.text)}</div>\n'
        f'<div class="meta">{escape(item.created_by or "Unknown user")} · '
        f"{escape(naturaltime(item.created_at))}{_on_lead(entry)}</div>\n"
    )


def _attachment(entry):
    item = entry.item
    url = reverse("leads:download-attachment", args=[item.pk])
    return (
        '<div class="timeline-title"><span class="badge">File</span>\n'
        f'  <a href="{url}" download>{escape(item.original_name)}</a>\n'
        f'  <span class="muted small">{escape(filesizeformat(item.size))}</span>\n'
        "</div>\n"
        f'<div class="meta">{escape(item.created_by or "Unknown user")} · '
        f"{escape(naturaltime(item.created_at))}{_on_lead(entry)}</div>\n"
    )


@register.simple_tag(takes_context=True)
def timeline_items(context, timeline):
    """The <li> of every timeline entry (activities, notes, files), newest first."""
    fmt = get_format("SHORT_DATETIME_FORMAT")
    open_state = context.get("open_activity_state")
    csrf = str(context.get("csrf_token") or "")
    back = context.get("timeline_return_url") or ""
    items = []
    for entry in timeline:
        if entry.kind == "activity":
            body = _activity(entry, fmt, open_state, csrf, back)
        elif entry.kind == "note":
            body = _note(entry)
        else:
            body = _attachment(entry)
        items.append(
            f'<li class="kind-{escape(entry.kind)}" id="{escape(entry.kind)}-'
            f'{entry.item.pk}">\n{body}</li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped
