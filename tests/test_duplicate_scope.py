"""Duplicate checks see every record: a match the user may
open is shown and linked as before; one outside the user's scope says only that a
matching record exists, why, and who owns it. Constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Lead
from leads.selectors.duplicates import HiddenMatch, find_duplicate_leads
from leads.selectors.merge import merge_candidates
from leads.services.capture import flag_possible_duplicates
from tests import factories

pytestmark = pytest.mark.django_db


def new_lead(**overrides):
    data = {
        "subject": "Needs 20 seats",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@navy.example",
        "business_phone": "",
        "company_name": "Navy Labs",
        "preferred_contact_method": "1",
        "rating": "2",
    }
    data.update(overrides)
    return data


def managers_lead(manager, **fields):
    """A lead of the manager's, outside a rep's scope, with details a leak would
    show."""
    values = {
        "owner_user": manager,
        "email": "grace@navy.example",
        "first_name": "Wilhelmina",
        "last_name": "Quaintrelle",
        "company_name": "Obscura Holdings",
        "subject": "Confidential expansion",
        "business_phone": "+1 (415) 555-9941",
    }
    values.update(fields)
    return factories.LeadFactory(**values)


def test_create_warns_about_a_lead_outside_scope_naming_only_its_owner(
    rep_client, rep, manager
):
    theirs = managers_lead(manager)
    response = rep_client.post(reverse("leads:create"), new_lead())
    assert response.status_code == 200 and Lead.objects.count() == 1
    html = response.content.decode()
    assert (
        f"A matching lead (same email) exists, owned by {manager.get_full_name()}."
        in html
    )
    for detail in ["Wilhelmina", "Quaintrelle", "Obscura", "Confidential expansion"]:
        assert detail not in html
    assert theirs.get_absolute_url() not in html
    assert "ids=" not in html  # no merge link
    assert "Save anyway" in html
    response = rep_client.post(
        reverse("leads:create"), new_lead(confirm_duplicates="on")
    )
    assert response.status_code == 302 and Lead.objects.count() == 2


def test_a_team_owned_match_names_the_team(rep_client, rep2, org):
    team = factories.TeamFactory(name="Inside Sales South", business_unit=org.south)
    factories.LeadFactory(
        owner_user=None,
        owner_team=team,
        business_unit=org.south,
        email="grace@navy.example",
        company_name="Obscura Holdings",
    )
    html = rep_client.post(reverse("leads:create"), new_lead()).content.decode()
    assert "exists, owned by Inside Sales South." in html
    assert "Obscura" not in html


def test_create_still_links_a_match_in_scope(rep_client, rep, manager):
    mine = factories.LeadFactory(
        owner_user=rep, email="grace@navy.example", company_name="Mine Co"
    )
    managers_lead(manager)
    html = rep_client.post(reverse("leads:create"), new_lead()).content.decode()
    assert mine.get_absolute_url() in html and "Mine Co" in html
    assert "A matching lead (same email) exists, owned by" in html
    assert "Obscura" not in html


def test_edit_warns_about_a_phone_match_outside_scope(rep_client, rep, manager):
    lead = factories.LeadFactory(owner_user=rep, email="me@example.org")
    managers_lead(manager, email="")
    response = rep_client.post(
        reverse("leads:edit", args=[lead.pk]),
        new_lead(
            email="me@example.org",
            business_phone="415.555.9941",
            version=lead.version,
        ),
    )
    html = response.content.decode()
    assert "A matching lead (same phone) exists, owned by" in html
    assert "Obscura" not in html and "Quaintrelle" not in html


def test_the_manager_sees_the_reps_lead_linked(manager_client, rep, manager):
    reps = factories.LeadFactory(
        owner_user=rep, email="grace@navy.example", company_name="Reps Co"
    )
    html = manager_client.post(reverse("leads:create"), new_lead()).content.decode()
    assert reps.get_absolute_url() in html and "Reps Co" in html
    assert "A matching lead" not in html


def test_merge_offers_only_leads_in_scope(rep, manager):
    lead = factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    mine = factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    managers_lead(manager)
    assert [d.pk for d in merge_candidates(lead=lead, user=rep)] == [mine.pk]


def test_qualify_page_names_only_the_owner_of_a_customer_outside_scope(
    rep_client, rep, manager
):
    lead = factories.LeadFactory(
        owner_user=rep, email="ada@analytical.example", company_name="Analytical"
    )
    theirs = factories.AccountFactory(
        owner_user=manager, name="Zyxwv Holdings", email="ada@analytical.example"
    )
    contact = factories.ContactFactory(
        owner_user=manager,
        first_name="Obadiah",
        last_name="Quill",
        email="",
        business_phone="",
        mobile_phone=lead.business_phone,
    )
    response = rep_client.get(reverse("leads:qualify", args=[lead.pk]))
    html = response.content.decode()
    owner = manager.get_full_name()
    assert f"A matching account (same email) exists, owned by {owner}." in html
    assert f"A matching contact (same phone) exists, owned by {owner}." in html
    for detail in ["Zyxwv", "Obadiah", "Quill", theirs.get_absolute_url()]:
        assert detail not in html
    assert contact.get_absolute_url() not in html


def test_lead_page_flag_to_a_lead_outside_scope_names_only_its_owner(
    rep_client, rep, manager
):
    """Capture and import flag leads against every lead; the flagged lead's page
    keeps the flag to a lead its owner may not open, without its details."""
    theirs = managers_lead(manager)
    lead = factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    flag_possible_duplicates(lead=lead, origin="capture")
    html = rep_client.get(lead.get_absolute_url()).content.decode()
    assert "Possible duplicate" in html
    assert (
        f"A matching lead (same email) exists, owned by {manager.get_full_name()}."
        in html
    )
    assert theirs.get_absolute_url() not in html
    assert "Quaintrelle" not in html and "Obscura" not in html


def test_duplicate_check_runs_one_query_however_many_match(
    rep, manager, django_assert_num_queries
):
    def check():
        return find_duplicate_leads(
            user=rep,
            email="grace@navy.example",
            phone="4155559941",
            last_name="Hopper",
            company_name="Navy Labs",
        )

    check()  # the user's groups and teams are read once per request
    factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    managers_lead(manager)
    with django_assert_num_queries(1):
        few = check()
    for _ in range(6):
        factories.LeadFactory(owner_user=rep, business_phone="+1 415 555 9941")
        managers_lead(manager, email="", business_phone="", mobile_phone="4155559941")
        managers_lead(
            manager,
            email="",
            business_phone="",
            last_name="Hopper",
            company_name="Navy Labs",
        )
    with django_assert_num_queries(1):
        many = check()
    assert (few.count, many.count) == (2, 20)
    assert {m.reasons for m in many.elsewhere} == {
        ("same email", "same phone"),
        ("same phone",),
        ("same company and last name",),
    }
    assert all(isinstance(m, HiddenMatch) for m in many.elsewhere)


def _queries(client, url, data):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_create_page_with_duplicates_runs_the_same_queries_for_2_or_20(
    rep_client, rep, manager, django_assert_max_num_queries
):
    factories.LeadFactory(owner_user=rep, email="grace@navy.example")
    managers_lead(manager)
    few = _queries(rep_client, reverse("leads:create"), new_lead())
    for _ in range(9):
        factories.LeadFactory(owner_user=rep, email="grace@navy.example")
        managers_lead(manager)
    assert _queries(rep_client, reverse("leads:create"), new_lead()) == few
    with django_assert_max_num_queries(few):
        rep_client.post(reverse("leads:create"), new_lead())


def test_namesakes_at_other_companies_do_not_crowd_out_an_email_match(
    administrator, rep
):
    """Every lead is checked now: sixty newer leads of the same last name must not
    fill the candidate limit before the real (older) match."""
    match = factories.LeadFactory(
        owner_user=rep, last_name="Nobody", email="grace@navy.example"
    )
    for i in range(60):
        factories.LeadFactory(
            owner_user=rep, last_name="Hopper", company_name=f"Other {i}"
        )
    found = find_duplicate_leads(
        user=administrator,
        email="grace@navy.example",
        last_name="Hopper",
        company_name="Navy Labs",
    )
    assert [d.pk for d in found.leads] == [match.pk] and found.elsewhere == []
