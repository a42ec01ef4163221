"""The lead messages beyond the lifecycle (docs/api.md, "Leads"): route (with a dry
run), assign, D365's Merge, and Associate / Disassociate with accounts and
contacts; with the schema pieces every lead write shares. LeadViewSet
(leads/api/views.py) takes them in as a mixin: they use its gate (get_object), its
representation and its If-Match handling."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from leads.api.serializers import (
    AssignSerializer,
    LeadOutOfScopeSerializer,
    LeadSerializer,
    LinkedRecordSerializer,
    MergeSerializer,
    RouteResultSerializer,
    RouteSerializer,
)
from leads.exceptions import TransitionRefused, closed_message
from leads.models import Lead
from leads.selectors import leads as selectors
from leads.selectors import timeline as timeline_selectors
from leads.selectors.links import linked_accounts, linked_contacts
from leads.selectors.routing.situation import (
    RuleSet,
    decide_for_lead,
    scored_values,
)
from leads.services import lifecycle, links, merge, routing
from leadsite.core.api import Conflict, etag, if_match_version

# A transition the state machine itself refused (the services' own checks came
# first): the lead changed under the caller.
STALE = _("This lead changed since you read it. Read it again and retry.")


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


class LeadMessagesMixin:
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
            ruleset = RuleSet.load()
            (values,) = scored_values([lead], with_score=ruleset.reads_score)
            decision = decide_for_lead(values, ruleset=ruleset)
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
