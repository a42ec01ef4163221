"""Rows drawn in Python, not by the template engine, for the pages that repeat them
by the hundred: `{% lead_rows %}` (the lead list's table rows) and
`{% timeline_items %}` (the items of templates/leads/partials/timeline.html).

Per-cell lookups and filters were most of those pages' Python time (a 50-row list,
a 200-item timeline). Every value is escaped here (`_escape`).
"""

import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import mark_safe

from accounts.templatetags.ui import day_formatter as _days
from accounts.templatetags.ui import escape_text as _escape
from accounts.templatetags.ui import money, url_maker
from leads.models import Activity, LeadRating, LeadStatus

register = template.Library()


class _Clock:
    """The timestamps of one rendering, each day and each time of day formatted
    once (a long timeline repeats both): `at` is the date and time
    (SHORT_DATE_FORMAT and TIME_FORMAT), `ago` is relative within the last day
    ("3 hours ago") and the date and time before that."""

    def __init__(self):
        self.now = timezone.now()
        self.day = _days(get_format("SHORT_DATE_FORMAT"))
        self.time_format = get_format("TIME_FORMAT")
        self.times = {}

    def at(self, value):
        if value is None:
            return "—"
        value = timezone.localtime(value)
        key = (value.hour, value.minute, value.second)
        text = self.times.get(key)
        if text is None:
            text = self.times[key] = _escape(
                dateformat.time_format(value, self.time_format)
            )
        # SHORT_DATETIME_FORMAT, with each part formatted once per rendering.
        return f"{self.day(value)}, {text}"

    def ago(self, value):
        if datetime.timedelta(0) <= self.now - value < datetime.timedelta(days=1):
            return _escape(naturaltime(value))
        return self.at(value)


def _labels(model, name):
    """value -> label of a field's choices (get_FOO_display rebuilds it per call)."""
    return dict(model._meta.get_field(name).flatchoices)


_ACTIVITY_LABELS = {
    name: _labels(Activity, name) for name in ("kind", "state", "direction")
}


def _display(item, name):
    value = getattr(item, name)
    return _ACTIVITY_LABELS[name].get(value, value)


def _lines(text):
    """The linebreaksbr filter: escaped, newlines as <br>."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _escape(text).replace("\n", "<br>")


def _on_lead(entry):
    lead = entry.from_lead
    if not lead:
        return ""
    return (
        f' · on lead <a href="{_escape(lead.get_absolute_url())}">{_escape(lead)}</a>'
    )


def _activity(entry, clock, open_state, csrf, back):
    item = entry.item
    parts = [
        '<div class="timeline-title">\n'
        f'  <span class="badge">{_escape(_display(item, "kind"))}</span>\n'
    ]
    if item.direction:
        parts.append(
            f'  <span class="muted small">{_escape(_display(item, "direction"))}'
            "</span>\n"
        )
    parts.append(
        f"  <strong>{_escape(item.subject)}</strong>\n"
        f'  <span class="badge badge-{_escape(item.state)}">'
        f"{_escape(_display(item, 'state'))}</span>\n</div>\n"
    )
    if item.due_at:
        parts.append(f'<div class="small">Due {clock.at(item.due_at)}</div>\n')
    if item.start_at:
        end = f" – {clock.at(item.end_at)}" if item.end_at else ""
        parts.append(f'<div class="small">{clock.at(item.start_at)}{end}</div>\n')
    if item.description:
        parts.append(f'<div class="timeline-text">{_lines(item.description)}</div>\n')
    completed = (
        f" · completed {clock.ago(item.completed_at)}" if item.completed_at else ""
    )
    parts.append(
        f'<div class="meta">Owner {_escape(item.owner)} · logged '
        f"{clock.ago(item.created_at)}{completed}{_on_lead(entry)}</div>\n"
    )
    if item.state == open_state:
        hidden = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_escape(csrf)}">'
            f'<input type="hidden" name="next" value="{_escape(back)}">'
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


def _note(entry, clock):
    item = entry.item
    return (
        '<div class="timeline-title"><span class="badge">Note</span> '
        f"<strong>{_escape(item.title or '')}</strong></div>\n"
        f'<div class="timeline-text">{_lines(item.text)}</div>\n'
        f'<div class="meta">{_escape(item.created_by or "Unknown user")} · '
        f"{clock.ago(item.created_at)}{_on_lead(entry)}</div>\n"
    )


def _attachment(entry, clock):
    item = entry.item
    url = reverse("leads:download-attachment", args=[item.pk])
    return (
        '<div class="timeline-title"><span class="badge">File</span>\n'
        f'  <a href="{url}" download>{_escape(item.original_name)}</a>\n'
        f'  <span class="muted small">{_escape(filesizeformat(item.size))}</span>\n'
        "</div>\n"
        f'<div class="meta">{_escape(item.created_by or "Unknown user")} · '
        f"{clock.ago(item.created_at)}{_on_lead(entry)}</div>\n"
    )


@register.simple_tag(takes_context=True)
def timeline_items(context, timeline):
    """The <li> of every timeline entry (activities, notes, files), newest first."""
    clock = _Clock()
    open_state = context.get("open_activity_state")
    csrf = str(context.get("csrf_token") or "")
    back = context.get("timeline_return_url") or ""
    items = []
    for entry in timeline:
        if entry.kind == "activity":
            body = _activity(entry, clock, open_state, csrf, back)
        elif entry.kind == "note":
            body = _note(entry, clock)
        else:
            body = _attachment(entry, clock)
        items.append(
            f'<li class="kind-{_escape(entry.kind)}" id="{_escape(entry.kind)}-'
            f'{entry.item.pk}">\n{body}</li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped


# --- the lead list ----------------------------------------------------------------


def _owner_html(lead):
    """(title, cell) of the owner column: the user, or "Team" and the team."""
    if lead.owner_user_id:
        return (_escape(lead.owner_user),) * 2
    if lead.owner_team_id:
        team = _escape(lead.owner_team)
        return f"Team {team}", f'<span class="badge">Team</span> {team}'
    return "", ""


def _status_html(lead, labels):
    """The short pill of leads/partials/status_badge.html."""
    label = labels[lead.status]
    if lead.is_open:
        return f'<span class="badge badge-open" title="Open">{label}</span>'
    if lead.is_qualified:
        return '<span class="badge badge-qualified">Qualified</span>'
    return (
        f'<span class="badge badge-disqualified" title="Disqualified · {label}">'
        f"{label}</span>"
    )


@register.simple_tag
def lead_status_badge(lead):
    """The short status pill of a table row (leads/partials/status_badge.html with
    short=True), drawn in Python: home and search pages show one per row."""
    labels = {value: _escape(label) for value, label in LeadStatus.choices}
    return mark_safe(_status_html(lead, labels))


@register.simple_tag
def lead_rows(leads):
    """The <tr> of every lead of the list page (columns as LIST_COLUMNS in
    leads/views/leads.py; values as leads.selectors.leads.LIST_ROW_FIELDS reads)."""
    day = _days(get_format("SHORT_DATE_FORMAT"))
    statuses = {value: _escape(label) for value, label in LeadStatus.choices}
    ratings = {
        value: f'<span class="badge badge-{_escape(str(label).lower())}">'
        f"{_escape(label)}</span>"
        for value, label in LeadRating.choices
    }
    url = url_maker("leads:detail")
    rows = []
    for lead in leads:
        name = _escape(lead.full_name or lead.last_name)
        subject = _escape(lead.subject)
        company = _escape(lead.company_name)
        email = _escape(lead.email)
        owner_title, owner = _owner_html(lead)
        close = day(lead.estimated_close_date)
        created = day(lead.created_at)
        rows.append(
            "<tr>\n"
            '  <td class="select"><label class="hit"><input type="checkbox" name="ids"'
            f' value="{lead.pk}" form="bulk-form" class="lead-select"'
            f' aria-label="Select {name}"></label></td>\n'
            f'  <td class="c-name clip" title="{name}">'
            f'<a href="{url(lead.pk)}">{name}</a></td>\n'
            f'  <td class="c-topic clip minor" title="{subject}">{subject}</td>\n'
            f'  <td class="c-company clip" title="{company}">{company or "—"}</td>\n'
            f'  <td class="c-email clip minor" title="{email}">{email or "—"}</td>\n'
            f'  <td class="c-status">{_status_html(lead, statuses)}</td>\n'
            f'  <td class="c-rating minor">{ratings.get(lead.rating, "")}</td>\n'
            f'  <td class="num minor">{_escape(money(lead.estimated_value, 0))}</td>\n'
            f'  <td class="c-date minor">{close}</td>\n'
            f'  <td class="c-owner clip" title="{owner_title}">{owner}</td>\n'
            f'  <td class="c-date minor">{created}</td>\n'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
