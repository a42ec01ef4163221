"""The webhooks resource: subscriptions (list, create, read, change, delete), a
subscription's deliveries, "send again" of one delivery, and secret rotation.

Administrators and managers only: a rep gets 403 on the list and on create, and
404 on any subscription (none is in their reach), as on the pages. Reads go through
the webhooks selectors (a subscription outside the caller's reach is a 404), writes
through the subscription services; PATCH and DELETE need If-Match (the ETag)."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from leadsite.core.api import (
    ApiLoginMixin,
    KeysetPagination,
    PreconditionFailed,
    etag,
    if_match_version,
)
from leadsite.core.versioning import EditConflict
from webhooks import tasks
from webhooks.api.serializers import (
    DeliverySerializer,
    SubscriptionSerializer,
    SubscriptionWriteSerializer,
)
from webhooks.models import Delivery, Subscription
from webhooks.permissions import may_use_webhooks
from webhooks.selectors import (
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
)
from webhooks.services import subscriptions as services

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description=_('The subscription\'s ETag from your last read, e.g. "3".'),
)
WRITE_ERRORS = {
    400: OpenApiResponse(description=_("Invalid values (problem details, `errors`)")),
    403: OpenApiResponse(description=_("Only administrators and managers")),
    404: OpenApiResponse(description=_("No subscription here, or not one of yours")),
    412: OpenApiResponse(
        description=_("Stale If-Match; `current` has the subscription")
    ),
    428: OpenApiResponse(description=_("If-Match missing")),
}


class DeliveryPagination(KeysetPagination):
    """Newest first by id (a delivery's id grows with its creation)."""

    ordering = ("-id",)


class SubscriptionViewSet(ApiLoginMixin, viewsets.GenericViewSet):
    serializer_class = SubscriptionSerializer
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9]+"
    queryset = Subscription.objects.none()  # the schema's model; reads use selectors

    def get_object(self) -> Subscription:
        try:
            return get_subscription(user=self.request.user, pk=self.kwargs["pk"])
        except (Subscription.DoesNotExist, ValueError, OverflowError):
            raise Http404("No subscription here, or not one you reach.") from None

    def _represent(self, subscription, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = get_subscription(user=self.request.user, pk=subscription.pk)
        response = Response(SubscriptionSerializer(fresh).data, status=status_code)
        response["ETag"] = etag(fresh.version)
        return response

    def _write_data(self, request, *, partial) -> dict:
        serializer = SubscriptionWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _refuse_unless_may_use(self, request) -> None:
        if not may_use_webhooks(request.user):
            raise exceptions.PermissionDenied(
                gettext("Only administrators and managers use webhooks.")
            )

    def list(self, request):
        self._refuse_unless_may_use(request)
        page = self.paginate_queryset(list_subscriptions(user=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._represent(self.get_object())

    @extend_schema(
        request=SubscriptionWriteSerializer,
        responses={201: SubscriptionSerializer, 400: WRITE_ERRORS[400]},
    )
    def create(self, request):
        """Subscribe a URL to events; the answer carries the signing secret."""
        self._refuse_unless_may_use(request)
        data = self._write_data(request, partial=False)
        subscription = services.create_subscription(by=request.user, **data)
        response = self._represent(subscription, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:webhook-detail", args=[subscription.pk])
        return response

    @extend_schema(
        request=SubscriptionWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: SubscriptionSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        """Change the URL, events, description or `is_active` (If-Match required;
        `is_active: true` resumes a paused subscription)."""
        subscription = self.get_object()
        version = if_match_version(request)
        data = self._write_data(request, partial=True)
        try:
            saved = services.update_subscription(
                subscription=subscription,
                by=request.user,
                expected_version=version,
                **data,
            )
        except EditConflict:
            current = get_subscription(user=request.user, pk=subscription.pk)
            raise PreconditionFailed(
                current=SubscriptionSerializer(current).data, version=current.version
            ) from None
        if saved.is_active:
            tasks.wake()
        return self._represent(saved)

    @extend_schema(parameters=[IF_MATCH], responses={204: None, **WRITE_ERRORS})
    def destroy(self, request, pk=None):
        """Delete the subscription and its delivery log (If-Match required)."""
        subscription = self.get_object()
        version = if_match_version(request)
        try:
            services.delete_subscription(
                subscription=subscription, by=request.user, expected_version=version
            )
        except EditConflict:
            current = get_subscription(user=request.user, pk=subscription.pk)
            raise PreconditionFailed(
                current=SubscriptionSerializer(current).data, version=current.version
            ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        url_name="rotate-secret",
    )
    def rotate_secret(self, request, pk=None):
        """A new signing secret; for a while deliveries are signed with both."""
        subscription = self.get_object()
        return self._represent(
            services.rotate_secret(subscription=subscription, by=request.user)
        )

    @extend_schema(responses={200: DeliverySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request, pk=None):
        """The subscription's deliveries, newest first (cursor pages), each with its
        attempts."""
        subscription = self.get_object()
        queryset = list_deliveries(subscription=subscription).prefetch_related(
            "attempt_log"
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay",
        url_name="replay",
    )
    def replay(self, request, pk=None, delivery_id=None):
        """Send a delivery again (same event id, new signature), now."""
        subscription = self.get_object()
        try:
            delivery = get_delivery(subscription=subscription, pk=delivery_id)
        except (Delivery.DoesNotExist, ValueError, OverflowError):
            raise Http404("No such delivery of this subscription.") from None
        replayed = services.replay_delivery(delivery=delivery, by=request.user)
        tasks.wake()
        fresh = (
            list_deliveries(subscription=subscription)
            .prefetch_related("attempt_log")
            .get(pk=replayed.pk)
        )
        return Response(DeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
