"""Change history (django-simple-history) on leads, accounts, contacts and
opportunities: every write path of ours leaves a row saying who, when and through
what, and managers and administrators read it on the record page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import (
    update_account,
    update_contact,
    update_opportunity,
    win_opportunity,
)
from leads.models import Lead, LeadStatus
from leads.services.lifecycle import (
    bulk_assign_leads,
    create_lead,
    disqualify_lead,
    update_lead,
)
from leads.services.merge import merge_leads
from leads.services.qualification import qualify_lead
from leads.services.timeline import log_activity
from leadsite.core.history import field_changes
from leadsite.core.services import through
from tests import factories
from tests.support import change_form_data, lead_post_data


def _latest(record):
    return record.history.order_by("-history_date", "-history_id").first()


def _changed(record, field):
    return [c for c in field_changes(record) if c.field == field]


def test_site_form_edit_is_recorded_with_user_and_form(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    rep_client.post(
        reverse("leads:edit", args=[lead.pk]),
        lead_post_data(subject="After", version=lead.version),
    )
    change = _changed(lead, "topic")[0]
    assert (change.old, change.new, change.who, change.through) == (
        "Before",
        "After",
        rep,
        "Form",
    )


def test_admin_edit_is_recorded_through_admin(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator, subject="Before")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _response, data = change_form_data(admin_client_, url)
    data["subject"] = "From admin"
    admin_client_.post(url, data)
    change = _changed(lead, "topic")[0]
    assert (change.new, change.who, change.through) == (
        "From admin",
        administrator,
        "Admin",
    )


def test_bulk_assign_is_recorded_per_lead_through_bulk(manager, rep):
    leads = factories.LeadFactory.create_batch(3, owner_user=manager)
    bulk_assign_leads(leads=leads, by=manager, owner_user=rep)
    for lead in leads:
        change = _changed(lead, "owner (user)")[0]
        assert (change.old, change.new) == (str(manager), str(rep))
        assert (change.who, change.through) == (manager, "Bulk action")


def test_bulk_action_page_is_recorded_through_bulk(manager_client, manager, rep):
    lead = factories.LeadFactory(owner_user=manager)
    manager_client.post(
        reverse("leads:bulk"),
        {"action": "assign", "ids": [lead.pk], "owner_user": rep.pk},
    )
    assert _latest(lead).history_change_reason == "bulk"
    assert _latest(lead).history_user == manager


def test_transitions_and_qualification_are_recorded(rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="Contoso")
    disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    status = _changed(lead, "status reason")[0]
    assert (status.old, status.new, status.who) == ("New", "Lost", rep)
    other = factories.LeadFactory(owner_user=rep, company_name="Fabrikam")
    result = qualify_lead(lead=other, by=rep)
    assert _changed(other, "status reason")[0].new == "Qualified"
    # The records qualification created have their own history from the start.
    assert result.account.history.earliest("history_id").history_type == "+"
    assert _latest(result.opportunity).history_user == rep


def test_merge_records_both_leads_through_merge(rep):
    master = factories.LeadFactory(owner_user=rep, email="old@example.com")
    sub = factories.LeadFactory(owner_user=rep, email="new@example.com")
    earlier = factories.LeadFactory(
        owner_user=rep,
        state=2,
        status=LeadStatus.CANCELED,
        merged=True,
        master=sub,
    )
    merge_leads(
        master=master, subordinate=sub, by=rep, field_values={"email": sub.email}
    )
    assert _changed(master, "email")[0].through == "Merge"
    assert _changed(sub, "merged")[0].new == "Yes"
    assert _changed(earlier, "master")[0].new == str(master)


def test_first_activity_and_automatic_contacted_are_recorded(rep):
    lead = factories.LeadFactory(owner_user=rep)
    log_activity(record=lead, by=rep, kind="phone_call", subject="Hi", completed=True)
    lead.refresh_from_db()
    assert lead.first_activity_at and lead.status == LeadStatus.CONTACTED
    assert _changed(lead, "first activity at")
    assert _changed(lead, "status reason")[0].new == "Contacted"


@pytest.mark.parametrize("channel", ["routing", "import", "capture"])
def test_declared_channels_are_recorded(rep, channel):
    lead = factories.LeadFactory(owner_user=rep)
    with through(channel):
        update_lead(lead=lead, by=rep, rating=1)
    assert _latest(lead).history_change_reason == channel


def test_accounts_contacts_opportunities_are_recorded(rep_client, rep):
    account = factories.AccountFactory(owner_user=rep, name="Before")
    rep_client.post(
        reverse("accounts:account-edit", args=[account.pk]),
        {"name": "After", "version": account.version},
    )
    assert _changed(account, "account name")[0].through == "Form"
    contact = factories.ContactFactory(owner_user=rep, job_title="")
    update_contact(contact=contact, by=rep, job_title="CTO")
    assert _changed(contact, "job title")[0].new == "CTO"
    opportunity = factories.OpportunityFactory(owner_user=rep)
    update_opportunity(opportunity=opportunity, by=rep, estimated_value=Decimal("7"))
    assert _changed(
        opportunity, str(type(opportunity).estimated_value.field.verbose_name)
    )
    win_opportunity(
        opportunity=opportunity,
        by=rep,
        actual_value=Decimal("7"),
        actual_close_date=opportunity.estimated_close_date,
    )
    assert _latest(opportunity).history_user == rep


def test_changes_tab_for_managers_not_reps(client, manager, rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    update_lead(lead=lead, by=rep, subject="After")
    account = factories.AccountFactory(owner_user=rep)
    url = reverse("leads:detail", args=[lead.pk])
    client.force_login(manager)
    html = client.get(url).content.decode()
    assert 'id="changes"' in html
    assert "Before" in html and "After" in html
    assert 'id="changes"' in client.get(account.get_absolute_url()).content.decode()
    client.force_login(rep)
    assert 'id="changes"' not in client.get(url).content.decode()


def test_changes_tab_query_count_does_not_grow(
    manager_client, rep, django_assert_max_num_queries
):
    lead = factories.LeadFactory(owner_user=rep)
    url = reverse("leads:detail", args=[lead.pk])
    update_lead(lead=lead, by=rep, subject="One")
    manager_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        manager_client.get(url)
    for n in range(10):
        update_lead(lead=lead, by=rep, subject=f"Edit {n}", rating=n % 3 + 1)
    with django_assert_max_num_queries(len(few)):
        manager_client.get(url)


def test_admin_history_page_lists_changes_and_hides_foreign_records(
    admin_client_, administrator, client, manager, rep2
):
    lead = factories.LeadFactory(owner_user=administrator)
    update_lead(lead=lead, by=administrator, subject="Changed")
    url = reverse("admin:leads_lead_history", args=[lead.pk])
    assert admin_client_.get(url).status_code == 200
    foreign = factories.LeadFactory(owner_user=rep2)
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get(
        reverse("admin:leads_lead_history", args=[foreign.pk])
    ).status_code in (403, 404)
    assert Lead.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("kind", ["lead", "account", "contact", "opportunity"])
def test_record_without_history_rows_opens_for_managers(manager_client, manager, kind):
    """Records loaded in bulk (seed_demo, or older than the history) have no history
    rows: their pages open, and the Changes tab says there is nothing recorded."""
    factory = {
        "lead": factories.LeadFactory,
        "account": factories.AccountFactory,
        "contact": factories.ContactFactory,
        "opportunity": factories.OpportunityFactory,
    }[kind]
    record = factory(owner_user=manager)
    record.history.all().delete()
    response = manager_client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert "No change history for this record" in response.content.decode()


def test_creation_lists_the_values_it_set(rep):
    lead = create_lead(
        by=rep,
        assign_to_me=True,
        subject="40 bikes",
        last_name="Scully",
        company_name="FBI",
    )
    created = {c.field: (c.old, c.new) for c in field_changes(lead)}
    assert created["topic"] == ("(new record)", "40 bikes")
    assert created["company"] == ("(new record)", "FBI")
    assert all(old == "(new record)" for old, _ in created.values())


def test_first_row_of_an_older_record_says_earlier_values_were_not_recorded(rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Old")
    lead.history.all().delete()  # as if it existed before history was kept
    update_lead(lead=lead, by=rep, subject="New")
    topic = _changed(lead, "topic")
    assert [(c.old, c.new) for c in topic] == [("(not recorded)", "New")]


def test_version_is_not_listed_as_a_changed_field(rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    update_lead(lead=lead, by=rep, subject="After")
    assert _changed(lead, "topic")[0].new == "After"
    assert not [c for c in field_changes(lead) if c.field == "version"]


@pytest.mark.parametrize("kind", ["lead", "account", "contact", "opportunity"])
def test_a_save_that_changes_nothing_keeps_version_and_history(rep, kind):
    record, update = {
        "lead": (factories.LeadFactory, update_lead),
        "account": (factories.AccountFactory, update_account),
        "contact": (factories.ContactFactory, update_contact),
        "opportunity": (factories.OpportunityFactory, update_opportunity),
    }[kind]
    record = record(owner_user=rep)
    rows = record.history.count()
    version = record.version
    name = {"lead": "subject", "account": "name", "contact": "last_name"}.get(
        kind, "name"
    )
    same = getattr(record, name)
    update(**{kind: record, "by": rep, "expected_version": version, name: same})
    record.refresh_from_db()
    assert record.version == version
    assert record.history.count() == rows
