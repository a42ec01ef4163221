"""The lead's score in the API: pin it by hand and unpin it (docs/api.md,
"Scores"). LeadViewSet (leads/api/views.py) takes this in as a mixin: it uses its
gate (get_object), its representation and its If-Match handling. As on the lead
page, a closed lead's score is read-only (409). The score fields themselves are the
lead's (leads/api/serializers.py, LeadSerializer)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action

from leads.api.lead_messages import IF_MATCH, WRITE_ERRORS
from leads.api.serializers import LeadSerializer
from leads.exceptions import TransitionRefused, closed_message
from leads.models import LeadScore
from leads.services.scoring import pin_score, unpin_score
from leadsite.core.api import Conflict, if_match_version
from leadsite.core.versioning import EditConflict

# The service's field names (LeadScore's) as the request's.
REQUEST_NAMES = {"pinned_score": "score", "pin_reason": "reason"}


class ScorePinSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=0, max_value=100, help_text=_("The score to show, 0-100.")
    )
    reason = serializers.CharField(
        max_length=LeadScore._meta.get_field("pin_reason").max_length,
        help_text=_("Why the model's score is overridden (shown beside the score)."),
    )


class LeadScoreMixin:
    @extend_schema(
        methods=["POST"],
        request=ScorePinSerializer,
        parameters=[IF_MATCH],
        responses={200: LeadSerializer, **WRITE_ERRORS},
        description="Pin the lead's score by hand, with the reason: the list, "
        "its sort and grade filter, exports and the API show the pinned score until "
        "it is unpinned; the model keeps scoring beside it (If-Match required).",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[IF_MATCH],
        responses={200: LeadSerializer, **WRITE_ERRORS},
        description="Unpin: the model's score is shown again (If-Match required).",
    )
    @action(detail=True, methods=["post", "delete"], url_path="score-pin")
    def score_pin(self, request, pk=None):
        lead = self.get_object()
        version = if_match_version(request)
        data = {}
        if request.method == "POST":
            body = ScorePinSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
        if not lead.is_editable:
            raise Conflict(closed_message(lead))
        try:
            if request.method == "POST":
                pin_score(
                    lead=lead,
                    by=request.user,
                    score=data["score"],
                    reason=data["reason"],
                    expected_version=version,
                )
            else:
                unpin_score(lead=lead, by=request.user, expected_version=version)
        except EditConflict:
            raise self._stale(lead) from None
        except TransitionRefused as error:
            raise Conflict(" ".join(error.messages)) from None
        except ValidationError as error:
            raise exceptions.ValidationError(
                {
                    REQUEST_NAMES.get(name, name): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        return self._represent(self._fresh(lead))
