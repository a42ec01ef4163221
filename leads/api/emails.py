"""A lead's emails over the API (docs/api.md, "Emails"): read the ones sent from and
received on the lead, and send one, as the compose page does: through
leads.services.emails.queue_email (placeholders, do-not-email, the timeline's Email
activity), the worker sends it. LeadViewSet takes it in as a mixin (its gate)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as InvalidValues
from rest_framework.response import Response

from leads.models import ConsentPurpose, EmailMessage, EmailTemplate
from leads.selectors import emails as selectors
from leads.selectors.consent import get_active_purpose
from leads.services import emails as services
from leads.services.consent import ConsentRefused
from leads.tasks import enqueue_send
from leadsite.core.api import Conflict
from leadsite.core.errors import error_message

# The lead's newest emails the list shows (the timeline has them all).
LIST_SIZE = 50


class EmailSerializer(serializers.ModelSerializer):
    """One email on the lead: sent from it (queued, sent or failed) or received."""

    class Meta:
        model = EmailMessage
        fields = [
            "id",
            "direction",
            "state",
            "from_address",
            "to_address",
            "subject",
            "body",
            "message_id",
            "in_reply_to",
            "purpose",
            "attempts",
            "failure_reason",
            "queued_at",
            "sent_at",
            "received_at",
        ]
        read_only_fields = fields


class SendEmailSerializer(serializers.Serializer):
    """A template (its subject and body unless given), or a subject and body; the
    placeholders ({{ first_name }} …) are filled for the lead."""

    template = serializers.IntegerField(required=False, allow_null=True)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True)
    purpose = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A consent purpose's id (default: the template's): the lead must "
        "have given consent to it, else 409.",
    )

    def validate(self, data):
        template = None
        if data.get("template") is not None:
            try:
                template = selectors.get_active_template(pk=data["template"])
            except EmailTemplate.DoesNotExist:
                raise InvalidValues(
                    {"template": gettext("No active template with this id.")}
                ) from None
        subject = data.get("subject") or (template.subject if template else "")
        body = data.get("body") or (template.body if template else "")
        if not subject:
            raise InvalidValues(
                {"subject": gettext("A subject, or a template that has one.")}
            )
        purpose = None
        if data.get("purpose") is not None:
            try:
                purpose = get_active_purpose(pk=data["purpose"])
            except ConsentPurpose.DoesNotExist:
                raise InvalidValues(
                    {"purpose": "No active consent purpose with this id."}
                ) from None
        return {
            "template": template,
            "subject": subject,
            "body": body,
            "purpose": purpose,
        }


class LeadEmailsMixin:
    @extend_schema(
        methods=["GET"],
        responses={200: EmailSerializer(many=True)},
        description=f"The lead's emails, newest first (at most {LIST_SIZE}).",
    )
    @extend_schema(
        methods=["POST"],
        request=SendEmailSerializer,
        responses={
            202: EmailSerializer,
            400: OpenApiResponse(description="Invalid values, an unknown placeholder"),
            404: OpenApiResponse(description="No lead here, or not one you can see"),
            409: OpenApiResponse(
                description="The person may not be emailed (do not email, or no "
                "given consent to the email's purpose)"
            ),
        },
        description="Send an email to the lead (queued; the worker sends it, and "
        "its `state` turns `sent` or `failed`). Idempotency-Key is honoured.",
    )
    @action(detail=True, methods=["get", "post"], url_path="emails")
    def emails(self, request, pk=None):
        lead = self.get_object()
        if request.method == "GET":
            rows = selectors.record_emails(record=lead, limit=LIST_SIZE)
            return Response(EmailSerializer(rows, many=True).data)
        body = SendEmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                email = services.queue_email(
                    record=lead, by=request.user, **body.validated_data
                )
                enqueue_send(email.pk)
        except ValidationError as error:
            if getattr(error, "code", None) == "do_not_email" or isinstance(
                error, ConsentRefused
            ):
                raise Conflict(error_message(error)) from None
            if hasattr(error, "error_dict"):
                raise InvalidValues(error.message_dict) from None
            raise InvalidValues({"detail": error.messages}) from None
        return Response(EmailSerializer(email).data, status=status.HTTP_202_ACCEPTED)
