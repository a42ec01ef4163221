"""A lead's product interests through the API: list, add and remove, as on the
lead page.

The lead is found through the gate (outside it: 404 on every verb); writes go
through the links services, which refuse any change to a closed lead (409, the
page's sentence). An interest carries no version: adding a product the lead
already has updates that row's quantity and note, as the page does."""

from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from leads.api.common import (
    FIELDS,
    INVALID,
    LEAD_PK,
    MISSING,
    REFUSED,
    IdAscendingPagination,
    checked_by_form,
    found_or_404,
    lead_or_404,
    refused,
)
from leads.exceptions import TransitionRefused
from leads.forms.links import InterestForm
from leads.models import LeadProduct
from leads.selectors.links import lead_interests
from leads.services import links as services
from leadsite.core.api import ApiLoginMixin, FieldsMixin


class InterestSerializer(FieldsMixin, serializers.ModelSerializer):
    """A product or service the lead asked about."""

    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = LeadProduct
        fields = ["id", "lead", "product", "product_name", "quantity", "note"]
        read_only_fields = fields


class InterestWriteSerializer(serializers.Serializer):
    """The page's interest form: an active product, a quantity (0 or more, two
    decimals) and a note."""

    product = serializers.IntegerField(help_text=_("An active product's id."))
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        default=Decimal("1"),
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs):
        return checked_by_form(InterestForm(data=attrs))


@extend_schema_view(
    list=extend_schema(
        parameters=[LEAD_PK, FIELDS],
        responses={200: InterestSerializer(many=True), 404: MISSING},
    ),
    retrieve=extend_schema(
        parameters=[LEAD_PK, FIELDS],
        responses={200: InterestSerializer, 404: MISSING},
    ),
    create=extend_schema(
        parameters=[LEAD_PK],
        request=InterestWriteSerializer,
        responses={
            200: InterestSerializer,
            201: InterestSerializer,
            400: INVALID,
            404: MISSING,
            409: REFUSED,
        },
    ),
    destroy=extend_schema(
        parameters=[LEAD_PK], responses={204: None, 404: MISSING, 409: REFUSED}
    ),
)
class LeadInterestViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    queryset = LeadProduct.objects.none()  # the schema's model; reads use selectors
    serializer_class = InterestSerializer
    pagination_class = IdAscendingPagination
    lookup_value_regex = "[0-9]+"

    def _interest(self, lead, pk):
        return found_or_404(
            lambda: lead_interests(lead=lead).get(pk=pk),
            gettext("No such interest on this lead."),
        )

    def list(self, request, lead_pk=None):
        """The lead's product interests, in the order they were added."""
        lead = lead_or_404(request, lead_pk)
        page = self.paginate_queryset(lead_interests(lead=lead))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, lead_pk=None, pk=None):
        lead = lead_or_404(request, lead_pk)
        return Response(self.get_serializer(self._interest(lead, pk)).data)

    def create(self, request, lead_pk=None):
        """Add a product interest (201); a product the lead already has gets this
        quantity and note instead (200). Refused on a closed lead (409)."""
        lead = lead_or_404(request, lead_pk)
        serializer = InterestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        had_it = lead_interests(lead=lead).filter(product=data["product"]).exists()
        try:
            interest = services.add_interest(lead=lead, by=request.user, **data)
        except TransitionRefused as error:
            raise refused(error) from None
        return Response(
            self.get_serializer(interest).data,
            status=status.HTTP_200_OK if had_it else status.HTTP_201_CREATED,
        )

    def destroy(self, request, lead_pk=None, pk=None):
        """Remove a product interest; refused on a closed lead (409)."""
        lead = lead_or_404(request, lead_pk)
        interest = self._interest(lead, pk)
        try:
            services.remove_interest(lead=lead, interest=interest, by=request.user)
        except TransitionRefused as error:
            raise refused(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
