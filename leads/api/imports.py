"""Imports through the API: upload a file, follow its progress, start it, undo or
resume it, as on the import pages.

Sales managers and administrators import (anyone else: 404 on every verb, as on
the pages); they see the batches of their business unit and below, and
administrators all (the selectors' scope). A request only stores the file or moves
the batch on through the import services, then queues the background worker's next
step, as the pages do; `status` and `progress` say where the work is. Batches carry
no version: each step is refused (409, the page's sentence) when the batch is no
longer where that step starts."""

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import is_administrator, is_manager
from leads import imports as parsing
from leads import tasks
from leads.api.common import (
    FIELDS,
    INVALID,
    MISSING,
    REFUSED,
    IdPagination,
    checked_by_form,
    found_or_404,
    refused,
)
from leads.exceptions import TransitionRefused
from leads.forms.imports import ImportOptionsForm
from leads.models import DuplicateMode, ImportBatch, ImportStatus
from leads.selectors import imports as selectors
from leads.selectors.consent import consent_import_targets
from leads.services import imports as services
from leadsite.core.api import ApiLoginMixin, Conflict, FieldsMixin
from leadsite.core.middleware import takes_uploads

ONLY_IMPORTERS = _("Only sales managers and administrators import leads.")
# Why a batch cannot start yet (or any more), where the page would not offer it.
ALREADY_STARTED = _("This import has already started.")
NOT_WAITING = {
    ImportStatus.CHECKING: _(
        "The file is still being read; start the import once its status is mapping."
    ),
    ImportStatus.REFUSED: _("The file was refused; upload a corrected file."),
}

# --- shapes ------------------------------------------------------------------------

BATCH_FIELDS = [
    "id",
    "original_name",
    "file_format",
    "status",
    "status_label",
    "refusal",
    "created_by",
    "created_by_name",
    "created_at",
    "total_rows",
    "rows_done",
    "created_count",
    "updated_count",
    "skipped_count",
    "failed_count",
    "started_at",
    "finished_at",
    "undone_at",
]


class ImportBatchSerializer(FieldsMixin, serializers.ModelSerializer):
    """An uploaded file and what became of it. `status`: checking (the worker reads
    the file) → mapping (waiting to be started) or refused → queued → running →
    done; then undoing → undone."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by_name = serializers.CharField(source="created_by", read_only=True)

    class Meta:
        model = ImportBatch
        fields = BATCH_FIELDS
        read_only_fields = fields


class WorkerWaitSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(help_text=_("How long the step has waited."))
    busy = serializers.IntegerField(help_text=_("Other tasks running meanwhile."))


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text=_("Rows processed and committed."))
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("Rows per second."))
    left = serializers.FloatField(
        allow_null=True, help_text=_("Seconds left, estimated.")
    )
    interrupted = serializers.BooleanField(
        help_text=_("A worker took the batch on and stopped reporting: resume it.")
    )
    polling = serializers.BooleanField(
        help_text=_("A worker has the batch in hand: read it again for progress.")
    )
    can_undo = serializers.BooleanField()
    undo_done = serializers.IntegerField()
    undo_total = serializers.IntegerField()
    worker_wait = WorkerWaitSerializer(
        allow_null=True,
        help_text=_("Set when the step has waited long for a worker (none running?)."),
    )


class ImportBatchDetailSerializer(ImportBatchSerializer):
    """A batch with its mapping and options and its progress."""

    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            *BATCH_FIELDS,
            "headers",
            "mapping",
            "fills",
            "source_system",
            "duplicate_mode",
            "owner_user",
            "undo_report",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, batch) -> dict:
        return ProgressSerializer(selectors.progress(batch)).data


class UploadSerializer(serializers.Serializer):
    # An empty file reaches the import's own checks, which refuse it in the page's
    # words.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=_(
            "A CSV (UTF-8 or Windows-1252; comma, semicolon or tab) or .xlsx "
            "file whose first row names the columns (multipart/form-data); up to "
            "LEADSITE_IMPORT_MAX_SIZE (50 MiB by default)."
        ),
    )


class MappingTargetField(serializers.ChoiceField):
    """A lead field (the documented choices), or "consent:<purpose code>" of an
    active consent purpose (leads.selectors.consent, read when a value names one)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.startswith(parsing.rows.CONSENT_PREFIX):
            if data in dict(consent_import_targets()):
                return data
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StartSerializer(serializers.Serializer):
    """The mapping page's choices; each left out keeps the batch's (the mapping
    guessed from the header, the fills guessed with it)."""

    mapping = serializers.DictField(
        child=MappingTargetField(choices=parsing.TARGETS),
        required=False,
        help_text=_(
            'Column index (as text) → lead field, e.g. {"0": "last_name"}; '
            "columns left out are not imported. Consent to a purpose: "
            '"consent:<purpose code>" (cells yes: given, no: withdrawn).'
        ),
    )
    duplicate_mode = serializers.ChoiceField(
        choices=DuplicateMode.choices, required=False
    )
    owner = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text=_(
            "A user you may assign to gets every lead; null: the routing rules decide."
        ),
    )
    fills = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=300),
        required=False,
        help_text=_(
            "Text or template for a required field no column gives: keys "
            '"subject", "last_name", e.g. {"subject": "{company_name}"}.'
        ),
    )


# --- the resource -------------------------------------------------------------------

WORK_QUEUED = {
    202: ImportBatchDetailSerializer,
    404: MISSING,
    409: REFUSED,
}


@extend_schema_view(
    list=extend_schema(
        parameters=[FIELDS],
        responses={200: ImportBatchSerializer(many=True), 404: MISSING},
    ),
    retrieve=extend_schema(
        parameters=[FIELDS],
        responses={200: ImportBatchDetailSerializer, 404: MISSING},
    ),
    create=extend_schema(
        request=UploadSerializer,
        responses={201: ImportBatchDetailSerializer, 400: INVALID, 404: MISSING},
    ),
)
class ImportBatchViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    queryset = ImportBatch.objects.none()  # the schema's model; reads use selectors
    serializer_class = ImportBatchSerializer
    pagination_class = IdPagination
    parser_classes = [MultiPartParser]  # the upload; the steps take JSON
    lookup_value_regex = "[0-9]+"

    @classmethod
    def as_view(cls, *args, **kwargs):
        # Import files may be larger than attachments (RequestBodyMiddleware).
        return takes_uploads("LEADSITE_IMPORT_MAX_SIZE")(
            super().as_view(*args, **kwargs)
        )

    def _batches(self):
        user = self.request.user
        if not (is_manager(user) or is_administrator(user)):
            raise exceptions.NotFound(ONLY_IMPORTERS)
        return selectors.list_batches(user=user)

    def get_object(self) -> ImportBatch:
        batches = self._batches()
        return found_or_404(
            lambda: batches.get(pk=self.kwargs["pk"]), gettext("No such import.")
        )

    def _detail(self, batch, *, status_code=status.HTTP_200_OK) -> Response:
        data = ImportBatchDetailSerializer(
            batch, context=self.get_serializer_context()
        ).data
        return Response(data, status=status_code)

    def _queued(self, batch) -> Response:
        """The worker's next step queued after the service committed (as the
        pages do); 202 with the batch as it is now."""
        tasks.enqueue_next_step(batch, by=self.request.user)
        return self._detail(batch, status_code=status.HTTP_202_ACCEPTED)

    # --- reads ---------------------------------------------------------------------

    def list(self, request):
        """The imports you may see, newest first."""
        page = self.paginate_queryset(self._batches())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        """A batch with its mapping, options and progress (read it again while
        `progress.polling` is true)."""
        return self._detail(self.get_object())

    # --- writes ----------------------------------------------------------------------

    def create(self, request):
        """Upload a file (multipart/form-data, field `file`): stored as a batch in
        status checking, and the worker is queued to read it, as the import page
        does. A file refused at once (empty, too big, not a workbook) stores
        nothing (400 on `file`)."""
        self._batches()  # importers only
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            batch = services.create_import_batch(
                upload=serializer.validated_data["file"], by=request.user
            )
        except parsing.TableError as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from None
        tasks.enqueue_next_step(batch, by=request.user)
        response = self._detail(batch, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:import-detail", args=[batch.pk])
        return response

    @extend_schema(
        request=StartSerializer,
        responses={**WORK_QUEUED, 400: INVALID},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def start(self, request, pk=None):
        """Set the mapping and options of a batch waiting in status mapping, as the
        mapping page does, and queue the import (202)."""
        batch = self.get_object()
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if batch.status != ImportStatus.MAPPING:
            # Where the page shows the progress instead of the mapping form (the
            # service refuses it again under the batch's lock).
            raise Conflict(NOT_WAITING.get(batch.status, ALREADY_STARTED))
        options = self._options(batch, serializer.validated_data)
        try:
            batch = services.set_import_options(batch=batch, by=request.user, **options)
            batch = services.start_import(batch=batch, by=request.user)
        except TransitionRefused as error:
            raise refused(error) from None
        return self._queued(batch)

    def _options(self, batch, data) -> dict:
        """The mapping page's form judges the choices (the batch's own where the
        request leaves them out)."""
        mapping = data.get("mapping", batch.mapping)
        columns = len(batch.headers)
        stray = sorted(
            key for key in mapping if not (key.isdigit() and int(key) < columns)
        )
        if stray:
            raise exceptions.ValidationError(
                {
                    "mapping": [
                        gettext(
                            "No column %(columns)s in the file: its columns are 0 to "
                            "%(last)s."
                        )
                        % {"columns": ", ".join(stray), "last": columns - 1}
                    ]
                }
            )
        fills = data.get("fills", batch.fills)
        unknown = sorted(set(fills) - set(parsing.REQUIRED_FIELDS))
        if unknown:
            raise exceptions.ValidationError(
                {
                    "fills": [
                        gettext(
                            "Not a required field: %(fields)s. Fills are for "
                            "%(required)s."
                        )
                        % {
                            "fields": ", ".join(unknown),
                            "required": ", ".join(parsing.REQUIRED_FIELDS),
                        }
                    ]
                }
            )
        owner = data["owner"] if "owner" in data else batch.owner_user_id
        form = ImportOptionsForm(
            data={
                "duplicate_mode": data.get("duplicate_mode", batch.duplicate_mode),
                "owner": "" if owner is None else owner,
                **{
                    f"fill_{name}": fills.get(name, "")
                    for name in parsing.REQUIRED_FIELDS
                },
                **{f"col_{i}": mapping.get(str(i), "") for i in range(columns)},
            },
            batch=batch,
            user=self.request.user,
        )
        names = {f"col_{i}": f"mapping.{i}" for i in range(columns)}
        names.update({f"fill_{n}": f"fills.{n}" for n in parsing.REQUIRED_FIELDS})
        cleaned = checked_by_form(form, names=names)
        return {
            "mapping": form.mapping(),
            "duplicate_mode": cleaned["duplicate_mode"],
            "owner_user": cleaned["owner"],
            "fills": form.fills(),
        }

    @extend_schema(request=None, responses=WORK_QUEUED)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def undo(self, request, pk=None):
        """Undo a finished (or interrupted) import: the leads it created are
        deleted and the ones it updated get their values back, except those
        someone worked on since (kept, listed in `undo_report`). Queued (202);
        refused while it runs, before it started, and once undone (409)."""
        batch = self.get_object()
        try:
            batch = services.undo_import(batch=batch, by=request.user)
        except TransitionRefused as error:
            raise refused(error) from None
        return self._queued(batch)

    @extend_schema(request=None, responses=WORK_QUEUED)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def resume(self, request, pk=None):
        """Hand an interrupted batch (`progress.interrupted`) to a worker again; it
        goes on after its last committed row (202). 409 when it is not
        interrupted."""
        batch = self.get_object()
        try:
            batch = services.resume_import(batch=batch, by=request.user)
        except TransitionRefused as error:
            raise refused(error) from None
        return self._queued(batch)
