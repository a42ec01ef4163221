"""The write-path guard: guarded rows are written only inside a @service."""

import pytest

from leads.services.timeline import add_note
from leadsite.services import WriteOutsideService, current_service, service
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
