"""Web-to-lead over JSON: `POST /api/capture/{token}` for websites that post from
their own backend. The public form's rules, one for one: the capture form's fields
and validation (CaptureSubmissionForm), its honeypot, the per-address and per-form
rate limits, the ten-minute repeat guard, and capture_lead (source, campaign,
routing, duplicate flags). No login: the token names an active capture form."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.forms.capture import CaptureSubmissionForm
from leads.models import CaptureForm
from leads.selectors import capture as selectors
from leads.services import consent as consent_services
from leads.submissions import capture_rate_limited
from leads.tasks import enqueue_consent_confirmation
from leadsite.core.api import ApiLoginMixin

TOO_MANY = _(
    "Too many submissions or an automated submission: the details were not sent. "
    "Wait a few minutes and try again."
)


class CaptureThrottled(exceptions.Throttled):
    default_detail = TOO_MANY


def _as_form_data(body) -> dict:
    """The JSON object as the form's data: strings (and booleans for consent);
    anything else is the shape's error, not the form's."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError(
            {"non_field_errors": [gettext("Send a JSON object of the form's fields.")]}
        )
    data = {}
    for name, value in body.items():
        if isinstance(value, bool):
            data[name] = "on" if value else ""
        elif isinstance(value, str | int | float) or value is None:
            data[name] = "" if value is None else str(value)
        else:
            raise exceptions.ValidationError({name: [gettext("Send a string.")]})
    return data


RECEIVED = inline_serializer(
    "CaptureReceived",
    {
        "received": serializers.BooleanField(),
        "repeated": serializers.BooleanField(
            help_text=_(
                "The same submission came within ten minutes: nothing new was made."
            )
        ),
        "message": serializers.CharField(help_text=_("The form's thank-you text.")),
    },
)


class InboundCaptureView(ApiLoginMixin, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="capture_submit",
        auth=[],
        request=inline_serializer(
            "CaptureSubmission",
            {
                "last_name": serializers.CharField(max_length=50),
                "email": serializers.EmailField(max_length=254),
                "message": serializers.CharField(required=False, max_length=5000),
                "first_name": serializers.CharField(required=False),
                "consent": serializers.BooleanField(
                    required=False,
                    help_text=_("Required when the form asks for consent."),
                ),
            },
        ),
        responses={
            201: RECEIVED,
            200: RECEIVED,
            400: OpenApiResponse(description="Invalid values (`errors` per field)"),
            404: OpenApiResponse(description="No active capture form here"),
            429: OpenApiResponse(description="Over a rate limit, or a bot"),
        },
    )
    def post(self, request, token):
        """Send a lead as a website visitor would through the capture form: the
        form's own fields (last_name and email always; the optional fields it
        shows; consent when it asks). Consent to a purpose the form asks for is
        `consent_<purpose code>`: true (see the capture form's `consent_purposes`);
        with double opt-in it counts once the visitor follows the emailed link.
        Leave `homepage` out: it is the honeypot."""
        try:
            capture_form = selectors.get_active_capture_form(token=token)
        except (CaptureForm.DoesNotExist, ValueError):
            raise Http404("No such form.") from None
        data = _as_form_data(request.data)
        form = CaptureSubmissionForm(data, capture_form=capture_form)
        if capture_rate_limited(request._request, token) or form.is_bot():
            raise CaptureThrottled()
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    name: [error["message"] for error in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
        try:
            result, pending = consent_services.capture_lead_with_consent(
                form=capture_form,
                data=form.lead_data(),
                consents=form.ticked_consents(),
            )
        except ValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            ) from None
        if pending:  # double opt-in: the confirmation link by email
            enqueue_consent_confirmation(
                pending, form.cleaned_data["email"], request._request
            )
        return Response(
            {
                "received": True,
                "repeated": result.repeated,
                "message": capture_form.thank_you_text
                or gettext("Thank you. We will be in touch soon."),
            },
            status=status.HTTP_200_OK if result.repeated else status.HTTP_201_CREATED,
        )
