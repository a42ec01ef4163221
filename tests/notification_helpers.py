"""Helpers the notification tests share (tests/test_notifications*.py)."""

import datetime

from leads.models import LeadSource
from notifications.models import Notification
from tests import factories

WEB = [{"field": "source", "op": "in", "value": [LeadSource.WEB]}]
H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def told(user, kind=None):
    """The user's notifications (of `kind`), oldest first."""
    found = Notification.objects.filter(user=user).order_by("created_at", "id")
    return list(found.filter(kind=kind) if kind else found)


def web_lead(owner, **kwargs):
    return factories.LeadFactory(
        owner_user=owner,
        business_unit=owner.business_unit,
        source=LeadSource.WEB,
        **kwargs,
    )


def to_user_rule(user, **kwargs):
    return factories.RoutingRuleFactory(
        name=kwargs.pop("name", "Web to one"),
        conditions=kwargs.pop("conditions", WEB),
        target_user=user,
        **kwargs,
    )
