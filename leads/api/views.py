"""The leads resource: list, retrieve, create, partial update and the lifecycle
messages (disqualify, reactivate, qualify).

Reads go through the lead selectors (the record-scope gate: a lead outside it is a
404 on every verb) and LeadFilter; writes through the lifecycle and qualification
services. Every write to an existing lead needs If-Match (its ETag); the gate comes
first, so a lead outside scope is a 404 whatever the headers."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django_filters.widgets import SuffixedMultiWidget
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from leads.api.serializers import (
    AssignSerializer,
    DisqualifySerializer,
    HiddenMatchSerializer,
    LeadOutOfScopeSerializer,
    LeadSerializer,
    LeadWriteSerializer,
    LinkedRecordSerializer,
    MatchSerializer,
    MergeSerializer,
    QualificationSerializer,
    QualifySerializer,
    ReactivateSerializer,
    RouteResultSerializer,
    RouteSerializer,
)
from leads.exceptions import TransitionRefused, closed_message
from leads.filters import LeadFilter
from leads.models import Lead
from leads.routing.conditions import lead_values
from leads.selectors import leads as selectors
from leads.selectors import timeline as timeline_selectors
from leads.selectors.duplicates import find_matching_accounts_contacts
from leads.selectors.links import linked_accounts, linked_contacts
from leads.selectors.routing.situation import RuleSet, decide_for_lead
from leads.services import lifecycle, links, merge, qualification, routing
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
# A transition the state machine itself refused (the services' own checks came
# first): the lead changed under the caller.
STALE = "This lead changed since you read it. Read it again and retry."


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


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description='The lead\'s ETag from your last read, e.g. "3".',
)
WRITE_ERRORS = {
    400: OpenApiResponse(description="Invalid values (problem details, `errors`)"),
    404: OpenApiResponse(description="No lead here, or not one you can see"),
    409: OpenApiResponse(description="The services refused the step"),
    412: OpenApiResponse(description="Stale If-Match; `current` has the lead"),
    428: OpenApiResponse(description="If-Match missing"),
}


# A write's answer: the lead, or (moved out of the caller's scope) its id and why.
WRITTEN = PolymorphicProxySerializer(
    component_name="LeadOrOutOfScope",
    serializers=[LeadSerializer, LeadOutOfScopeSerializer],
    resource_type_field_name=None,
)


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
class LeadViewSet(ApiLoginMixin, viewsets.GenericViewSet):
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
        page = self.paginate_queryset(filterset.qs)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, pk=None):
        return self._represent(self.get_object())

    # --- writes ------------------------------------------------------------------

    @extend_schema(
        request=LeadWriteSerializer,
        responses={201: WRITTEN, 400: WRITE_ERRORS[400]},
    )
    def create(self, request):
        """Create a lead; it is routed as on the page (unless `assign_to_me`). When
        routing gives it to someone outside your scope, the answer is its id and a
        sentence saying so, not the lead."""
        serializer = LeadWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        assign_to_me = fields.pop("assign_to_me", False)
        lead = lifecycle.create_lead(
            by=request.user, assign_to_me=assign_to_me, **fields
        )
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
        try:
            saved = lifecycle.update_lead(
                lead=lead, by=request.user, expected_version=version, **fields
            )
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
                "Accounts or contacts like the ones this qualify would create "
                "already exist (see `matches`). Link one (existing_account, "
                "existing_contact), or send create_duplicates: true to create new "
                "ones anyway.",
                code="possible-duplicates",
                members={"matches": matches},
            )

    # --- routing and ownership -------------------------------------------------------

    def _written(self, lead: Lead, *, status_code=status.HTTP_200_OK) -> Response:
        """The lead after a write, or, when the write moved it out of the caller's
        scope (a new owner), its id and a sentence saying so."""
        try:
            fresh = selectors.get_lead(pk=lead.pk, user=self.request.user)
        except Lead.DoesNotExist:
            fresh = Lead.objects.select_related("owner_user", "owner_team").get(
                pk=lead.pk
            )
            return Response(
                {
                    "id": fresh.pk,
                    "detail": f"Lead “{fresh}” now belongs to {fresh.owner}. It is "
                    "outside the leads you can open.",
                },
                status=status_code,
            )
        return self._represent(fresh, status_code=status_code)

    @extend_schema(
        request=RouteSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                location=OpenApiParameter.HEADER,
                required=False,
                description="The lead's ETag; required unless dry_run.",
            )
        ],
        responses={200: RouteResultSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        """Route the lead again by the active rules (the page's "Route again"); with
        `dry_run` only say where it would go. Closed leads: 409."""
        lead = self.get_object()
        serializer = RouteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dry_run = serializer.validated_data["dry_run"]
        if not dry_run:
            version = if_match_version(request)
            if version != lead.version:
                raise self._stale(lead)
        if not lead.is_editable:
            raise Conflict(closed_message(lead))
        before = (lead.owner_user_id, lead.owner_team_id)
        if dry_run:
            decision = decide_for_lead(lead_values(lead), ruleset=RuleSet.load())
            user, rule, detail = decision.user, decision.rule, decision.detail
            lead_data = None
        else:
            try:
                entry = routing.route_lead(lead=lead, by=request.user, trigger="again")
            except TransitionRefused as error:
                raise Conflict(" ".join(error.messages)) from None
            user, rule, detail = entry.assigned_user, entry.rule, entry.detail
            written = self._written(entry.lead)
            lead_data = written.data if "version" in written.data else None
        owner = (
            {"kind": "user", "id": user.pk, "name": str(user)}
            if user is not None
            else (
                {"kind": "team", "id": lead.owner_team_id, "name": str(lead.owner)}
                if lead.owner_team_id
                else {"kind": "user", "id": lead.owner_user_id, "name": str(lead.owner)}
                if lead.owner_user_id
                else None
            )
        )
        data = {
            "dry_run": dry_run,
            "rule": {"id": rule.pk, "name": str(rule), "result": "linked"}
            if rule is not None
            else None,
            "owner": owner,
            "changed": user is not None and (user.pk, None) != before,
            "detail": detail,
            "lead": None,
        }
        # The lead is already its representation.
        response = Response({**RouteResultSerializer(data).data, "lead": lead_data})
        if lead_data is not None:
            response["ETag"] = etag(lead_data["version"])
        return response

    @extend_schema(
        request=AssignSerializer,
        parameters=[IF_MATCH],
        responses={
            200: WRITTEN,
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the lead to a user or a team you may assign to (logged as manual)."""
        lead, saved = self._transition(
            request,
            AssignSerializer,
            lambda lead, data: lifecycle.assign_lead(
                lead=lead,
                by=request.user,
                owner_user=data.get("owner_user"),
                owner_team=data.get("owner_team"),
            ),
        )
        return self._written(saved)

    @extend_schema(
        request=MergeSerializer,
        responses={200: LeadSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def merge(self, request):
        """D365 Merge: the subordinate's activities, notes, attachments, interests
        and links move to the master, the fields named in `from_subordinate` take
        the subordinate's values, and the subordinate closes as merged. Both
        versions must be the ones you read (412 otherwise)."""
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pair = {}
        for role in ("master", "subordinate"):
            self.kwargs["pk"] = data[role]
            pair[role] = self.get_object()
        for role in ("master", "subordinate"):
            if pair[role].version != data[f"{role}_version"]:
                raise self._stale(pair[role])
        subordinate = pair["subordinate"]
        field_values = {
            name: getattr(subordinate, Lead._meta.get_field(name).attname)
            for name in data["from_subordinate"]
        }
        try:
            master = merge.merge_leads(
                master=pair["master"],
                subordinate=subordinate,
                by=request.user,
                field_values=field_values,
            )
        except ObjectDoesNotExist:
            raise Http404("No lead here, or not one you can see.") from None
        except TransitionRefused as error:
            raise Conflict(" ".join(error.messages)) from None
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict(STALE) from None
        return self._represent(self._fresh(master))

    # --- Associate / Disassociate ------------------------------------------------------

    def _link_target(self, record_type: str, target_pk):
        try:
            return timeline_selectors.get_record(
                record_type=record_type, pk=target_pk, user=self.request.user
            )
        except (LookupError, ObjectDoesNotExist, ValueError, OverflowError):
            raise Http404(f"No {record_type} here, or not one you can see.") from None

    def _associate(self, request, *, record_type, link, unlink, target_pk):
        lead = self.get_object()
        record = self._link_target(record_type, target_pk)
        try:
            if request.method == "PUT":
                link(lead=lead, by=request.user, **{record_type: record})
            else:
                unlink(lead=lead, by=request.user, **{record_type: record})
        except TransitionRefused as error:
            raise Conflict(" ".join(error.messages)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: LinkedRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="accounts")
    def accounts(self, request, pk=None):
        """The accounts linked to the lead (those you may see)."""
        lead = self.get_object()
        rows = [
            {"id": a.pk, "name": str(a)}
            for a in linked_accounts(lead=lead, user=request.user)
        ]
        return Response(LinkedRecordSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={204: None, 404: WRITE_ERRORS[404], 409: WRITE_ERRORS[409]},
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"accounts/(?P<account_id>[0-9]+)",
        url_name="account-link",
    )
    def account_link(self, request, pk=None, account_id=None):
        """Associate (PUT) or disassociate (DELETE) the lead and an account;
        both are idempotent (a second PUT keeps one link)."""
        return self._associate(
            request,
            record_type="account",
            link=links.link_account,
            unlink=links.unlink_account,
            target_pk=account_id,
        )

    @extend_schema(responses={200: LinkedRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="contacts")
    def contacts(self, request, pk=None):
        """The contacts linked to the lead (those you may see)."""
        lead = self.get_object()
        rows = [
            {"id": c.pk, "name": str(c)}
            for c in linked_contacts(lead=lead, user=request.user)
        ]
        return Response(LinkedRecordSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={204: None, 404: WRITE_ERRORS[404], 409: WRITE_ERRORS[409]},
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"contacts/(?P<contact_id>[0-9]+)",
        url_name="contact-link",
    )
    def contact_link(self, request, pk=None, contact_id=None):
        """Associate (PUT) or disassociate (DELETE) the lead and a contact."""
        return self._associate(
            request,
            record_type="contact",
            link=links.link_contact,
            unlink=links.unlink_contact,
            target_pk=contact_id,
        )
