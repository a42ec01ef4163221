"""Phone numbers match by their digits: the generated
*_digits columns stay right on every write path, and the lead list, the global
search and the duplicate checks find a number whatever its formatting."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Account, Contact
from leads.models import Lead
from leads.selectors.duplicates import find_duplicate_leads
from leads.selectors.search import global_search
from leads.services.lifecycle import create_lead, update_lead
from leads.services.merge import merge_leads
from leads.services.qualification import qualify_lead
from leadsite.core.phones import phone_digits, same_number
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

pytestmark = pytest.mark.django_db

# One number, as people type it.
FORMATS = ["+1 (415) 555-9941", "415.555.9941", "4155559941", "1-415-555-9941"]
# What the phone fields accept (leads.forms.lifecycle.phone_validator) and its digits.
# Leading zeros (a trunk "0", an international "00") are not kept: national and
# international forms then end alike.
ACCEPTED = [
    ("+1 (415) 555-9941", "14155559941"),
    ("415.555.9941", "4155559941"),
    ("020 5555 0101", "2055550101"),
    ("+44 20/5555-0101", "442055550101"),
    ("0044 20 5555 0101", "442055550101"),
    ("(030) 1234 5678 x12", "3012345678"),
    ("030 1234 5678 ext. 12", "3012345678"),
    ("030-1234-5678 Ext 3", "3012345678"),
    ("", ""),
]


def _digits_in_db(model, pk, *names):
    return model.objects.filter(pk=pk).values_list(*names).get()


# --- the generated columns ----------------------------------------------------------


@pytest.mark.parametrize(("typed", "digits"), ACCEPTED)
def test_generated_digits_are_the_numbers_digits_on_this_database(rep, typed, digits):
    """The database's expression (regexp on PostgreSQL, REPLACEs on SQLite) agrees
    with leadsite.core.phones.phone_digits for everything the phone fields accept."""
    lead = factories.LeadFactory(owner_user=rep, business_phone=typed, mobile_phone="")
    assert phone_digits(typed) == digits
    assert _digits_in_db(
        Lead, lead.pk, "business_phone_digits", "mobile_phone_digits"
    ) == (digits, "")


def test_digits_follow_create_update_and_merge(rep):
    lead = create_lead(
        by=rep,
        subject="Seats",
        last_name="Hopper",
        business_phone="+1 (415) 555-9941",
        mobile_phone="415.555.7700 x3",
    )
    assert _digits_in_db(
        Lead, lead.pk, "business_phone_digits", "mobile_phone_digits"
    ) == ("14155559941", "4155557700")
    update_lead(lead=lead, by=rep, business_phone="020 5555 0101", mobile_phone="")
    assert _digits_in_db(
        Lead, lead.pk, "business_phone_digits", "mobile_phone_digits"
    ) == ("2055550101", "")
    other = factories.LeadFactory(owner_user=rep, business_phone="(030) 1234-5678")
    merge_leads(
        master=lead,
        subordinate=other,
        by=rep,
        field_values={"business_phone": other.business_phone},
    )
    assert _digits_in_db(Lead, lead.pk, "business_phone_digits") == ("3012345678",)


def test_qualification_gives_the_account_and_contact_their_digits(rep):
    lead = factories.LeadFactory(
        owner_user=rep,
        company_name="Analytical Engines",
        business_phone="+44 (20) 5555-0101",
        mobile_phone="07700 900123",
    )
    result = qualify_lead(lead=lead, by=rep)
    assert _digits_in_db(Account, result.account.pk, "phone_digits") == (
        "442055550101",
    )
    assert _digits_in_db(
        Contact, result.contact.pk, "business_phone_digits", "mobile_phone_digits"
    ) == ("442055550101", "7700900123")


def test_account_and_contact_services_keep_the_digits(rep):
    account = account_services.create_account(
        owner_user=rep, name="Fabrikam", phone="+1 (415) 555-9941"
    )
    assert _digits_in_db(Account, account.pk, "phone_digits") == ("14155559941",)
    account_services.update_account(account=account, by=rep, phone="415.555.0000")
    assert _digits_in_db(Account, account.pk, "phone_digits") == ("4155550000",)


def test_imported_leads_have_their_digits(manager_client, manager, settings):
    """Imports insert new leads in bulk (bulk_create): the database fills the
    column there too."""
    settings.TASKS = DATABASE_TASKS
    text = (
        "subject,lastname,emailaddress1,telephone1,mobilephone\n"
        "Seats,Turing,alan@example.org,+44 (20) 5555-0101,07700.900.123\n"
        "Desks,Hopper,grace@example.org,1-415-555-9941,\n"
    )
    upload(manager_client, csv_upload(text))
    batch = start(manager_client, latest_batch())
    assert batch.created_count == 2
    rows = {
        last: (phone, mobile)
        for last, phone, mobile in Lead.objects.values_list(
            "last_name", "business_phone_digits", "mobile_phone_digits"
        )
    }
    assert rows == {
        "Turing": ("442055550101", "7700900123"),
        "Hopper": ("14155559941", ""),
    }


def test_seed_demo_writes_rows_whose_digits_the_database_computed():
    """seed_demo writes plain rows (COPY on PostgreSQL): the generated columns are
    left to the database, and right."""
    call_command("seed_demo", stdout=io.StringIO(), leads=60, seed=3)
    leads = list(
        Lead.objects.values_list(
            "business_phone",
            "business_phone_digits",
            "mobile_phone",
            "mobile_phone_digits",
        )
    )
    assert len(leads) >= 60
    assert any(phone for phone, *_ in leads)
    for phone, digits, mobile, mobile_digits in leads:
        assert (digits, mobile_digits) == (phone_digits(phone), phone_digits(mobile))
    for phone, digits in Account.objects.values_list("phone", "phone_digits"):
        assert digits == phone_digits(phone)
    for phone, digits in Contact.objects.values_list(
        "business_phone", "business_phone_digits"
    ):
        assert digits == phone_digits(phone)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("14155559941", "4155559941", True),
        ("4155559941", "4155559941", True),
        ("5559941", "14155559941", True),  # seven digits: a local number
        ("559941", "14155559941", False),  # too short to say
        ("4155559942", "14155559941", False),
        ("", "", False),
    ],
)
def test_same_number(a, b, same):
    assert same_number(a, b) is same


# --- the lead list, the global search and the duplicate check -----------------------


@pytest.mark.parametrize("stored", FORMATS)
@pytest.mark.parametrize("typed", FORMATS)
def test_lead_list_finds_a_phone_number_in_any_formatting(
    manager_client, manager, stored, typed
):
    lead = factories.LeadFactory(owner_user=manager, business_phone=stored)
    factories.LeadFactory(owner_user=manager, business_phone="+1 415 555 9942")
    response = manager_client.get(reverse("leads:list"), {"view": "all", "q": typed})
    assert [row.pk for row in response.context["leads"]] == [lead.pk]


def test_lead_list_finds_the_mobile_number_and_part_of_a_number(
    manager_client, manager
):
    lead = factories.LeadFactory(
        owner_user=manager, business_phone="", mobile_phone="+44 7700 900-123"
    )
    for typed in ["07700 900123", "7700900123", "7700 900"]:
        response = manager_client.get(
            reverse("leads:list"), {"view": "all", "q": typed}
        )
        assert [row.pk for row in response.context["leads"]] == [lead.pk], typed


@pytest.mark.parametrize("stored", FORMATS)
@pytest.mark.parametrize("typed", FORMATS)
def test_global_search_finds_a_phone_number_in_any_formatting(rep, stored, typed):
    lead = factories.LeadFactory(owner_user=rep, business_phone=stored)
    account = factories.AccountFactory(owner_user=rep, phone=stored)
    contact = factories.ContactFactory(
        owner_user=rep, business_phone="", mobile_phone=stored
    )
    groups = {g.kind: g for g in global_search(user=rep, q=typed).groups}
    assert [row.pk for row in groups["lead"].rows] == [lead.pk]
    assert [row.pk for row in groups["account"].rows] == [account.pk]
    assert [row.pk for row in groups["contact"].rows] == [contact.pk]


def test_search_page_and_its_more_link_find_the_number(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, business_phone="+1 (415) 555-9941")
    html = rep_client.get(reverse("leads:search"), {"q": "4155559941"}).content.decode()
    assert lead.get_absolute_url() in html
    more = rep_client.get(reverse("leads:list"), {"view": "all", "q": "4155559941"})
    assert [row.pk for row in more.context["leads"]] == [lead.pk]


@pytest.mark.parametrize("stored", FORMATS)
@pytest.mark.parametrize("typed", FORMATS)
def test_duplicate_check_matches_a_phone_number_in_any_formatting(rep, stored, typed):
    lead = factories.LeadFactory(owner_user=rep, business_phone="", mobile_phone=stored)
    factories.LeadFactory(owner_user=rep, business_phone="+1 415 555 9942")
    found = find_duplicate_leads(user=rep, phone=typed)
    assert [(d.pk, d.duplicate_reasons) for d in found.leads] == [
        (lead.pk, ["same phone"])
    ]


def test_create_form_warns_about_the_same_number_typed_differently(rep_client, rep):
    existing = factories.LeadFactory(
        owner_user=rep, email="", business_phone="+1 (415) 555-9941"
    )
    response = rep_client.post(
        reverse("leads:create"),
        {
            "subject": "Seats",
            "last_name": "Someone",
            "business_phone": "415.555.9941",
            "preferred_contact_method": "1",
            "rating": "2",
        },
    )
    html = response.content.decode()
    assert "Possible duplicate" in html and existing.get_absolute_url() in html
    assert Lead.objects.count() == 1


def test_accounts_and_contacts_lists_find_a_phone_number_in_any_formatting(
    rep_client, rep
):
    account = factories.AccountFactory(owner_user=rep, phone="+1 (415) 555-9941")
    contact = factories.ContactFactory(
        owner_user=rep, business_phone="415.555.9941", mobile_phone=""
    )
    response = rep_client.get(reverse("accounts:account-list"), {"q": "4155559941"})
    assert account.name in response.content.decode()
    response = rep_client.get(
        reverse("accounts:contact-list"), {"q": "+1 415 555 9941"}
    )
    assert contact.last_name in response.content.decode()


def test_capture_flags_the_same_number_typed_differently(rep):
    from leads.services.capture import find_existing_matches

    lead = factories.LeadFactory(owner_user=rep, business_phone="+1 (415) 555-9941")
    contact = factories.ContactFactory(owner_user=rep, business_phone="415.555.9941")
    leads, contacts = find_existing_matches(email="", phone="4155559941")
    assert ([x.pk for x in leads], [x.pk for x in contacts]) == (
        [lead.pk],
        [contact.pk],
    )


# --- PostgreSQL: the lookups use the indexes ---------------------------------------


def _plan(queryset):
    with transaction.atomic(), connection.cursor() as cursor:
        # An empty test table makes any plan cheap: leave only bitmap scans.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.explain()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)
@pytest.mark.parametrize("column", ["business_phone_digits", "mobile_phone_digits"])
def test_phone_lookups_use_the_digit_indexes_on_postgresql(column):
    contains = Lead.objects.filter(**{f"{column}__contains": "4155559941"}).order_by()
    assert f"lead_{column}_trgm" in _plan(contains)
    ends = Lead.objects.filter(**{f"{column}__endswith": "4155559941"}).order_by()
    assert f"lead_{column}_trgm" in _plan(ends)
    equal = Lead.objects.filter(**{f"{column}__in": ["4155559941"]}).order_by()
    index = {"business_phone_digits": "lead_phone_digits"}.get(
        column, "lead_mobile_digits"
    )
    plan = _plan(equal)
    assert index in plan or f"lead_{column}_trgm" in plan


def test_a_query_of_zeros_searches_names_not_numbers(rep):
    """Leading zeros are not part of a number: "0000" has no digits to look for."""
    groups = {g.kind: g for g in global_search(user=rep, q="0000").groups}
    assert groups["lead"].rows == []
