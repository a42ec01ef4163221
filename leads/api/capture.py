"""Where leads come from, through the API: campaigns and capture forms, read only.

Campaigns are read by every role (the lead form and filters offer them all); they
are changed in the Django admin only, which has no service of its own to call, so
the API does not write them. Capture forms are read as their page lists them:
administrators all, sales managers those of their business unit and below; a
rep gets 404, as on the page. They are changed on their page (not here)."""

from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from accounts.permissions import is_administrator, is_manager
from leads.api.common import FIELDS, MISSING, IdAscendingPagination, found_or_404
from leads.models import Campaign, CaptureForm, CaptureFormPurpose
from leads.selectors import capture as selectors
from leadsite.core.api import ApiLoginMixin, FieldsMixin, KeysetPagination

ONLY_MANAGERS = _("Only sales managers and administrators manage capture forms.")


class CampaignSerializer(FieldsMixin, serializers.ModelSerializer):
    """A marketing effort leads come from; `cost` feeds the source report's cost
    per lead. Only active campaigns can be given to a lead."""

    source_label = serializers.CharField(
        source="get_source_display", read_only=True, allow_null=True
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "source",
            "source_label",
            "business_unit",
            "start_date",
            "end_date",
            "cost",
            "is_active",
        ]
        read_only_fields = fields


class CaptureFormPurposeSerializer(serializers.ModelSerializer):
    """A consent the form asks for: the submission's `field` (true: ticked), with
    the wording and version the visitor sees."""

    purpose = serializers.SlugRelatedField(slug_field="code", read_only=True)
    purpose_name = serializers.CharField(source="purpose.name", read_only=True)
    field = serializers.CharField(source="field_name", read_only=True)

    class Meta:
        model = CaptureFormPurpose
        fields = ["purpose", "purpose_name", "field", "wording", "version"]
        read_only_fields = fields


class CaptureFormSerializer(FieldsMixin, serializers.ModelSerializer):
    """A public web form whose submissions become leads, at `public_url`."""

    public_url = serializers.SerializerMethodField()
    consent_purposes = CaptureFormPurposeSerializer(many=True, read_only=True)
    default_source_label = serializers.CharField(
        source="get_default_source_display", read_only=True
    )

    class Meta:
        model = CaptureForm
        fields = [
            "id",
            "name",
            "public_url",
            "is_active",
            "business_unit",
            "campaign",
            "default_source",
            "default_source_label",
            "topic",
            "fields_shown",
            "title",
            "intro_text",
            "consent_text",
            "consent_purposes",
            "double_opt_in",
            "thank_you_text",
            "redirect_url",
        ]
        read_only_fields = fields

    def get_public_url(self, form) -> str:
        request = self.context.get("request")
        path = form.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path


class CampaignPagination(KeysetPagination):
    """By name (unique, indexed)."""

    ordering = ("name",)


@extend_schema_view(
    list=extend_schema(
        parameters=[FIELDS], responses={200: CampaignSerializer(many=True)}
    ),
    retrieve=extend_schema(
        parameters=[FIELDS], responses={200: CampaignSerializer, 404: MISSING}
    ),
)
class CampaignViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    queryset = Campaign.objects.none()  # the schema's model; reads use selectors
    serializer_class = CampaignSerializer
    pagination_class = CampaignPagination
    lookup_value_regex = "[0-9]+"

    def list(self, request):
        """Every campaign, active or not, by name."""
        page = self.paginate_queryset(selectors.list_campaigns())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        campaign = found_or_404(
            lambda: selectors.list_campaigns().get(pk=pk), gettext("No such campaign.")
        )
        return Response(self.get_serializer(campaign).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[FIELDS],
        responses={200: CaptureFormSerializer(many=True), 404: MISSING},
    ),
    retrieve=extend_schema(
        parameters=[FIELDS], responses={200: CaptureFormSerializer, 404: MISSING}
    ),
)
class CaptureFormViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    queryset = CaptureForm.objects.none()  # the schema's model; reads use selectors
    serializer_class = CaptureFormSerializer
    pagination_class = IdAscendingPagination
    lookup_value_regex = "[0-9]+"

    def _forms(self):
        user = self.request.user
        if not (is_manager(user) or is_administrator(user)):
            raise exceptions.NotFound(ONLY_MANAGERS)
        return selectors.list_capture_forms(user=user).prefetch_related(
            Prefetch(
                "consent_purposes",
                queryset=CaptureFormPurpose.objects.select_related("purpose"),
            )
        )

    def list(self, request):
        """The capture forms you manage (a rep: 404, as the page)."""
        page = self.paginate_queryset(self._forms())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        forms = self._forms()
        form = found_or_404(lambda: forms.get(pk=pk), gettext("No such capture form."))
        return Response(self.get_serializer(form).data)
