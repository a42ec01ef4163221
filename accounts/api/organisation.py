"""Who sells and what: users, teams, business units and the product catalogue,
read only, as the pages' pickers offer them (the same scope rules: the people and
teams a caller may give records to, the business units in the caller's scope, the
products a line may be made of)."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from accounts import selectors
from accounts.api.common import FIELDS, READ, problems
from accounts.api.pagination import OrderedKeysetPagination
from accounts.api.serializers import (
    BusinessUnitSerializer,
    ProductSerializer,
    TeamSerializer,
    UserSerializer,
)
from accounts.models import BusinessUnit, Product, Team, User
from leadsite.core.api import ApiLoginMixin

BY_ID = {"id": ("id",), "-id": ("-id",)}
BY_NAME = {"name": ("name",), "-name": ("-name",), **BY_ID}


def _schema(serializer_class):
    return {
        "list": extend_schema(
            parameters=[FIELDS],
            responses={200: serializer_class, **problems(400, *READ)},
        ),
        "retrieve": extend_schema(
            parameters=[FIELDS],
            responses={200: serializer_class, **problems(400, 404, *READ)},
        ),
    }


class OrganisationViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    """List (cursor pages) and retrieve the rows `rows()` gives the caller; a row
    outside them is a 404."""

    pagination_class = OrderedKeysetPagination
    lookup_value_regex = "[0-9]+"
    orderings = BY_ID
    default_ordering = "id"

    def rows(self):
        raise NotImplementedError

    def list(self, request):
        page = self.paginate_queryset(self.rows())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        try:
            row = self.rows().get(pk=pk)
        except (ObjectDoesNotExist, ValueError, OverflowError):
            what = self.queryset.model._meta.verbose_name
            raise Http404(f"No {what} here, or not one you can see.") from None
        return Response(self.get_serializer(row).data)


@extend_schema_view(**_schema(UserSerializer))
class UserViewSet(OrganisationViewSet):
    queryset = User.objects.none()
    serializer_class = UserSerializer

    def rows(self):
        return selectors.list_users(user=self.request.user)


@extend_schema_view(**_schema(TeamSerializer))
class TeamViewSet(OrganisationViewSet):
    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    orderings = BY_NAME
    default_ordering = "name"

    def rows(self):
        return selectors.list_teams(user=self.request.user)


@extend_schema_view(**_schema(BusinessUnitSerializer))
class BusinessUnitViewSet(OrganisationViewSet):
    queryset = BusinessUnit.objects.none()
    serializer_class = BusinessUnitSerializer
    orderings = BY_NAME
    default_ordering = "name"

    def rows(self):
        return selectors.list_business_units(user=self.request.user)


@extend_schema_view(**_schema(ProductSerializer))
class ProductViewSet(OrganisationViewSet):
    """The active products (what a product line may be made of)."""

    queryset = Product.objects.none()
    serializer_class = ProductSerializer
    orderings = {
        "product_number": ("product_number",),
        "-product_number": ("-product_number",),
        **BY_ID,
    }
    default_ordering = "product_number"

    def rows(self):
        return selectors.list_active_products()
