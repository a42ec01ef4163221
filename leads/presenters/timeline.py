"""The items of a timeline (templates/jinja2/leads/partials/timeline_items.html):
activities, notes and files of a lead, account, contact or opportunity."""

import datetime
from dataclasses import dataclass, field

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import ObjectDoesNotExist
from django.template.defaultfilters import filesizeformat
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from leads.models import Activity, ActivityState, EmailState
from leads.selectors.timeline import TimelineEntry
from leadsite.core.display import NO_VALUE, day_formatter, url_maker

UNKNOWN_USER = _("Unknown user")


def _labels(name):
    """value -> label of an Activity field's choices (get_FOO_display rebuilds it
    per call)."""
    return dict(Activity._meta.get_field(name).flatchoices)


_KINDS, _STATES, _DIRECTIONS = _labels("kind"), _labels("state"), _labels("direction")


class _Clock:
    """The timestamps of one page, each day and each time of day formatted once (a
    long timeline repeats both): `at` is the date and time (SHORT_DATETIME_FORMAT,
    as SHORT_DATE_FORMAT and TIME_FORMAT), `ago` is relative within the last day
    ("3 hours ago") and the date and time before that."""

    def __init__(self):
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.day = day_formatter()
        self.time_format = get_format("TIME_FORMAT")
        self.times = {}

    def at(self, value):
        if value is None:
            return NO_VALUE
        value = value.astimezone(self.zone)
        key = (value.hour, value.minute, value.second)
        text = self.times.get(key)
        if text is None:
            text = self.times[key] = dateformat.time_format(value, self.time_format)
        return f"{self.day(value.date())}, {text}"

    def ago(self, value):
        if datetime.timedelta(0) <= self.now - value < datetime.timedelta(days=1):
            return naturaltime(value)
        return self.at(value)


def _lines(text):
    """The text's lines, as linebreaksbr splits them (the template puts <br>)."""
    return str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass(slots=True)
class TimelineItem:
    kind: str  # "activity", "note" or "attachment"
    pk: int
    title: str  # subject, note title or file name
    logged: str  # when it was written: "3 hours ago" or the date and time
    author: str = ""  # note and file: who wrote it
    lines: list[str] = field(default_factory=list)  # description or note text
    # On an opportunity's timeline: the lead the item was written on.
    lead_url: str = ""
    lead_name: str = ""
    # Activities
    badge: str = ""  # the kind ("Phone call")
    direction: str = ""
    state: str = ""  # "open", "completed", "canceled": the state badge's class
    state_label: str = ""
    due: str = ""
    start: str = ""
    end: str = ""
    owner: str = ""
    completed: str = ""
    complete_url: str = ""  # open activities: their two buttons
    cancel_url: str = ""
    # Files
    url: str = ""
    size: str = ""
    # Emails sent from or received on the record (leads.models.EmailMessage)
    email_state: str = ""  # "queued", "sent", "failed", "received"
    email_state_label: str = ""
    email_css: str = ""  # the state badge's class
    email_to: str = ""
    email_from: str = ""
    email_reason: str = ""  # failed (or failing and tried again): why
    email_sent: str = ""
    retry_url: str = ""  # failed: "Try again"


_EMAIL_STATES = dict(EmailState.choices)
# The state badge reuses the activity badges' colours.
_EMAIL_CSS = {
    EmailState.QUEUED: "open",
    EmailState.SENT: "completed",
    EmailState.FAILED: "canceled",
    EmailState.RECEIVED: "completed",
}


def _email_of(activity):
    """The activity's email, joined by the selector; None for other activities."""
    try:
        return activity.email
    except ObjectDoesNotExist:
        return None


def _show_email(shown, email, clock, retry_url):
    """An email's state, addresses and failure on its activity's item. Its own
    state replaces the activity's open/completed (sent from the record, an email
    is neither completed nor canceled by hand)."""
    shown.email_state = email.state
    shown.email_state_label = _EMAIL_STATES.get(email.state, email.state)
    shown.email_css = _EMAIL_CSS.get(email.state, "")
    shown.email_to = email.to_address
    shown.email_from = email.from_address
    if email.state == EmailState.SENT and email.sent_at:
        shown.email_sent = clock.ago(email.sent_at)
    if email.state in (EmailState.FAILED, EmailState.QUEUED):
        shown.email_reason = email.failure_reason
    if email.state == EmailState.FAILED:
        shown.retry_url = retry_url(email.pk)


def timeline_items(entries: list[TimelineEntry]) -> list[TimelineItem]:
    """An item per entry of leads.selectors.timeline.list_timeline, newest first."""
    clock = _Clock()
    lead_url = url_maker("leads:detail")
    complete_url = url_maker("leads:complete-activity")
    cancel_url = url_maker("leads:cancel-activity")
    download_url = url_maker("leads:download-attachment")
    retry_url = url_maker("leads:retry-email")
    items = []
    for entry in entries:
        item = entry.item
        shown = TimelineItem(
            kind=entry.kind,
            pk=item.pk,
            title="",
            logged=clock.ago(item.created_at),
        )
        if entry.from_lead:
            shown.lead_url = lead_url(entry.from_lead.pk)
            shown.lead_name = str(entry.from_lead)
        if entry.kind == "activity":
            shown.title = item.subject
            shown.badge = _KINDS.get(item.kind, item.kind)
            shown.direction = _DIRECTIONS.get(item.direction, item.direction)
            shown.state = state = item.state
            shown.state_label = _STATES.get(state, state)
            shown.due = clock.at(item.due_at) if item.due_at else ""
            if item.start_at:
                shown.start = clock.at(item.start_at)
                shown.end = clock.at(item.end_at) if item.end_at else ""
            shown.lines = _lines(item.description) if item.description else []
            shown.owner = str(item.owner)
            if item.completed_at:
                shown.completed = clock.ago(item.completed_at)
            email = _email_of(item)
            if email is not None:
                _show_email(shown, email, clock, retry_url)
                if not shown.lines and email.body:
                    shown.lines = _lines(email.body)
            elif state == ActivityState.OPEN:
                shown.complete_url = complete_url(item.pk)
                shown.cancel_url = cancel_url(item.pk)
        else:
            shown.author = str(item.created_by or UNKNOWN_USER)
            if entry.kind == "note":
                shown.title = item.title or ""
                shown.lines = _lines(item.text)
            else:
                shown.title = item.original_name
                shown.url = download_url(item.pk)
                shown.size = filesizeformat(item.size)
        items.append(shown)
    return items
