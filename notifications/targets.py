"""The records a notification may be about, and which of them a user may see now.

Per kind of record: the page a link opens, and the gate (the same one that page
applies) that says which of a set of such records a user may see. A notification
keeps its record's kind and id; the list links it only while the gate lets the
reader through, so a lead routed away from a rep is named there but not linked.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Account, Contact, Opportunity
from accounts.permissions import is_administrator, is_manager, visible_to
from leads.models import Lead
from leads.permissions import visible_import_batches
from webhooks.models import Subscription
from webhooks.permissions import visible_subscriptions


def _importer_batches(user) -> QuerySet:
    # The import pages are managers' and administrators' (leads.views.imports).
    if not (is_manager(user) or is_administrator(user)):
        return visible_import_batches(user).none()
    return visible_import_batches(user)


@dataclass(frozen=True)
class Target:
    url_name: str
    # user -> the records of this kind the user may see (a queryset)
    gate: Callable


TARGETS = {
    "leads.lead": Target("leads:detail", lambda u: visible_to(u, Lead.objects.all())),
    "accounts.account": Target(
        "accounts:account-detail", lambda u: visible_to(u, Account.objects.all())
    ),
    "accounts.contact": Target(
        "accounts:contact-detail", lambda u: visible_to(u, Contact.objects.all())
    ),
    "accounts.opportunity": Target(
        "accounts:opportunity-detail",
        lambda u: visible_to(u, Opportunity.objects.all()),
    ),
    "leads.importbatch": Target("leads:import-detail", _importer_batches),
    "webhooks.subscription": Target(
        "webhooks:detail",
        lambda u: visible_subscriptions(u, Subscription.objects.all()),
    ),
}


def target_type(instance) -> str:
    """A record's kind as a notification names it ("leads.lead")."""
    name = instance._meta.label_lower
    if name not in TARGETS:
        raise ValueError(f"A notification cannot link to {instance._meta.label}.")
    return name


def attach_links(user, notifications) -> None:
    """Set `.url` on each notification: its record's page when `user` may see that
    record now, else None. One query per kind of record among them."""
    wanted = defaultdict(set)
    for notification in notifications:
        notification.url = None
        if notification.target_type in TARGETS and notification.target_id:
            wanted[notification.target_type].add(notification.target_id)
    seen = {}
    for name, ids in wanted.items():
        visible = TARGETS[name].gate(user).filter(pk__in=sorted(ids))
        seen[name] = set(visible.values_list("pk", flat=True))
    for notification in notifications:
        if notification.target_id in seen.get(notification.target_type, ()):
            notification.url = reverse(
                TARGETS[notification.target_type].url_name,
                args=[notification.target_id],
            )
