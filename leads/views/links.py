"""Views that link a lead to accounts, contacts and products of interest: POST-only
writes with post/redirect/get, the add forms on GET. Every record is looked up
through the scope gate; outside it the answer is 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from leads.exceptions import closed_message
from leads.forms.links import InterestForm, LinkAccountForm, LinkContactForm
from leads.models import LeadProduct
from leads.services import links as link_services
from leads.views.common import (
    back_to,
    fail,
    form_error_message,
    form_panel,
    lead_or_404,
    record_or_404,
)
from leadsite.core.errors import error_message

# --- Timeline -------------------------------------------------------------------------


# --- Links and interests (edits of the lead: refused on closed leads) -----------------


def _lead_panel(request, pk, *, title, template, form_factory):
    """The add form of an edit of the lead (GET on its URL); a closed lead says
    why it cannot be changed instead."""
    lead = lead_or_404(request, pk)
    context = {"action": request.path}
    if not lead.is_editable:
        context["closed"] = closed_message(lead)
    else:
        context["form"] = form_factory(lead)
    return form_panel(request, lead, title=title, template=template, context=context)


def _lead_edit(request, pk, form, action, success: str, failure: str):
    lead = lead_or_404(request, pk)
    if form is not None and not form.is_valid():
        fail(request, failure, form_error_message(form))
        return back_to(lead, "#related")
    try:
        message = action(lead, form.cleaned_data if form is not None else {})
    except ValidationError as error:
        fail(request, failure, error_message(error, form))
    else:
        messages.success(request, message or success)
    return back_to(lead, "#related")


@require_http_methods(["GET", "POST"])
def link_account(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title=gettext("Link an account"),
            template="leads/panels/link_account.html",
            form_factory=lambda lead: LinkAccountForm(user=request.user, lead=lead),
        )
    form = LinkAccountForm(request.POST, user=request.user)

    def action(lead, data):
        _, created = link_services.link_account(
            lead=lead, account=data["account"], by=request.user
        )
        done = (
            gettext("Account “%(account)s” linked.")
            if created
            else gettext("Account “%(account)s” was already linked.")
        )
        return done % {"account": data["account"]}

    return _lead_edit(
        request, pk, form, action, "", gettext("The account was not linked")
    )


@require_POST
def unlink_account(request, pk, account_pk):
    account = record_or_404(request, "account", account_pk)

    def action(lead, data):
        link_services.unlink_account(lead=lead, account=account, by=request.user)
        return gettext("Account “%(account)s” unlinked.") % {"account": account}

    return _lead_edit(
        request, pk, None, action, "", gettext("The account was not unlinked")
    )


@require_http_methods(["GET", "POST"])
def link_contact(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title=gettext("Link a contact"),
            template="leads/panels/link_contact.html",
            form_factory=lambda lead: LinkContactForm(user=request.user, lead=lead),
        )
    form = LinkContactForm(request.POST, user=request.user)

    def action(lead, data):
        _, created = link_services.link_contact(
            lead=lead, contact=data["contact"], by=request.user
        )
        done = (
            gettext("Contact “%(contact)s” linked.")
            if created
            else gettext("Contact “%(contact)s” was already linked.")
        )
        return done % {"contact": data["contact"]}

    return _lead_edit(
        request, pk, form, action, "", gettext("The contact was not linked")
    )


@require_POST
def unlink_contact(request, pk, contact_pk):
    contact = record_or_404(request, "contact", contact_pk)

    def action(lead, data):
        link_services.unlink_contact(lead=lead, contact=contact, by=request.user)
        return gettext("Contact “%(contact)s” unlinked.") % {"contact": contact}

    return _lead_edit(
        request, pk, None, action, "", gettext("The contact was not unlinked")
    )


@require_http_methods(["GET", "POST"])
def add_interest(request, pk):
    if request.method == "GET":
        return _lead_panel(
            request,
            pk,
            title=gettext("Add a product interest"),
            template="leads/panels/interest.html",
            form_factory=lambda lead: InterestForm(),
        )
    form = InterestForm(request.POST)

    def action(lead, data):
        interest = link_services.add_interest(lead=lead, by=request.user, **data)
        return gettext("Interest in “%(product)s” saved.") % {
            "product": interest.product
        }

    return _lead_edit(
        request, pk, form, action, "", gettext("The interest was not saved")
    )


@require_POST
def remove_interest(request, pk, interest_pk):
    def action(lead, data):
        try:
            interest = LeadProduct.objects.select_related("product").get(
                pk=interest_pk, lead=lead
            )
        except LeadProduct.DoesNotExist:
            raise Http404("No such interest.") from None
        link_services.remove_interest(lead=lead, interest=interest, by=request.user)
        return gettext("Interest in “%(product)s” removed.") % {
            "product": interest.product
        }

    return _lead_edit(
        request, pk, None, action, "", gettext("The interest was not removed")
    )


# --- Merge ----------------------------------------------------------------------------
