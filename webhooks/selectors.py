"""Reads of the webhooks pages and API: subscriptions through the owner gate
(webhooks.permissions), a subscription's delivery log newest first."""

from django.db.models import QuerySet

from webhooks.models import Delivery, Subscription
from webhooks.permissions import visible_subscriptions


def list_subscriptions(*, user) -> QuerySet:
    """The subscriptions `user` reaches (administrators: all; managers: their own),
    newest first, with their owners."""
    return visible_subscriptions(
        user, Subscription.objects.select_related("owner")
    ).order_by("-created_at", "-id")


def get_subscription(*, user, pk) -> Subscription:
    """One subscription `user` reaches; Subscription.DoesNotExist otherwise (a 404,
    whether or not it exists)."""
    return list_subscriptions(user=user).get(pk=pk)


def list_deliveries(*, subscription: Subscription) -> QuerySet:
    """The subscription's delivery log, newest first, each with its event (one
    query per page: the index webhooks_delivery_log)."""
    return (
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .defer("event__body")
        .order_by("-id")
    )


def get_delivery(*, subscription: Subscription, pk) -> Delivery:
    """One delivery of the subscription; Delivery.DoesNotExist otherwise."""
    return list_deliveries(subscription=subscription).get(pk=pk)
