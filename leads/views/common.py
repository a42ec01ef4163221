"""What the lead pages share: the scoped lookup, refusal messages, the assign pickers,
the add forms loaded into a record page's disclosures."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.forms.utils import pretty_name
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.permissions import (
    assignable_teams,
    assignable_users,
)
from leads.exceptions import TransitionRefused
from leads.models import Lead, LeadState
from leads.selectors import leads as selectors
from leads.selectors import timeline as timeline_selectors

PAGE_SIZE = 50
STALE_MESSAGE = _(
    "This lead changed while you were looking at it. Here is its current state."
)


def lead_or_404(request, pk, *, detail=False):
    getter = selectors.get_lead_for_detail if detail else selectors.get_lead
    try:
        return getter(pk=pk, user=request.user)
    except Lead.DoesNotExist:
        raise Http404("No lead here, or not one you can see.") from None


def refusal_message(request, error, lead):
    """Show a refused step as a message; point at the result page when qualified."""
    text = " ".join(getattr(error, "messages", [str(error)])) or STALE_MESSAGE
    if isinstance(error, TransitionNotAllowed | ConcurrentTransition):
        text = STALE_MESSAGE
    fresh = Lead.objects.filter(pk=lead.pk).values_list("state", flat=True).first()
    if fresh == LeadState.QUALIFIED:
        link = render_to_string(
            "leads/partials/qualified_refusal.html", {"text": text, "lead_pk": lead.pk}
        )
        messages.warning(request, link.strip())
    else:
        messages.warning(request, text)


REFUSALS = (TransitionRefused, TransitionNotAllowed, ConcurrentTransition)


def assignees(user):
    """Users and teams for the assign pickers, each read once."""
    return {
        "assign_users": list(assignable_users(user)),
        "assign_teams": list(assignable_teams(user)),
    }


def reuse_choices(form, assignees):
    """The filter's owner and team pickers show the users and teams already read
    for the assign pickers (the same lists), instead of reading them again."""
    for name, records in [
        ("owner", assignees["assign_users"]),
        ("team", assignees["assign_teams"]),
    ]:
        field = form.fields[name]
        # The widget renders the options; validation still goes through the
        # field's queryset.
        field.widget.choices = [
            ("", field.empty_label),
            *((record.pk, field.label_from_instance(record)) for record in records),
        ]


def form_panel(request, record, *, title: str, template: str, context: dict, back=None):
    """GET on an add URL: its form alone. The record page loads it into a
    disclosure when that opens (htmx asks for the fragment, so the page itself
    renders no collapsed form); without JavaScript the disclosure's link opens it
    as a page of its own, with a link back (`back`: url and label; by default the
    record's page)."""
    back_url, back_label = back or (record.get_absolute_url(), str(record))
    context = {
        "record": record,
        "panel_title": title,
        "panel_template": template,
        "back_url": back_url,
        "back_label": back_label,
        **context,
    }
    fragment = request.headers.get("HX-Request") == "true"
    response = render(
        request, template if fragment else "partials/form_panel_page.html", context
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def record_or_404(request, record_type, pk):
    """A lead, account, contact or opportunity in the user's scope, else 404."""
    try:
        return timeline_selectors.get_record(
            record_type=record_type, pk=pk, user=request.user
        )
    except (LookupError, ObjectDoesNotExist):
        raise Http404("No such record.") from None


def back_to(record, anchor=""):
    return HttpResponseRedirect(record.get_absolute_url() + anchor)


def form_error_message(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(errors)
        if name == "__all__":
            parts.append(text)
        else:
            parts.append(f"{form.fields[name].label or pretty_name(name)}: {text}")
    return " ".join(parts)


def fail(request, what: str, detail: str):
    messages.error(request, f"{what} — {detail}")
