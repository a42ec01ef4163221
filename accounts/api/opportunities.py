"""The opportunities resource: list, retrieve, create, partial update (open ones),
the outcome actions the page offers (win, lose, reopen), and the product lines as
a nested resource (list, add, remove), all through the opportunity services."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.common import (
    FIELDS,
    IF_MATCH,
    LOCATION,
    READ,
    WRITE,
    RecordViewSet,
    etag_header,
    problems,
    record_schema,
    run_service,
    stale_problem,
)
from accounts.api.serializers import (
    LoseSerializer,
    OpportunityProductSerializer,
    OpportunityProductWriteSerializer,
    OpportunitySerializer,
    OpportunityWriteSerializer,
    WinSerializer,
    line_version,
)
from accounts.filters import OpportunityFilter
from accounts.models import Opportunity, OpportunityProduct
from leadsite.core.api import (
    ApiLoginMixin,
    Conflict,
    PreconditionFailed,
    etag,
    if_match_version,
)

# The state machine refused after the services' own checks passed: the
# opportunity changed under the caller.
STALE = _("This opportunity changed since you read it. Read it again and retry.")
OUTCOME_ERRORS = problems(
    *WRITE, 404, 409, 412, 428, stale=stale_problem(OpportunitySerializer)
)


@extend_schema_view(
    **record_schema(
        read=OpportunitySerializer,
        write=OpportunityWriteSerializer,
        filterset_class=OpportunityFilter,
        descriptions={
            "q": _("Words that must each match the topic or the customer's name."),
            "mine": _("true: only opportunities you own yourself (not your teams')."),
            "account": _("The customer account's id."),
            "contact": _("The customer contact's id."),
            "lead_source": _(
                "From the lead-source report: the originating lead's "
                "source code, or `none`."
            ),
            "lead_campaign": _("The originating lead's campaign id, or `none`."),
            "lead_created_after": _("The originating lead was created on or after."),
            "lead_created_before": _("The originating lead was created on or before."),
            "lead_unit": _("The originating lead's business unit (and those below)."),
            "lead_owner": _("The originating lead's owning user."),
            "lead_team": _("The originating lead's owning team."),
        },
    )
)
class OpportunityViewSet(RecordViewSet):
    queryset = Opportunity.objects.none()
    serializer_class = OpportunitySerializer
    write_serializer_class = OpportunityWriteSerializer
    getter = selectors.get_opportunity
    filterer = selectors.filter_opportunities
    orderings = {
        "-created_at": ("-created_at",),
        "created_at": ("created_at",),
        "id": ("id",),
        "-id": ("-id",),
    }
    default_ordering = "-created_at"

    def perform_create(self, fields):
        return services.create_opportunity(owner_user=self.request.user, **fields)

    def perform_update(self, record, *, version, fields):
        return services.update_opportunity(
            opportunity=record, by=self.request.user, expected_version=version, **fields
        )

    # --- the outcome -------------------------------------------------------------

    def _outcome(self, request, serializer_class, run):
        """The gate, If-Match, the body's shape, the version read, then the
        service: a refusal is a 409 with the page's sentence, nothing written."""
        opportunity = self.get_object()
        version = if_match_version(request)
        data = {}
        if serializer_class is not None:
            serializer = serializer_class(
                data=request.data, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        if version != opportunity.version:
            raise self.stale(opportunity)
        try:
            saved = run_service(
                lambda: run(opportunity, data), every_sentence_refuses=True
            )
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict(str(STALE)) from None
        return self.represent(self.fresh(saved))

    @extend_schema(
        request=WinSerializer,
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: OpportunitySerializer, **OUTCOME_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        """Close an open opportunity as won, with its actual revenue and close
        date (stage Close, probability 100 %)."""
        return self._outcome(
            request,
            WinSerializer,
            lambda opportunity, data: services.win_opportunity(
                opportunity=opportunity, by=request.user, **data
            ),
        )

    @extend_schema(
        request=LoseSerializer,
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: OpportunitySerializer, **OUTCOME_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close an open opportunity as lost: reason 4 Canceled or 5 Out-Sold
        (probability 0 %)."""
        return self._outcome(
            request,
            LoseSerializer,
            lambda opportunity, data: services.lose_opportunity(
                opportunity=opportunity, by=request.user, **data
            ),
        )

    @extend_schema(
        request=None,
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: OpportunitySerializer, **OUTCOME_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a won or lost opportunity (In Progress; the actuals are cleared).
        No body."""
        return self._outcome(
            request,
            None,
            lambda opportunity, data: services.reopen_opportunity(
                opportunity=opportunity, by=request.user
            ),
        )


# --- product lines ---------------------------------------------------------------------

LINE_STALE = stale_problem(OpportunityProductSerializer)


class OpportunityProductViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    """An opportunity's product lines, as its page lists, adds and removes them:
    the opportunity through the gate first (404 outside it), then its line. Adding
    to or removing from a closed opportunity is a 409 with the page's sentence.

    A line is never changed in place, so its version (ETag) stays as long as it
    exists; DELETE needs it in If-Match all the same, as every delete does."""

    queryset = OpportunityProduct.objects.none()
    serializer_class = OpportunityProductSerializer
    pagination_class = None  # the page lists every line
    lookup_value_regex = "[0-9]+"

    def _opportunity(self) -> Opportunity:
        try:
            return selectors.get_opportunity(
                user=self.request.user, pk=self.kwargs["opportunity_id"]
            )
        except (ObjectDoesNotExist, ValueError, OverflowError):
            raise Http404("No opportunity here, or not one you can see.") from None

    def _line(self, opportunity, pk) -> OpportunityProduct:
        try:
            line = selectors.get_opportunity_product(opportunity=opportunity, pk=pk)
        except (ValueError, OverflowError):
            line = None
        if line is None:
            raise Http404("No such product line on this opportunity.")
        return line

    def _represent(self, line, *, status_code=status.HTTP_200_OK) -> Response:
        response = Response(self.get_serializer(line).data, status=status_code)
        response["ETag"] = etag(line_version(line))
        return response

    @extend_schema(
        parameters=[FIELDS],
        responses={
            200: OpportunityProductSerializer(many=True),
            **problems(400, 404, *READ),
        },
    )
    def list(self, request, opportunity_id=None):
        """Every product line of the opportunity (not paged)."""
        lines = selectors.list_opportunity_products(opportunity=self._opportunity())
        return Response(self.get_serializer(lines, many=True).data)

    @extend_schema(
        parameters=[FIELDS, etag_header(200)],
        responses={200: OpportunityProductSerializer, **problems(400, 404, *READ)},
    )
    def retrieve(self, request, opportunity_id=None, pk=None):
        return self._represent(self._line(self._opportunity(), pk))

    @extend_schema(
        request=OpportunityProductWriteSerializer,
        parameters=[etag_header(201), LOCATION],
        responses={
            201: OpportunityProductSerializer,
            **problems(*WRITE, 404, 409),
        },
    )
    def create(self, request, opportunity_id=None):
        """Add a product line, priced from the catalogue unless `price_per_unit`
        is given; one line per product."""
        opportunity = self._opportunity()
        serializer = OpportunityProductWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        added = run_service(
            lambda: services.add_opportunity_product(
                opportunity=opportunity, by=request.user, **data
            )
        )
        line = self._line(opportunity, added.pk)
        response = self._represent(line, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse(
            "api:opportunity-product-detail", args=[opportunity.pk, line.pk]
        )
        return response

    @extend_schema(
        parameters=[IF_MATCH],
        responses={
            204: None,
            **problems(401, 403, 404, 409, 412, 428, 429, stale=LINE_STALE),
        },
    )
    def destroy(self, request, opportunity_id=None, pk=None):
        """Remove a product line from an open opportunity."""
        opportunity = self._opportunity()
        line = self._line(opportunity, pk)
        version = if_match_version(request)
        if version != line_version(line):
            raise PreconditionFailed(
                current=self.get_serializer(line).data, version=line_version(line)
            )
        run_service(
            lambda: services.remove_opportunity_product(
                opportunity=opportunity, by=request.user, line=line
            ),
            every_sentence_refuses=True,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
