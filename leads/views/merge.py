"""The merge page: pick two open leads, choose which values the survivor keeps,
merge through leads/services/merge.py."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods
from django_fsm import TransitionNotAllowed

from leads.exceptions import closed_message
from leads.forms.merge import MergeLeadsForm
from leads.selectors.merge import (
    differing_fields,
    get_merge_pair,
    merge_candidates,
    merge_rows,
    parse_ids,
)
from leads.services.merge import merge_leads as merge_leads_service
from leads.views.common import lead_or_404
from leadsite.core.errors import error_message


@require_http_methods(["GET", "POST"])
def merge_leads(request):
    ids = parse_ids(request.GET.get("ids", ""))
    if len(ids) == 1:
        lead = lead_or_404(request, ids[0])
        # NUL cannot reach a PostgreSQL text parameter; a tampered one is dropped.
        q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
        return render(
            request,
            "leads/lead_merge.html",
            {
                "first_lead": lead,
                "candidates": merge_candidates(lead=lead, user=request.user, q=q),
                "q": q,
            },
        )
    if len(ids) != 2:
        raise Http404("Choose two leads to merge.")
    try:
        lead_a, lead_b = get_merge_pair(ids=ids, user=request.user)
    except ObjectDoesNotExist:
        raise Http404("No such lead.") from None
    fields = differing_fields(lead_a, lead_b)
    form = MergeLeadsForm(
        request.POST or None, lead_a=lead_a, lead_b=lead_b, fields=fields
    )
    closed = [
        closed_message(lead, named=True)
        for lead in (lead_a, lead_b)
        if not lead.is_editable
    ]
    if request.method == "POST" and not closed and form.is_valid():
        try:
            master = merge_leads_service(by=request.user, **form.merge_arguments())
        except ObjectDoesNotExist:
            raise Http404("No such lead.") from None
        except (ValidationError, TransitionNotAllowed) as error:
            detail = (
                error_message(error)
                if isinstance(error, ValidationError)
                else str(error)
            )
            form.add_error(None, detail)
        else:
            messages.success(
                request, gettext("Leads merged into “%(lead)s”.") % {"lead": master}
            )
            return HttpResponseRedirect(master.get_absolute_url())
    return render(
        request,
        "leads/lead_merge.html",
        {
            "lead_a": lead_a,
            "lead_b": lead_b,
            "form": form,
            "rows": merge_rows(lead_a, lead_b, form),
            "closed_messages": closed,
            "merge_action": reverse("leads:merge") + f"?ids={lead_a.pk},{lead_b.pk}",
        },
    )
