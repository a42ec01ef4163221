"""Legal holds: while one is active on a lead or contact, its erasure is refused
with the hold's reason and nothing changes; released, the erasure goes through.
Holds are set and released on the record's privacy page and in the admin, by
privacy officers and administrators, and shown on the record."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.permissions import PRIVACY_OFFICER
from leads.models import Lead
from privacy.exceptions import ErasureBlocked
from privacy.models import Erasure, LegalHold
from privacy.selectors.people import find_by_email
from privacy.services.erasure import erase_person
from privacy.services.holds import release_legal_hold, set_legal_hold
from tests import factories
from tests.support import snapshot, user_in

EMAIL = "tomasz.wierzbicki@heron.example"


@pytest.fixture
def privacy_officer(org):
    return user_in(
        PRIVACY_OFFICER, username="privacy", business_unit=org.root, is_staff=True
    )


@pytest.fixture
def privacy_client(privacy_officer):
    client = Client()
    client.force_login(privacy_officer)
    return client


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(
        owner_user=rep, first_name="Tomasz", last_name="Wierzbicki", email=EMAIL
    )


def test_an_active_hold_blocks_the_erasure_and_nothing_changes(
    lead, privacy_officer, privacy_client
):
    set_legal_hold(record=lead, reason="Litigation 2026-17", by=privacy_officer)
    before = snapshot()
    with pytest.raises(ErasureBlocked) as refused:
        erase_person(subject=find_by_email(EMAIL), by=privacy_officer)
    assert "Litigation 2026-17" in " ".join(refused.value.messages)
    assert snapshot() == before
    assert not Erasure.objects.exists()

    page = privacy_client.get("/privacy/erase/", {"lead": lead.pk})
    html = page.content.decode()
    assert 'id="erase-blocked"' in html and "Litigation 2026-17" in html
    assert 'id="confirm-erase"' not in html
    response = privacy_client.post("/privacy/erase/", {"lead": [lead.pk]})
    assert response.status_code == 409
    assert "Litigation 2026-17" in response.content.decode()
    assert snapshot() == before


def test_a_hold_on_the_contact_blocks_the_whole_person(lead, rep, privacy_officer):
    contact = factories.ContactFactory(owner_user=rep, email=EMAIL)
    set_legal_hold(record=contact, reason="Authority request", by=privacy_officer)
    with pytest.raises(ErasureBlocked):
        erase_person(subject=find_by_email(EMAIL), by=privacy_officer)
    assert Lead.objects.get(pk=lead.pk).email == EMAIL


def test_releasing_the_hold_allows_the_erasure(lead, privacy_officer, privacy_client):
    hold = set_legal_hold(record=lead, reason="Litigation", by=privacy_officer)
    response = privacy_client.post(f"/privacy/holds/{hold.pk}/release/")
    assert response["Location"] == f"/privacy/leads/{lead.pk}/"
    hold.refresh_from_db()
    assert (hold.active, hold.released_by) == (False, privacy_officer)
    response = privacy_client.post("/privacy/erase/", {"lead": [lead.pk]})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).email == ""
    # A released hold stays on record, its reason kept.
    assert LegalHold.objects.get().reason == "Litigation"


def test_setting_a_hold_on_the_privacy_page(lead, privacy_client, privacy_officer):
    page = privacy_client.get(f"/privacy/leads/{lead.pk}/").content.decode()
    assert 'id="hold-form"' in page
    refused = privacy_client.post(
        "/privacy/holds/new/", {"lead": lead.pk, "reason": " "}
    )
    assert refused.status_code == 400
    assert not LegalHold.objects.exists()
    response = privacy_client.post(
        "/privacy/holds/new/", {"lead": lead.pk, "reason": "Claim by the customer"}
    )
    assert response["Location"] == f"/privacy/leads/{lead.pk}/"
    hold = LegalHold.objects.get()
    assert (hold.lead, hold.set_by, hold.active) == (lead, privacy_officer, True)
    page = privacy_client.get(f"/privacy/leads/{lead.pk}/").content.decode()
    assert "Claim by the customer" in page and "Under a legal hold" in page
    index = privacy_client.get("/privacy/").content.decode()
    assert f"/privacy/leads/{lead.pk}/" in index  # among the active holds
    form = privacy_client.get(f"/privacy/holds/new/?lead={lead.pk}")
    assert form.status_code == 200


def test_a_released_hold_cannot_be_released_twice(
    lead, privacy_officer, privacy_client
):
    hold = set_legal_hold(record=lead, reason="Audit", by=privacy_officer)
    release_legal_hold(hold=hold, by=privacy_officer)
    response = privacy_client.post(f"/privacy/holds/{hold.pk}/release/", follow=True)
    assert "already released" in response.content.decode()


def test_the_hold_shows_on_the_record_page(lead, rep_client, privacy_officer):
    set_legal_hold(record=lead, reason="Confidential matter", by=privacy_officer)
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Legal hold" in page
    assert "Confidential matter" not in page


def test_the_admin_sets_and_releases_holds(lead, privacy_officer):
    client = Client()
    client.force_login(privacy_officer)
    assert client.get(reverse("admin:index")).status_code == 200
    url = reverse("admin:privacy_legalhold_add")
    response = client.post(url, {"lead": lead.pk, "reason": "Set in the admin"})
    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get()
    assert (hold.set_by, hold.lead) == (privacy_officer, lead)
    changelist = reverse("admin:privacy_legalhold_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "release", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.released_by == privacy_officer
    for name in ("accessrequest", "erasure"):
        assert (
            client.get(reverse(f"admin:privacy_{name}_changelist")).status_code == 200
        )
        assert client.get(reverse(f"admin:privacy_{name}_add")).status_code == 403


def test_other_roles_cannot_set_or_release_holds(
    lead, rep_client, manager_client, privacy_officer
):
    hold = set_legal_hold(record=lead, reason="Kept", by=privacy_officer)
    for client in (rep_client, manager_client):
        assert (
            client.post(
                "/privacy/holds/new/", {"lead": lead.pk, "reason": "x"}
            ).status_code
            == 404
        )
        assert client.post(f"/privacy/holds/{hold.pk}/release/").status_code == 404
    hold.refresh_from_db()
    assert hold.active and LegalHold.objects.count() == 1
