"""Qualifying a lead and the page of what qualification created."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from leads.exceptions import closed_message
from leads.forms.qualification import QualifyLeadForm
from leads.models import Lead, LeadState
from leads.selectors.duplicates import (
    find_matching_accounts_contacts,
)
from leads.services import qualification
from leads.views.common import (
    REFUSALS,
    lead_or_404,
    refusal_message,
)


def lead_qualify(request, pk):
    # The plain scoped lead: this page shows the lead's own fields only, and the
    # service reads the row again under its lock (the detail page's joins and
    # prefetches would be read for nothing).
    lead = lead_or_404(request, pk)
    if lead.state == LeadState.QUALIFIED:
        messages.info(request, gettext("This lead is already qualified."))
        return redirect("leads:qualified", pk=lead.pk)
    if not lead.is_editable:
        messages.warning(request, closed_message(lead))
        return redirect(lead)
    # Read only when the page is shown (a valid POST redirects without them).
    matches = SimpleLazyObject(
        lambda: find_matching_accounts_contacts(user=request.user, lead=lead)
    )
    form = QualifyLeadForm(
        request.POST or None, user=request.user, lead=lead, matches=matches
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = qualification.qualify_lead(
                lead=lead, by=request.user, **form.service_kwargs()
            )
        except REFUSALS as error:
            refusal_message(request, error, lead)
            if Lead.objects.filter(pk=lead.pk, state=LeadState.QUALIFIED).exists():
                return redirect("leads:qualified", pk=lead.pk)
            return redirect(lead)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The result page is the confirmation; no second "Lead qualified" message.
            request.session[f"qualified-{lead.pk}"] = result.summary
            return redirect("leads:qualified", pk=lead.pk)
    return render(
        request,
        "leads/lead_qualify.html",
        {
            "lead": lead,
            "form": form,
            "matches": matches,
            "interests_count": lead.interests.count(),
        },
    )


def lead_qualified(request, pk):
    lead = lead_or_404(request, pk, detail=True)
    summary = request.session.get(f"qualified-{lead.pk}", {})
    records = [
        (name, record, summary.get(name, "linked"))
        for name, record in (
            ("account", lead.qualifying_account),
            ("contact", lead.qualifying_contact),
            ("opportunity", lead.qualifying_opportunity),
        )
        if record is not None
    ]
    return render(
        request,
        "leads/lead_qualified.html",
        {"lead": lead, "records": records, "from_this_request": bool(summary)},
    )
