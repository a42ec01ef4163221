"""Reads for a lead's links: the accounts, contacts and products it is linked to,
the leads merged into it, with its timeline, for the lead detail page."""

from django.urls import reverse

from accounts.models import Account, Contact
from accounts.permissions import visible_to
from leads.models import (
    ActivityState,
    Lead,
    LeadAccount,
    LeadContact,
    LeadProduct,
)
from leads.selectors.leads import has_any
from leads.selectors.timeline import list_timeline


def lead_interests(*, lead):
    """The lead's product interests with their products, in the order they were
    added (the caller has already checked that the user may see `lead`)."""
    return (
        LeadProduct.objects.filter(lead=lead).select_related("product").order_by("id")
    )


def lead_links_context(*, lead, user) -> dict:
    """Template context for the related-records part of the lead detail page
    (templates/jinja2/leads/partials/lead_links.html).

    The timeline with its add forms, the linked accounts and contacts the user may see
    with link/unlink forms, product interests and the leads merged into this one
    (the detail page itself shows the original message and "merged into"). A constant number of queries whatever the number of items.
    """
    editable = lead.is_editable
    context = {
        "related_lead": lead,
        "related_editable": editable,
        "timeline": list_timeline(record=lead),
        "timeline_record_type": "lead",
        "timeline_record": lead,
        "open_activity_state": ActivityState.OPEN,
        # Each list is read only when the lead has rows in it (has_any).
        "linked_accounts": linked_accounts(lead=lead, user=user)
        if has_any(lead, "account_links")
        else [],
        "linked_contacts": linked_contacts(lead=lead, user=user)
        if has_any(lead, "contact_links")
        else [],
        "interests": list(lead_interests(lead=lead))
        if has_any(lead, "interests")
        else [],
        "merged_leads": list(
            visible_to(user, Lead.objects.filter(master=lead)).order_by("-closed_at")
        )
        if has_any(lead, "merged_leads")
        else [],
        "merge_url": reverse("leads:merge") + f"?ids={lead.pk}",
    }
    if editable:
        # Each add form is loaded when its disclosure opens (GET on its URL).
        context["panel_urls"] = {
            "interest": reverse("leads:add-interest", args=[lead.pk]),
            "link_account": reverse("leads:link-account", args=[lead.pk]),
            "link_contact": reverse("leads:link-contact", args=[lead.pk]),
        }
    return context


def linked_accounts(*, lead, user) -> list:
    """The accounts linked to `lead` that `user` may see, by name (one query)."""
    return [
        link.account
        for link in LeadAccount.objects.filter(
            lead=lead, account__in=visible_to(user, Account.objects.all())
        )
        .select_related("account")
        .order_by("account__name", "account_id")
    ]


def linked_contacts(*, lead, user) -> list:
    """The contacts linked to `lead` that `user` may see, by name (one query)."""
    return [
        link.contact
        for link in LeadContact.objects.filter(
            lead=lead, contact__in=visible_to(user, Contact.objects.all())
        )
        .select_related("contact", "contact__account")
        .order_by("contact__last_name", "contact__first_name", "contact_id")
    ]
