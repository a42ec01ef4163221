"""Edit conflicts: two people editing the same record never lose a change.

On the site and in the admin the second save is detected (the form carries the
version it was loaded at), the form comes back with the other person's change
merged in and the user's own kept, side by side; saving it then keeps both."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.services import update_account
from leads.services.lifecycle import update_lead
from leadsite.core.versioning import EditConflict
from tests import factories
from tests.support import (
    browser_post_data,
    change_form_data,
    lead_post_data,
    run_together,
)

CONFLICT = "changed while you were editing"


def _open(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return browser_post_data(page.content.decode(), page.context["form"])


# (factory, edit url name, field the first user changes, field the second changes)
RECORDS = {
    "lead": (factories.LeadFactory, "leads:edit", "business_phone", "subject"),
    "account": (factories.AccountFactory, "accounts:account-edit", "phone", "name"),
    "contact": (
        factories.ContactFactory,
        "accounts:contact-edit",
        "business_phone",
        "job_title",
    ),
    "opportunity": (
        factories.OpportunityFactory,
        "accounts:opportunity-edit",
        "description",
        "name",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", RECORDS)
def test_second_save_is_detected_and_neither_change_is_lost(kind, rep, manager):
    factory, url_name, first_field, second_field = RECORDS[kind]
    record = factory(owner_user=rep)
    url = reverse(url_name, args=[record.pk])
    ann, bob = Client(), Client()
    ann.force_login(rep)
    bob.force_login(manager)
    ann_data, bob_data = _open(ann, url), _open(bob, url)

    ann_data[first_field] = "+1 555 111 2222"
    assert ann.post(url, ann_data).status_code == 302
    bob_data[second_field] = "Changed by Bob"
    response = bob.post(url, bob_data)

    assert response.status_code == 200
    html = response.content.decode()
    assert CONFLICT in html
    assert "+1 555 111 2222" in html and "Changed by Bob" in html
    record.refresh_from_db()
    assert getattr(record, first_field) == "+1 555 111 2222"
    assert getattr(record, second_field) != "Changed by Bob"

    again = browser_post_data(html, response.context["form"])
    assert bob.post(url, again).status_code == 302
    record.refresh_from_db()
    assert getattr(record, first_field) == "+1 555 111 2222"
    assert getattr(record, second_field) == "Changed by Bob"


@pytest.mark.django_db
def test_same_field_changed_by_both_shows_both_and_keeps_mine(rep, manager):
    lead = factories.LeadFactory(owner_user=rep, subject="Original")
    url = reverse("leads:edit", args=[lead.pk])
    ann, bob = Client(), Client()
    ann.force_login(rep)
    bob.force_login(manager)
    ann_data, bob_data = _open(ann, url), _open(bob, url)
    ann_data["subject"] = "Ann's topic"
    ann.post(url, ann_data)
    bob_data["subject"] = "Bob's topic"
    response = bob.post(url, bob_data)
    html = response.content.decode()
    assert CONFLICT in html and "Ann&#x27;s topic" in html
    assert response.context["form"]["subject"].value() == "Bob's topic"
    lead.refresh_from_db()
    assert lead.subject == "Ann's topic"


@pytest.mark.django_db
def test_unchanged_version_saves_and_raises_the_version(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    url = reverse("leads:edit", args=[lead.pk])
    data = _open(rep_client, url)
    data["subject"] = "New topic"
    assert rep_client.post(url, data).status_code == 302
    lead.refresh_from_db()
    assert (lead.subject, lead.version) == ("New topic", 2)


@pytest.mark.django_db
def test_service_refuses_a_stale_version(rep):
    account = factories.AccountFactory(owner_user=rep)
    update_account(account=account, by=rep, expected_version=1, name="First")
    with pytest.raises(EditConflict):
        update_account(account=account, by=rep, expected_version=1, name="Second")
    account.refresh_from_db()
    assert account.name == "First"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
)
def test_two_saves_at_the_same_moment_one_conflicts(rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Original")
    outcomes = run_together(
        lambda: update_lead(
            lead=lead, by=rep, expected_version=1, business_phone="+1 555 000 1111"
        ),
        lambda: update_lead(lead=lead, by=rep, expected_version=1, subject="Bob"),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, EditConflict)
    lead.refresh_from_db()
    assert lead.version == 2
    assert (lead.business_phone == "+1 555 000 1111") != (lead.subject == "Bob")


def test_page_edit_posted_without_its_version_is_a_conflict(rep_client, rep):
    """A form that does not say which version it was loaded at never overwrites."""
    lead = factories.LeadFactory(owner_user=rep, subject="Theirs")
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]), lead_post_data(subject="Mine")
    )
    assert response.status_code == 200
    assert "changed while you were editing" in response.content.decode()
    lead.refresh_from_db()
    assert lead.subject == "Theirs"


def test_stale_admin_change_form_does_not_revert_a_later_save(
    admin_client_, administrator, rep
):
    """The administrator opens a lead in admin; the rep then saves a new topic on
    the site; the administrator's save of another field is refused beside the form
    (their values kept) instead of silently putting the old topic back."""
    lead = factories.LeadFactory(owner_user=rep, subject="Old topic")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _page, data = change_form_data(admin_client_, url)
    update_lead(lead=lead, by=rep, expected_version=lead.version, subject="Rep's topic")

    data["job_title"] = "Admin's title"
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "Admin&#x27;s title" in page or "Admin's title" in page
    lead.refresh_from_db()
    assert (lead.subject, lead.job_title) == ("Rep's topic", "")


def test_admin_change_form_posted_without_version_is_refused(
    admin_client_, administrator, rep
):
    lead = factories.LeadFactory(owner_user=rep, subject="Old topic")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _page, data = change_form_data(admin_client_, url)
    data.pop("version")
    data["subject"] = "Blind overwrite"
    response = admin_client_.post(url, data)
    assert "changed by someone else" in response.content.decode()
    lead.refresh_from_db()
    assert lead.subject == "Old topic"


def test_fresh_admin_change_form_saves_and_raises_the_version(
    admin_client_, administrator, rep
):
    lead = factories.LeadFactory(owner_user=rep, subject="Old topic")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _page, data = change_form_data(admin_client_, url)
    data["subject"] = "New topic"
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.subject, lead.version) == ("New topic", 2)
