"""The leads resource: list, retrieve, create, partial update and the lifecycle
messages (disqualify, reactivate, qualify); route, assign, merge and the links come
in from leads/api/lead_messages.py, the score's pin from leads/api/scoring.py.

Reads go through the lead selectors (the record-scope gate: a lead outside it is a
404 on every verb) and LeadFilter; writes through the lifecycle and qualification
services. Every write to an existing lead needs If-Match (its ETag); the gate comes
first, so a lead outside scope is a 404 whatever the headers."""

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from django_filters.widgets import SuffixedMultiWidget
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import ExportedRecords
from accounts.services import audit
from leads.api.duplicates import DUPLICATE_INPUTS, refuse_duplicates
from leads.api.emails import LeadEmailsMixin
from leads.api.lead_messages import (
    IF_MATCH,
    STALE,
    WRITE_ERRORS,
    WRITTEN,
    LeadMessagesMixin,
)
from leads.api.scoring import LeadScoreMixin
from leads.api.serializers import (
    DisqualifySerializer,
    HiddenMatchSerializer,
    LeadSerializer,
    LeadWriteSerializer,
    MatchSerializer,
    QualificationSerializer,
    QualifySerializer,
    ReactivateSerializer,
    score_context,
)
from leads.exceptions import TransitionRefused
from leads.filters import LeadFilter
from leads.models import Lead
from leads.selectors import leads as selectors
from leads.selectors.duplicates import find_matching_accounts_contacts
from leads.services import lifecycle, qualification
from leads.services.duplicates import flag_duplicate_matches
from leadsite.core.api import (
    ApiLoginMixin,
    Conflict,
    KeysetPagination,
    PreconditionFailed,
    etag,
    if_match_version,
)
from leadsite.core.versioning import EditConflict

# The API lists everything in the caller's scope unless `view` says otherwise (the
# page starts from "My open leads").
API_DEFAULT_VIEW = "all"
# Query parameters that are not filters.
NOT_FILTERS = {"cursor", "page_size", "fields"}


def _filter_parameters():
    """LeadFilter's filters as query parameters of the list (its range filters as
    their two bounds); the list order is fixed, so `sort` is not one."""
    parameters = []
    for name, filter_ in LeadFilter.base_filters.items():
        if name == "sort":
            continue
        widget = filter_.field_class.widget
        widget = filter_.extra.get("widget", widget)
        suffixes = getattr(widget, "suffixes", None)
        names = (
            [f"{name}_{suffix}" for suffix in suffixes]
            if isinstance(widget, SuffixedMultiWidget) and suffixes
            else [name]
        )
        parameters += [
            OpenApiParameter(n, str, description=str(filter_.label or n)) for n in names
        ]
    parameters.append(
        OpenApiParameter(
            "fields",
            str,
            description="Comma-separated names: return only these fields.",
        )
    )
    return parameters


def _with_etag(response: Response, lead: Lead) -> Response:
    response["ETag"] = etag(lead.version)
    return response


@extend_schema_view(
    list=extend_schema(parameters=_filter_parameters()),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "fields",
                str,
                description="Comma-separated names: return only these fields.",
            )
        ]
    ),
)
class LeadViewSet(
    ApiLoginMixin,
    LeadMessagesMixin,
    LeadScoreMixin,
    LeadEmailsMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LeadSerializer
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9]+"
    queryset = Lead.objects.none()  # the schema's model; reads use the selectors

    def get_object(self) -> Lead:
        try:
            return selectors.get_lead(pk=self.kwargs["pk"], user=self.request.user)
        except (Lead.DoesNotExist, ValueError, OverflowError):
            raise Http404("No lead here, or not one you can see.") from None

    def _represent(self, lead: Lead, *, status_code=status.HTTP_200_OK) -> Response:
        data = LeadSerializer(lead, context=self.get_serializer_context()).data
        return _with_etag(Response(data, status=status_code), lead)

    def _fresh(self, lead: Lead) -> Lead:
        """The lead as stored now, read through the gate (a write may have moved it
        out of the caller's scope: then the row itself)."""
        try:
            return selectors.get_lead(pk=lead.pk, user=self.request.user)
        except Lead.DoesNotExist:
            return lead

    def _stale(self, lead: Lead) -> PreconditionFailed:
        current = self._fresh(lead)
        return PreconditionFailed(
            current=LeadSerializer(current, context=self.get_serializer_context()).data,
            version=current.version,
        )

    # --- reads -----------------------------------------------------------------

    def list(self, request):
        params = request.query_params.copy()
        for name in [*NOT_FILTERS, "sort"]:
            params.pop(name, None)
        if not params.get("view"):
            params["view"] = API_DEFAULT_VIEW
        filterset = selectors.filter_leads(
            user=request.user, params=params, request=request
        )
        errors = filterset.form.errors
        if errors:
            raise exceptions.ValidationError(
                {
                    name: [str(message) for message in messages]
                    for name, messages in errors.items()
                }
            )
        # Each lead's score row joined (one LEFT JOIN on its primary key), and what
        # the score fields need read once for the page (LeadSerializer).
        page = self.paginate_queryset(filterset.qs.select_related("score"))
        serializer = self.get_serializer(page, many=True)
        serializer.context.update(
            score_context(page, factors="score_factors" in serializer.child.fields)
        )
        response = self.get_paginated_response(serializer.data)
        # A read of LEADSITE_EXPORT_LOG_API_ROWS leads or more is an export.
        audit.log_api_list_page(
            by=request.user,
            records=ExportedRecords.LEADS,
            params=request.query_params,
            rows=len(page),
            next_link=response.data["next"],
        )
        return response

    def retrieve(self, request, pk=None):
        return self._represent(self.get_object())

    # --- writes ------------------------------------------------------------------

    @extend_schema(
        request=LeadWriteSerializer,
        responses={
            201: WRITTEN,
            400: WRITE_ERRORS[400],
            409: OpenApiResponse(
                description="A block duplicate rule matched (`matches`)"
            ),
        },
    )
    def create(self, request):
        """Create a lead; it is routed as on the page (unless `assign_to_me`). When
        routing gives it to someone outside your scope, the answer is its id and a
        sentence saying so, not the lead. The published duplicate rules apply: a
        block rule's match is a 409 (code possible-duplicates, `matches`), a
        warning's matches are flagged on the new lead."""
        serializer = LeadWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        assign_to_me = fields.pop("assign_to_me", False)
        check = refuse_duplicates(
            user=request.user, fields=fields, unit=request.user.business_unit_id
        )
        with transaction.atomic():
            lead = lifecycle.create_lead(
                by=request.user, assign_to_me=assign_to_me, **fields
            )
            if check:
                flag_duplicate_matches(lead=lead, origin="api", check=check)
        # Routed to someone outside the creator's scope: its id and a sentence.
        response = self._written(lead, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:lead-detail", args=[lead.pk])
        return response

    @extend_schema(
        request=LeadWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: LeadSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        """Change some fields of an open lead (If-Match required)."""
        lead = self.get_object()
        version = if_match_version(request)
        serializer = LeadWriteSerializer(
            lead, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("assign_to_me", None)
        check = None
        if lead.is_editable and DUPLICATE_INPUTS & set(fields):
            merged = {name: getattr(lead, name) for name in DUPLICATE_INPUTS}
            check = refuse_duplicates(
                user=request.user,
                fields={**merged, **fields},
                unit=lead.business_unit_id,
                exclude=lead.pk,
            )
        try:
            with transaction.atomic():
                saved = lifecycle.update_lead(
                    lead=lead, by=request.user, expected_version=version, **fields
                )
                if check:
                    flag_duplicate_matches(lead=saved, origin="api", check=check)
        except EditConflict:
            raise self._stale(lead) from None
        except TransitionRefused as error:
            raise Conflict(" ".join(error.messages)) from None
        return self._represent(self._fresh(saved))

    # --- the lifecycle messages ------------------------------------------------------

    def _transition(self, request, serializer_class, run):
        """The gate, If-Match, the body's shape, then the service; a refusal is a 409
        with the services' sentence, and nothing was written."""
        lead = self.get_object()
        version = if_match_version(request)
        serializer = serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        if version != lead.version:
            raise self._stale(lead)
        try:
            return lead, run(lead, serializer.validated_data)
        except TransitionRefused as error:
            raise Conflict(" ".join(error.messages)) from None
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict(STALE) from None

    @extend_schema(
        request=DisqualifySerializer,
        parameters=[IF_MATCH],
        responses={200: LeadSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def disqualify(self, request, pk=None):
        """Open → Disqualified with a status reason (D365 SetState)."""
        lead, saved = self._transition(
            request,
            DisqualifySerializer,
            lambda lead, data: lifecycle.disqualify_lead(
                lead=lead, by=request.user, **data
            ),
        )
        return self._represent(self._fresh(saved))

    @extend_schema(
        request=ReactivateSerializer,
        parameters=[IF_MATCH],
        responses={200: LeadSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Qualified or Disqualified → Open/New."""
        lead, saved = self._transition(
            request,
            ReactivateSerializer,
            lambda lead, data: lifecycle.reactivate_lead(
                lead=lead, by=request.user, **data
            ),
        )
        return self._represent(self._fresh(saved))

    @extend_schema(
        request=QualifySerializer,
        parameters=[IF_MATCH],
        responses={
            200: QualificationSerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(
                description="The services refused the step, or accounts/contacts "
                "like the ones to create exist (`matches`)"
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def qualify(self, request, pk=None):
        """D365 QualifyLead: create or link the account, contact and opportunity, and
        close the lead as Qualified. Answers references to every record created or
        linked."""

        def run(lead, data):
            # A closed lead: the service's refusal says why, not the matches.
            if not data.pop("create_duplicates") and lead.is_editable:
                self._refuse_duplicates(lead, data)
            kwargs = {
                key: value
                for key, value in data.items()
                # Absent: the lead's own figures (the service's default).
                if key not in ("estimated_value", "estimated_close_date")
                or key in request.data
            }
            return qualification.qualify_lead(lead=lead, by=request.user, **kwargs)

        lead, result = self._transition(request, QualifySerializer, run)
        summary = result.summary
        references = {
            name: (
                {"id": record.pk, "name": str(record), "result": summary[name]}
                if (record := getattr(result, name)) is not None
                else None
            )
            for name in ("account", "contact", "opportunity")
        }
        fresh = self._fresh(result.lead)
        data = {
            "lead": LeadSerializer(fresh, context=self.get_serializer_context()).data,
            **references,
        }
        return _with_etag(Response(data), fresh)

    def _refuse_duplicates(self, lead: Lead, data: dict) -> None:
        """The qualify page's duplicate check, made explicit: creating an account or
        contact while records like it exist is refused with the matches listed
        (those in scope with their ids, the others by kind, reasons and owner),
        unless the caller names one to link or says create_duplicates."""
        wants = {
            "account": data["create_account"] and not data.get("existing_account"),
            "contact": data["create_contact"] and not data.get("existing_contact"),
        }
        if not any(wants.values()):
            return
        found = find_matching_accounts_contacts(user=self.request.user, lead=lead)
        matches = {
            "accounts": MatchSerializer(
                [
                    {"id": a.pk, "name": str(a), "reasons": a.match_reasons}
                    for a in found.accounts
                ]
                if wants["account"]
                else [],
                many=True,
            ).data,
            "contacts": MatchSerializer(
                [
                    {"id": c.pk, "name": str(c), "reasons": c.match_reasons}
                    for c in found.contacts
                ]
                if wants["contact"]
                else [],
                many=True,
            ).data,
            "elsewhere": HiddenMatchSerializer(
                [
                    {"kind": h.kind, "reasons": list(h.reasons), "owner": h.owner}
                    for h in found.elsewhere
                    if wants.get(h.kind)
                ],
                many=True,
            ).data,
        }
        if any(matches.values()):
            raise Conflict(
                gettext(
                    "Accounts or contacts like the ones this qualify would create "
                    "already exist (see `matches`). Link one (existing_account, "
                    "existing_contact), or send create_duplicates: true to create "
                    "new ones anyway."
                ),
                code="possible-duplicates",
                members={"matches": matches},
            )
