"""The write-path guard: guarded rows are written only inside a @service."""

import pytest
from django.apps import apps
from django.contrib import admin

from accounts.admin import ServiceAdminMixin
from leads.admin.links import LinkAdmin
from leads.services.timeline import add_note
from leadsite.core.services import (
    GUARDED_MODELS,
    WriteOutsideService,
    current_service,
    service,
)
from tests import factories


def test_direct_save_of_a_lead_outside_a_service_fails(rep):
    lead = factories.LeadFactory(owner_user=rep)
    lead.subject = "Sneaked in"
    with pytest.raises(WriteOutsideService):
        lead.save()


@pytest.mark.parametrize(
    "make",
    [
        lambda rep: factories.ActivityFactory(
            lead=factories.LeadFactory(owner_user=rep)
        ),
        lambda rep: factories.NoteFactory(lead=factories.LeadFactory(owner_user=rep)),
        lambda rep: factories.OpportunityFactory(owner_user=rep),
    ],
)
def test_direct_delete_of_a_guarded_row_fails(rep, make):
    row = make(rep)
    with pytest.raises(WriteOutsideService):
        row.delete()


def test_writes_inside_a_service_pass_and_the_marker_is_the_outermost(rep):
    lead = factories.LeadFactory(owner_user=rep)
    seen = []

    @service
    def outer():
        seen.append(current_service())
        return add_note(record=lead, by=rep, text="Inside")

    note = outer()
    assert note.pk and seen == [f"{__name__}.{outer.__qualname__}"]
    assert current_service() is None


def test_admin_writes_every_guarded_model_through_its_services(rf, administrator):
    """Every admin of a model whose rows only services write either saves through
    the services (ServiceAdminMixin, the link admins) or is read-only."""
    request = rf.get("/admin/")
    request.user = administrator
    bypassing = []
    for label in GUARDED_MODELS:
        model_admin = admin.site._registry.get(apps.get_model(label))
        if model_admin is None or isinstance(
            model_admin, (ServiceAdminMixin, LinkAdmin)
        ):
            continue
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(
            request
        ):
            bypassing.append(label)
    assert not bypassing


@pytest.mark.parametrize(
    "make",
    [
        lambda rep: factories.AccountFactory(owner_user=rep),
        lambda rep: factories.ContactFactory(owner_user=rep),
        lambda rep: factories.RoutingRuleFactory(),
        lambda rep: factories.CaptureFormFactory(),
        lambda rep: factories.OpportunityProductFactory(),
    ],
)
def test_direct_save_of_more_guarded_rows_fails(rep, make):
    row = make(rep)
    with pytest.raises(WriteOutsideService):
        row.save()
