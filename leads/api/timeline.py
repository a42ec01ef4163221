"""A lead's timeline through the API: its activities, notes and attachments (list
and add, as on the lead page), an item by its id, an activity's complete and
cancel, and an attachment's file.

Reads go through the timeline selectors and the gate: a lead, or an item whose
record, outside the caller's scope is a 404 on every verb. Writes go through the
timeline services with the page's own checks (the activity form's rules, the
upload's content checks). Items carry no version: the pages edit and delete none of
them, and complete/cancel are refused (409) once the activity is no longer open,
as on the page."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from leads.api.common import (
    FIELDS,
    INVALID,
    LEAD_PK,
    MISSING,
    REFUSED,
    checked_by_form,
    found_or_404,
    lead_or_404,
)
from leads.attachments import attachment_response
from leads.exceptions import TransitionRefused
from leads.forms.timeline import ActivityForm
from leads.models import Activity, ActivityKind, Attachment, Direction, Note
from leads.selectors import timeline as selectors
from leads.services import timeline as services
from leadsite.core.api import ApiLoginMixin, Conflict, FieldsMixin, KeysetPagination
from leadsite.core.errors import error_message

# Every item names the record it regards (one of the four ids) and who wrote it.
ITEM_FIELDS = [
    "id",
    "lead",
    "account",
    "contact",
    "opportunity",
    "created_by",
    "created_by_name",
    "created_at",
]


# --- shapes ------------------------------------------------------------------------


class _ItemSerializer(FieldsMixin, serializers.ModelSerializer):
    created_by_name = serializers.CharField(
        source="created_by",
        read_only=True,
        allow_null=True,
        help_text=_("Who wrote it (null when that user was removed)."),
    )


class ActivitySerializer(_ItemSerializer):
    """A phone call, email, task or appointment; `state` open, completed or
    canceled."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    owner_name = serializers.CharField(source="owner", read_only=True)

    class Meta:
        model = Activity
        fields = [
            *ITEM_FIELDS,
            "kind",
            "kind_label",
            "subject",
            "description",
            "direction",
            "due_at",
            "start_at",
            "end_at",
            "state",
            "state_label",
            "completed_at",
            "owner",
            "owner_name",
        ]
        read_only_fields = fields


class NoteSerializer(_ItemSerializer):
    class Meta:
        model = Note
        fields = [*ITEM_FIELDS, "title", "text"]
        read_only_fields = fields


class AttachmentSerializer(_ItemSerializer):
    """A file's details; its content is at `download_url`."""

    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            *ITEM_FIELDS,
            "original_name",
            "content_type",
            "size",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("api:attachment-download", args=[attachment.pk])


class ActivityCreateSerializer(serializers.Serializer):
    """Log an activity, as the lead page's form: calls and emails say their
    direction; a task may have a due time; an appointment has a start (and an end
    not before it). Fields that do not belong to the kind are dropped."""

    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    subject = serializers.CharField(max_length=200)
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Calls and emails: incoming or outgoing."),
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=_("Tasks.")
    )
    start_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=_("Appointments.")
    )
    end_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text=_("Appointments.")
    )
    completed = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Already done: logged as completed (a New lead becomes Contacted)."
        ),
    )

    def validate(self, attrs):
        # The page's form judges the values: the same rules, in the same words.
        form = ActivityForm(
            data={key: "" if value is None else value for key, value in attrs.items()}
        )
        data = checked_by_form(form)
        return {name: data[name] for name in attrs}


class NoteCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["title", "text"]


class AttachmentCreateSerializer(serializers.Serializer):
    # An empty file reaches the upload checks, which refuse it in the page's words.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=_(
            "The file (multipart/form-data). PDF, images, Office and "
            "OpenDocument files, plain text and CSV, judged by their content; up to "
            "LEADSITE_MAX_UPLOAD_SIZE (5 MiB by default)."
        ),
    )


# --- a lead's items ----------------------------------------------------------------


class _LeadItems(ApiLoginMixin, viewsets.GenericViewSet):
    """List (cursor pages, newest first) and add the items of one kind on a lead."""

    kind = ""
    create_serializer_class = None
    pagination_class = KeysetPagination

    def list(self, request, lead_pk=None):
        lead = lead_or_404(request, lead_pk)
        page = self.paginate_queryset(
            selectors.timeline_items(record=lead, kind=self.kind)
        )
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def create(self, request, lead_pk=None):
        lead = lead_or_404(request, lead_pk)
        serializer = self.create_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            item = self.add(lead, serializer.validated_data)
        except (TransitionRefused, TransitionNotAllowed) as error:
            raise Conflict(error_message(error)) from None
        data = self.get_serializer(item).data
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse(f"api:{self.kind}-detail", args=[item.pk])
        return response

    def add(self, lead, data):
        raise NotImplementedError


def _lead_items_schema(item_serializer, create_serializer, what: str):
    return extend_schema_view(
        list=extend_schema(
            summary=f"The lead's {what}, newest first",
            parameters=[LEAD_PK, FIELDS],
            responses={200: item_serializer(many=True), 404: MISSING},
        ),
        create=extend_schema(
            parameters=[LEAD_PK],
            request=create_serializer,
            responses={201: item_serializer, 400: INVALID, 404: MISSING},
        ),
    )


@_lead_items_schema(ActivitySerializer, ActivityCreateSerializer, "activities")
class LeadActivityViewSet(_LeadItems):
    kind = "activity"
    queryset = Activity.objects.none()  # the schema's model; reads use the selectors
    serializer_class = ActivitySerializer
    create_serializer_class = ActivityCreateSerializer

    def create(self, request, lead_pk=None):
        """Log an activity on the lead. An outgoing call or email to a lead that
        asks not to be phoned or emailed is refused (400 on `direction`); the first
        activity stamps the lead, and one logged completed moves a New lead to
        Contacted. Closed leads take activities too."""
        return super().create(request, lead_pk)

    def add(self, lead, data):
        return services.log_activity(record=lead, by=self.request.user, **data)


@_lead_items_schema(NoteSerializer, NoteCreateSerializer, "notes")
class LeadNoteViewSet(_LeadItems):
    kind = "note"
    queryset = Note.objects.none()
    serializer_class = NoteSerializer
    create_serializer_class = NoteCreateSerializer

    def create(self, request, lead_pk=None):
        """Add a note to the lead (closed leads take notes too)."""
        return super().create(request, lead_pk)

    def add(self, lead, data):
        return services.add_note(record=lead, by=self.request.user, **data)


@_lead_items_schema(AttachmentSerializer, AttachmentCreateSerializer, "attachments")
class LeadAttachmentViewSet(_LeadItems):
    kind = "attachment"
    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    create_serializer_class = AttachmentCreateSerializer
    parser_classes = [MultiPartParser]

    def create(self, request, lead_pk=None):
        """Upload a file to the lead (multipart/form-data, field `file`), with the
        page's checks: size limit, an allowed type judged by the content, a name
        that matches it. A refused file stores nothing (400 on `file`)."""
        return super().create(request, lead_pk)

    def add(self, lead, data):
        try:
            return services.add_attachment(
                record=lead, by=self.request.user, upload=data["file"]
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"file": error.messages}) from None


# --- one item ----------------------------------------------------------------------


class _Item(ApiLoginMixin, viewsets.GenericViewSet):
    lookup_value_regex = "[0-9]+"
    missing = ""

    def read(self, pk):
        raise NotImplementedError

    def get_object(self):
        return found_or_404(lambda: self.read(self.kwargs["pk"]), self.missing)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)


def _retrieve_schema(serializer):
    return extend_schema_view(
        retrieve=extend_schema(
            parameters=[FIELDS], responses={200: serializer, 404: MISSING}
        )
    )


TRANSITION = {
    "request": None,
    "responses": {200: ActivitySerializer, 404: MISSING, 409: REFUSED},
}


@_retrieve_schema(ActivitySerializer)
class ActivityViewSet(_Item):
    queryset = Activity.objects.none()
    serializer_class = ActivitySerializer
    missing = _("No such activity, or not one you can see.")

    def read(self, pk):
        return selectors.get_activity(pk=pk, user=self.request.user)

    def _step(self, service, too_late: str):
        """`too_late`: the 409's sentence once the activity is no longer open (with
        `%(subject)s`)."""
        activity = self.get_object()
        try:
            saved = service(activity=activity, by=self.request.user)
        except TransitionNotAllowed:
            raise Conflict(too_late % {"subject": activity.subject}) from None
        except DjangoValidationError as error:
            raise Conflict(error_message(error)) from None
        return Response(self.get_serializer(saved).data)

    @extend_schema(**TRANSITION)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark an open activity completed (a New lead it regards becomes
        Contacted); 409 once it is no longer open."""
        return self._step(
            services.complete_activity,
            gettext("“%(subject)s” is no longer open; it was not completed."),
        )

    @extend_schema(**TRANSITION)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an open activity; 409 once it is no longer open."""
        return self._step(
            services.cancel_activity,
            gettext("“%(subject)s” is no longer open; it was not canceled."),
        )


@_retrieve_schema(NoteSerializer)
class NoteViewSet(_Item):
    queryset = Note.objects.none()
    serializer_class = NoteSerializer
    missing = _("No such note, or not one you can see.")

    def read(self, pk):
        return selectors.get_note(pk=pk, user=self.request.user)


class FileRenderer(renderers.BaseRenderer):
    """Lets a download be asked for with any Accept header; the file itself is a
    FileResponse (never rendered), errors stay problem JSON."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


@_retrieve_schema(AttachmentSerializer)
class AttachmentViewSet(_Item):
    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    missing = _("No such attachment, or not one you can see.")

    def read(self, pk):
        return selectors.get_attachment(pk=pk, user=self.request.user)

    @extend_schema(
        # DRF's ?format= override is no parameter of this URL.
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={(200, "*/*"): OpenApiTypes.BINARY, 404: MISSING},
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, FileRenderer],
    )
    def download(self, request, pk=None):
        """The file, streamed as an attachment under its original name, with the
        type its content was judged to be (and `nosniff`)."""
        attachment = self.get_object()
        try:
            return attachment_response(attachment)
        except FileNotFoundError:
            raise exceptions.NotFound(
                gettext("The file is missing from storage.")
            ) from None
