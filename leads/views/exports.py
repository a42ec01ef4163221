"""Exports of the lead list: CSV streams at once; XLSX downloads at once up to
LEADSITE_EXPORT_DIRECT_MAX_ROWS leads, and beyond that is built in the background
(an export job) with a progress page and a download only its requester may use."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from leads import tasks
from leads.forms.exports import ExportStartForm
from leads.models import ExportFormat, ExportJob
from leads.selectors import exports as selectors
from leads.services import exports as services

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
def export_leads(request):
    """The lead list as a file: the same scope, saved view, filters and order."""
    file_format = request.GET.get("format", "csv")
    if file_format not in CONTENT_TYPES:
        file_format = "csv"
    query = selectors.export_query(request.GET)
    queryset = selectors.export_leads(user=request.user, query=query, request=request)
    if file_format == "xlsx":
        limit = settings.LEADSITE_EXPORT_DIRECT_MAX_ROWS
        if selectors.more_than(queryset, limit):
            form = ExportStartForm(
                initial={"query": query, "file_format": ExportFormat.XLSX}
            )
            return render(
                request,
                "leads/export_start.html",
                {"form": form, "query": query, "limit": limit},
            )
        chunks = services.xlsx_export_chunks(
            queryset=queryset, by=request.user, query=query
        )
    else:
        # Logged (the export log) when the stream ends, with the leads sent.
        chunks = services.stream_csv_export(
            queryset=queryset, by=request.user, query=query
        )
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_format])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="leads-{stamp}.{file_format}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def export_jobs(request):
    """GET: the user's recent background exports. POST: start one (PRG to its page)."""
    form = ExportStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = services.start_export(
            by=request.user,
            query=form.cleaned_data["query"],
            file_format=form.cleaned_data["file_format"],
        )
        tasks.run_export.enqueue(job.pk)
        messages.success(request, gettext("The export has started."))
        return redirect(job)
    jobs = selectors.list_export_jobs(user=request.user)[: selectors.RECENT_JOBS]
    return render(request, "leads/export_jobs.html", {"jobs": jobs, "form": form})


def _job_or_404(request, pk) -> ExportJob:
    """The job if the user asked for it; anyone else's is missing (404)."""
    try:
        return selectors.get_export_job(pk=pk, user=request.user)
    except ExportJob.DoesNotExist:
        raise Http404("No such export.") from None


def _panel_context(job):
    return {
        "job": job,
        "progress": selectors.export_progress(job),
        "again": ExportStartForm(
            initial={"query": job.query, "file_format": job.file_format}
        ),
    }


@require_GET
def export_job(request, pk):
    job = _job_or_404(request, pk)
    return render(request, "leads/export_job.html", _panel_context(job))


@require_GET
def export_job_progress(request, pk):
    job = _job_or_404(request, pk)
    return render(request, "leads/export_job_panel.html", _panel_context(job))


@require_GET
def export_job_download(request, pk):
    job = _job_or_404(request, pk)
    if not selectors.is_downloadable(job):
        raise Http404("This export's file is not ready or was removed.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.download_name,
        content_type=CONTENT_TYPES[job.file_format],
    )
