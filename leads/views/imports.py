import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import is_administrator, is_manager
from leads import imports as parsing
from leads import tasks
from leads.exceptions import TransitionRefused
from leads.exports import Echo, sheet_row
from leads.forms.imports import ImportOptionsForm, ImportUploadForm
from leads.models import ImportBatch, ImportStatus
from leads.selectors import imports as selectors
from leads.services import imports as services
from leadsite.core.middleware import takes_uploads

RECENT_BATCHES = 20


def _require_importer(request):
    if not (is_manager(request.user) or is_administrator(request.user)):
        raise Http404("Only sales managers and administrators import leads.")


def _batch_or_404(request, pk):
    """The batch if it is in the user's scope and the user imports; else 404."""
    try:
        batch = selectors.get_batch(pk=pk, user=request.user)
    except ImportBatch.DoesNotExist:
        raise Http404("No such import.") from None
    _require_importer(request)
    return batch


@takes_uploads("LEADSITE_IMPORT_MAX_SIZE")
def import_upload(request):
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_import_batch(
                upload=form.cleaned_data["file"], by=request.user
            )
        except parsing.TableError as error:
            form.add_error("file", str(error))
        else:
            tasks.enqueue_next_step(batch, by=request.user)
            return redirect(batch)
    batches = selectors.list_batches(user=request.user)[:RECENT_BATCHES]
    return render(
        request,
        "leads/import_upload.html",
        {"form": form, "batches": batches, "limits": parsing.import_limits()},
    )


def import_detail(request, pk):
    batch = _batch_or_404(request, pk)
    if batch.status != ImportStatus.MAPPING:
        return render(
            request, "leads/import_progress.html", selectors.progress_context(batch)
        )
    form = ImportOptionsForm(request.POST or None, batch=batch, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.set_import_options(
                batch=batch,
                by=request.user,
                mapping=form.mapping(),
                duplicate_mode=form.cleaned_data["duplicate_mode"],
                owner_user=form.cleaned_data["owner"],
                fills=form.fills(),
            )
            if request.POST.get("action") == "start":
                # No message: the progress page says where the import is.
                batch = services.start_import(batch=batch, by=request.user)
                tasks.enqueue_next_step(batch, by=request.user)
            return redirect(batch)
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionRefused as error:
            messages.error(request, str(error))
            return redirect(batch)
    preview = selectors.import_preview(batch=batch, user=request.user)
    return render(
        request,
        "leads/import_mapping.html",
        {
            "batch": batch,
            "form": form,
            "preview": preview,
            "system_name": parsing.SYSTEM_NAMES.get(batch.source_system, ""),
        },
    )


@require_GET
def import_progress(request, pk):
    batch = _batch_or_404(request, pk)
    if batch.status == ImportStatus.MAPPING:
        # The worker has read the file: the polling page moves on to the mapping.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = batch.get_absolute_url()
        return response
    return render(
        request, "leads/import_progress_panel.html", selectors.progress_context(batch)
    )


@require_GET
def import_report(request, pk):
    batch = _batch_or_404(request, pk)
    writer = csv.writer(Echo())

    def rows():
        yield "\ufeff" + writer.writerow(
            sheet_row(["row", "outcome", "lead", "message"])
        )
        for row in batch.rows.order_by("line").iterator(chunk_size=2000):
            yield writer.writerow(
                sheet_row(
                    [
                        row.line,
                        row.get_outcome_display(),
                        row.lead_id or "",
                        row.message,
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="import-{batch.pk}-report.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def import_undo(request, pk):
    batch = _batch_or_404(request, pk)
    try:
        batch = services.undo_import(batch=batch, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        # No message: the progress page shows the undo as it goes and when done.
        tasks.enqueue_next_step(batch, by=request.user)
    return redirect(batch)


@require_POST
def import_resume(request, pk):
    batch = _batch_or_404(request, pk)
    try:
        batch = services.resume_import(batch=batch, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error))
    else:
        # No message: the progress page shows the resumed work as it goes.
        tasks.enqueue_next_step(batch, by=request.user)
    return redirect(batch)
