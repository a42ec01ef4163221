"""Routing through the API: the rules (read by everyone, changed as on the routing
pages) and the assignment log (read, through the gate).

Rules are organisation settings: every signed-in user reads them. Administrators
create and change every rule; sales managers those of their business unit and
below (and of channel partners owned there); anyone else gets 404 on a write, as
on the pages. A rule's values are judged by the rule form of the page and saved by
the routing services (switching a rule on or off alone is the page's toggle).
Rules are never deleted (switched off instead) and carry a version, as leads do:
every answer with a rule sends it as ETag, and PATCH and `move` need it in
If-Match (428 without; 412 with the rule as stored now in `current` when another
edit came first). A routing run's round-robin turn is no edit: same version.

The log lists the assignments of the leads in the caller's scope, newest first,
with the page's filters."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.common import IF_MATCH, etag_header
from leads.api.common import (
    FIELDS,
    INVALID,
    MISSING,
    IdPagination,
    checked_by_form,
    found_or_404,
    problem,
)
from leads.forms.routing import AssignmentLogFilterForm, RoutingRuleForm
from leads.models import (
    AssignmentReason,
    Distribution,
    LeadAssignment,
    RoutingRule,
)
from leads.permissions import can_edit_routing_rule, can_manage_routing
from leads.routing.conditions import FIELDS as CONDITION_FIELDS
from leads.routing.conditions import OPERATORS, clean_condition
from leads.routing.matching import ORGANISATION, PARTNER, UNIT
from leads.selectors.routing import pages as selectors
from leads.services import routing as services
from leads.services.routing import RULE_FIELDS
from leadsite.core.api import (
    ApiLoginMixin,
    FieldsMixin,
    KeysetPagination,
    PreconditionFailed,
    etag,
    if_match_version,
)
from leadsite.core.versioning import EditConflict

ONLY_MANAGERS = _("Only managers and administrators change routing.")
NOT_YOURS = _("No routing rule here that you may change.")


# --- shapes ------------------------------------------------------------------------


class ConditionSerializer(serializers.Serializer):
    """One condition: a lead field, an operator and a value (a list for `in` and
    `not_in`, null for `empty`; codes or record ids for choice and record
    fields)."""

    field = serializers.ChoiceField(choices=list(CONDITION_FIELDS))
    op = serializers.ChoiceField(choices=list(OPERATORS))
    value = serializers.JSONField(allow_null=True, required=False, default=None)


class RoutingRuleSerializer(FieldsMixin, serializers.ModelSerializer):
    """A rule: conditions (joined by AND; none matches every lead of its level) and
    the user or team its leads go to. `level` follows from the business unit or
    channel partner (neither: an organisation rule); `can_edit` says whether you
    may change it."""

    level = serializers.ChoiceField(
        choices=[PARTNER, UNIT, ORGANISATION], read_only=True
    )
    conditions = ConditionSerializer(many=True, read_only=True)
    distribution_label = serializers.CharField(
        source="get_distribution_display", read_only=True
    )
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "order",
            "is_active",
            "level",
            "business_unit",
            "channel_partner",
            "conditions",
            "target_user",
            "target_team",
            "distribution",
            "distribution_label",
            "reroute_after_hours",
            "last_assigned_user",
            "version",
            "can_edit",
        ]
        read_only_fields = fields

    def get_can_edit(self, rule) -> bool:
        request = self.context.get("request")
        return request is not None and can_edit_routing_rule(request.user, rule)


class RoutingRuleWriteSerializer(serializers.Serializer):
    """The rule form's fields (PATCH: any of them). Which units, partners, users
    and teams you may choose is the form's to say: managers only theirs, and no
    organisation rule."""

    name = serializers.CharField(max_length=128)
    order = serializers.IntegerField(
        min_value=0,
        max_value=2147483647,
        required=False,
        help_text=_("Lower runs first."),
    )
    is_active = serializers.BooleanField(required=False)
    business_unit = serializers.IntegerField(
        allow_null=True, required=False, help_text=_("A business unit's rule.")
    )
    channel_partner = serializers.IntegerField(
        allow_null=True, required=False, help_text=_("A channel partner's rule.")
    )
    conditions = ConditionSerializer(many=True, required=False)
    target_user = serializers.IntegerField(allow_null=True, required=False)
    target_team = serializers.IntegerField(allow_null=True, required=False)
    distribution = serializers.ChoiceField(
        choices=Distribution.choices,
        required=False,
        help_text=_("How a team shares leads."),
    )
    reroute_after_hours = serializers.IntegerField(
        min_value=1,
        max_value=2147483647,
        allow_null=True,
        required=False,
        help_text=_(
            "Re-route a lead nobody contacted within these hours; null: never."
        ),
    )

    def validate_conditions(self, conditions):
        errors, cleaned = {}, []
        for index, condition in enumerate(conditions):
            try:
                cleaned.append(clean_condition(dict(condition)))
            except DjangoValidationError as error:
                errors[index] = error.messages
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class MoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["up", "down"],
        help_text=_("Swap the rule with its neighbour in its level."),
    )


class AssignmentSerializer(FieldsMixin, serializers.ModelSerializer):
    """One routing decision: who got the lead, through which rule, and why."""

    lead_name = serializers.CharField(source="lead", read_only=True)
    rule_name = serializers.CharField(
        source="rule.name", read_only=True, allow_null=True
    )
    assigned_user_name = serializers.CharField(
        source="assigned_user", read_only=True, allow_null=True
    )
    assigned_team_name = serializers.CharField(
        source="assigned_team.name", read_only=True, allow_null=True
    )
    by_name = serializers.CharField(source="by", read_only=True, allow_null=True)
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    trigger_label = serializers.CharField(source="get_trigger_display", read_only=True)

    class Meta:
        model = LeadAssignment
        fields = [
            "id",
            "created_at",
            "lead",
            "lead_name",
            "rule",
            "rule_name",
            "assigned_user",
            "assigned_user_name",
            "assigned_team",
            "assigned_team_name",
            "reason",
            "reason_label",
            "trigger",
            "trigger_label",
            "detail",
            "by",
            "by_name",
        ]
        read_only_fields = fields


# --- rules -------------------------------------------------------------------------


class RulePagination(KeysetPagination):
    """In evaluation order within a level (order, then id)."""

    ordering = ("order", "id")


WRITE_ERRORS = {400: INVALID, 404: MISSING}
VERSIONED_ERRORS = {
    **WRITE_ERRORS,
    412: problem("Stale If-Match; nothing was saved (`current` has the rule)"),
    428: problem("If-Match missing"),
}
ETAG = etag_header(200)


@extend_schema_view(
    list=extend_schema(
        parameters=[FIELDS], responses={200: RoutingRuleSerializer(many=True)}
    ),
    retrieve=extend_schema(
        parameters=[FIELDS, ETAG],
        responses={200: RoutingRuleSerializer, 404: MISSING},
    ),
    create=extend_schema(
        request=RoutingRuleWriteSerializer,
        parameters=[etag_header(201)],
        responses={201: RoutingRuleSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        request=RoutingRuleWriteSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: RoutingRuleSerializer, **VERSIONED_ERRORS},
    ),
)
class RoutingRuleViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    queryset = RoutingRule.objects.none()  # the schema's model; reads use selectors
    serializer_class = RoutingRuleSerializer
    pagination_class = RulePagination
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self) -> RoutingRule:
        return found_or_404(
            lambda: selectors.rules_queryset().get(pk=self.kwargs["pk"]),
            gettext("No such routing rule."),
        )

    def _editable(self) -> RoutingRule:
        """The rule, if the caller may change it; else 404, as on the page."""
        rule = self.get_object()
        if not can_edit_routing_rule(self.request.user, rule):
            raise exceptions.NotFound(NOT_YOURS)
        return rule

    def _represent(self, rule, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.rules_queryset().get(pk=rule.pk)
        response = Response(self.get_serializer(fresh).data, status=status_code)
        response["ETag"] = etag(fresh.version)
        return response

    def _stale(self, rule) -> PreconditionFailed:
        """412 with the rule as stored now and its ETag."""
        fresh = selectors.rules_queryset().get(pk=rule.pk)
        return PreconditionFailed(
            current=self.get_serializer(fresh).data, version=fresh.version
        )

    def _save(self, rule, data, *, expected_version=None) -> RoutingRule:
        """The page's rule form judges the values (the stored ones where the
        request leaves a field out), then the service saves them."""
        conditions = data.pop("conditions", rule.conditions if rule else [])
        values = model_to_dict(rule or RoutingRule(), fields=RULE_FIELDS)
        values.update(data)
        form = RoutingRuleForm(
            data={k: "" if v is None else v for k, v in values.items()},
            instance=rule,
            user=self.request.user,
        )
        checked_by_form(form)
        return services.save_routing_rule(
            by=self.request.user,
            rule=rule,
            conditions=conditions,
            expected_version=expected_version,
            **form.service_fields(),
        )

    def list(self, request):
        """Every rule, active or not, in evaluation order within its level."""
        page = self.paginate_queryset(selectors.rules_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        rule = self.get_object()
        response = Response(self.get_serializer(rule).data)
        response["ETag"] = etag(rule.version)
        return response

    def create(self, request):
        """Create a rule (managers: of their unit or below, or of a partner owned
        there; administrators: any, organisation rules too)."""
        if not can_manage_routing(request.user):
            raise exceptions.NotFound(ONLY_MANAGERS)
        serializer = RoutingRuleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = self._save(None, dict(serializer.validated_data))
        response = self._represent(rule, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:routing-rule-detail", args=[rule.pk])
        return response

    def partial_update(self, request, pk=None):
        """Change some of a rule's values; `{"is_active": false}` alone switches it
        off (as the page's toggle). If-Match required: the rule's ETag from your
        last read (412 with `current` when another edit came first)."""
        rule = self._editable()
        version = if_match_version(request)
        serializer = RoutingRuleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        gettext("Send at least one of the rule's fields.")
                    ]
                }
            )
        try:
            if set(data) == {"is_active"}:
                saved = services.set_routing_rule_active(
                    rule=rule,
                    by=request.user,
                    active=data["is_active"],
                    expected_version=version,
                )
            else:
                saved = self._save(rule, data, expected_version=version)
        except EditConflict:
            raise self._stale(rule) from None
        return self._represent(saved)

    @extend_schema(
        request=MoveSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: RoutingRuleSerializer, **VERSIONED_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move a rule up or down among the rules of its level (renumbered 10, 20,
        30…; every rule whose order changes gets a new version). If-Match
        required: the moved rule's ETag."""
        rule = self._editable()
        version = if_match_version(request)
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        up = serializer.validated_data["direction"] == "up"
        try:
            moved = services.move_routing_rule(
                rule=rule, by=request.user, up=up, expected_version=version
            )
        except EditConflict:
            raise self._stale(rule) from None
        return self._represent(moved)


# --- the assignment log ------------------------------------------------------------


LOG_FILTERS = [
    OpenApiParameter("rule", int, description="A routing rule's id."),
    OpenApiParameter("assignee", int, description="The assigned user's id."),
    OpenApiParameter("reason", str, enum=AssignmentReason.values),
    OpenApiParameter("date_from", str, description="From this day (YYYY-MM-DD)."),
    OpenApiParameter("date_to", str, description="To this day (YYYY-MM-DD)."),
    FIELDS,
]


@extend_schema_view(
    list=extend_schema(
        parameters=LOG_FILTERS,
        responses={200: AssignmentSerializer(many=True), 400: INVALID},
    )
)
class AssignmentViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    """The assignment log of the leads you may see, newest first."""

    queryset = LeadAssignment.objects.none()
    serializer_class = AssignmentSerializer
    pagination_class = IdPagination

    def list(self, request):
        """Routing decisions on the leads you may see, newest first, narrowed by the
        log page's filters (an invalid value is a 400 naming the filter)."""
        form = AssignmentLogFilterForm(request.query_params, user=request.user)
        filters = checked_by_form(form)
        entries = selectors.assignment_log(user=request.user, filters=filters)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
