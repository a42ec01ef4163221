"""The privacy page (search by email address, the holds and the log), a record's
privacy page (the same person's records, legal holds, export and erase) and the
access export."""

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from leadsite.core.pagination import paginate
from privacy.forms.people import HoldForm, RecordsForm, SearchForm
from privacy.selectors import holds as hold_reads
from privacy.selectors import logs, people
from privacy.services.access import export_person
from privacy.views.common import privacy_only, record_or_404, record_page

RECENT = 10


@require_GET
def privacy_index(request):
    privacy_only(request)
    form = SearchForm(request.GET or None)
    found, query = None, ""
    if form.is_bound and form.is_valid() and form.cleaned_data["email"]:
        query = form.cleaned_data["email"]
        found = people.find_by_email(query)
    return render(
        request,
        "privacy/index.html",
        {
            "form": form,
            "found": found,
            "query": query,
            "holds": list(hold_reads.list_active_holds()[:50]),
            "requests": list(logs.list_access_requests()[:RECENT]),
            "erasures": list(logs.list_erasures()[:RECENT]),
        },
    )


def _record_privacy(request, kind, pk):
    privacy_only(request)
    record = record_or_404(kind, pk)
    return render(
        request,
        "privacy/record.html",
        {
            "record": record,
            "kind": kind,
            "record_url": record_page(request.user, record),
            "same": people.same_person(record),
            "holds": list(hold_reads.record_holds(record)),
            "hold_form": HoldForm(),
        },
    )


@require_GET
def lead_privacy(request, pk):
    return _record_privacy(request, "lead", pk)


@require_GET
def contact_privacy(request, pk):
    return _record_privacy(request, "contact", pk)


@require_http_methods(["GET", "POST"])
def access_export(request):
    """GET: what the export will hold, with the button; POST: the ZIP."""
    privacy_only(request)
    form = RecordsForm(request.POST if request.method == "POST" else request.GET)
    subject = None
    if form.is_valid():
        subject = people.subject_for(
            lead_ids=form.lead_ids, contact_ids=form.contact_ids
        )
        if request.method == "POST":
            export = export_person(
                subject=subject, by=request.user, query=form.cleaned_data["query"]
            )
            response = FileResponse(
                export.file,
                as_attachment=True,
                filename=export.filename,
                content_type="application/zip",
            )
            response["Cache-Control"] = "private, no-store"
            return response
    return render(
        request,
        "privacy/export_confirm.html",
        {"form": form, "subject": subject},
        status=200 if form.is_valid() else 400,
    )


@require_GET
def access_request_list(request):
    privacy_only(request)
    page = paginate(request, logs.list_access_requests())
    return render(
        request,
        "privacy/access_request_list.html",
        {"page": page, "requests": page.object_list},
    )
