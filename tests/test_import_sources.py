"""Imports of the exports of the systems people leave:
Salesforce, Dynamics 365, HubSpot and Odoo files, shaped as those products write
them (tests/import_files.py), go to the mapping page instead of being refused, map
their headers and values by themselves, match owners, keep the original creation
dates and the source record IDs."""

import datetime

import pytest
from django.utils import timezone

from leads.models import (
    ImportBatch,
    ImportStatus,
    Lead,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
)
from leads.reports import source_performance_report
from tests import import_files
from tests.import_helpers import latest_batch, start, upload
from tests.support import user_in
from tests.task_worker import DATABASE_TASKS


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def people(manager, org):
    """The manager is Mia Meyer; Rex Rep works in her unit; Sam South in another."""
    manager.first_name, manager.last_name = "Mia", "Meyer"
    manager.save()
    rex = user_in(
        "Sales rep",
        username="rex",
        first_name="Rex",
        last_name="Rep",
        email="rex@example.org",
        business_unit=org.north,
    )
    south = user_in(
        "Sales rep",
        username="sam",
        first_name="Jon",
        last_name="Snow",
        business_unit=org.south,
    )
    return type("People", (), {"mia": manager, "rex": rex, "south": south})


def _local(*args):
    return timezone.make_aware(datetime.datetime(*args))


def test_salesforce_report_is_mapped_not_refused(manager_client, people):
    response = upload(manager_client, import_files.salesforce_report_csv())
    assert response.status_code == 302
    batch = latest_batch()
    assert batch.status == ImportStatus.MAPPING, batch.refusal
    assert batch.source_system == "salesforce"
    mapped = {batch.headers[int(i)]: target for i, target in batch.mapping.items()}
    assert mapped == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "job_title",
        "Company": "company_name",
        "Email": "email",
        "Phone": "business_phone",
        "Mobile": "mobile_phone",
        "Lead Source": "source",
        "Lead Status": "status",
        "Rating": "rating",
        "Industry": "industry",
        "No. of Employees": "number_of_employees",
        "Annual Revenue": "annual_revenue",
        "Lead Owner": "owner",
        "Created Date": "created_at",
    }
    # No Topic column: the mapping page proposes the company as the topic.
    assert batch.fills == {"subject": "{company_name}"}
    page = manager_client.get(f"/leads/import/{batch.pk}/")
    html = page.content.decode()
    assert "recognised as a Salesforce export" in html
    assert 'value="{company_name}"' in html
    preview = page.context["preview"]
    assert preview.invalid == []
    assert [r.lead.subject for r in preview.sample] == [
        "Analytical Engines Ltd",
        "Cobol Systems",
        "Enigma Labs",
    ]
    # Owners: by full name or email among the users the manager may give leads to.
    assert preview.owner_list == [
        ("Jon Snow", 1, None),
        ("Mia Meyer", 1, people.mia),
        ("rex@example.org", 1, people.rex),
    ]
    assert preview.unknown_list == [
        ("Industry", "Biotechnology", 1, "no industry"),
        ("Lead Source", "Carrier Pigeon", 1, "no source"),
    ]


def test_salesforce_report_imports_values_owners_and_dates(manager_client, people, org):
    upload(manager_client, import_files.salesforce_report_csv())
    batch = start(manager_client, latest_batch())
    assert (batch.created_count, batch.failed_count) == (3, 0)
    ada, grace, alan = (
        Lead.objects.get(last_name=n) for n in ("Lovelace", "Hopper", "Turing")
    )
    assert ada.subject == "Analytical Engines Ltd"
    assert (ada.status, ada.source, ada.rating) == (
        LeadStatus.NEW,
        LeadSource.WEB,
        LeadRating.HOT,
    )
    assert ada.annual_revenue == 1200000
    assert ada.industry == 12  # Electronics → Durable Manufacturing
    assert (grace.status, grace.source) == (LeadStatus.CONTACTED, LeadSource.PARTNER)
    assert (alan.status, alan.state) == (LeadStatus.LOST, LeadState.DISQUALIFIED)
    assert (alan.source, alan.industry) == (None, None)
    # Matched owners get their leads; the unmatched one falls back to the batch's
    # choice (here: routed, no rules → the unit's default owner, the importer).
    assert ada.owner_user == people.mia
    assert grace.owner_user == people.rex
    assert grace.business_unit == org.north
    assert alan.owner_user == people.mia
    # The source report's history stays true: the original creation times.
    assert ada.created_at == _local(2023, 3, 14, 10, 15)
    assert grace.created_at == _local(2023, 3, 14, 16, 40)
    assert alan.created_at == _local(2023, 3, 15, 9, 5)


def test_imported_leads_count_on_their_original_day_in_the_source_report(
    manager_client, people
):
    upload(manager_client, import_files.salesforce_report_csv())
    start(manager_client, latest_batch())
    day = datetime.date(2023, 3, 14)
    report = source_performance_report(
        user=people.mia, created_from=day, created_to=day
    )
    straight = source_performance_report(
        user=people.mia, created_from=day, created_to=day, straight=True
    )
    assert report.total.sums["created"] == 2 == straight.total.sums["created"]
    today = timezone.localdate()
    assert (
        source_performance_report(
            user=people.mia, created_from=today, created_to=today
        ).total.sums["created"]
        == 0
    )


def test_salesforce_data_export_keeps_the_record_id(manager_client, people):
    upload(manager_client, import_files.salesforce_data_export_csv())
    batch = latest_batch()
    assert batch.source_system == "salesforce"
    targets = {batch.headers[int(i)]: t for i, t in batch.mapping.items()}
    assert targets["Id"] == "external_id"
    assert targets["Status"] == "status"
    assert "OwnerId" not in targets
    batch = start(manager_client, batch)
    lead = Lead.objects.get()
    assert (lead.external_system, lead.external_id) == (
        "salesforce",
        "00Q5g00000AbCdEAAZ",
    )
    assert (lead.first_name, lead.last_name, lead.salutation) == (
        "Ada",
        "Lovelace",
        "Ms.",
    )
    assert lead.created_at == datetime.datetime(2023, 3, 14, 9, 15, tzinfo=datetime.UTC)


def test_d365_export_to_excel_maps_name_owner_and_guid(manager_client, people):
    upload(manager_client, import_files.d365_xlsx())
    batch = latest_batch()
    assert batch.status == ImportStatus.MAPPING, batch.refusal
    assert batch.source_system == "d365"
    targets = {batch.headers[int(i)]: t for i, t in batch.mapping.items()}
    assert targets == {
        "(Do Not Modify) Lead": "external_id",
        "Name": "full_name",
        "Topic": "subject",
        "Status Reason": "status",
        "Created On": "created_at",
        "Company Name": "company_name",
        "Business Phone": "business_phone",
        "Email": "email",
        "Owner": "owner",
        "Lead Source": "source",
        "Rating": "rating",
    }
    assert batch.fills == {}
    batch = start(manager_client, batch)
    assert batch.created_count == 2
    max_, nora = Lead.objects.order_by("created_at")
    assert (max_.first_name, max_.last_name) == ("Max", "Meyer")  # "Last, First"
    assert (nora.first_name, nora.last_name) == ("Nora", "Nilsen")
    assert max_.external_id == "8b6d3f4e-2c1a-ee11-9966-000d3a4f1b21"
    assert nora.external_id == "0f4e1b22-2c1a-ee11-9966-000d3a4f1b21"
    assert {max_.external_system, nora.external_system} == {"d365"}
    assert (max_.owner_user, nora.owner_user) == (people.mia, people.rex)
    assert (nora.status, nora.source, nora.rating) == (
        LeadStatus.CONTACTED,
        LeadSource.WEB,
        LeadRating.HOT,
    )
    assert max_.created_at == _local(2023, 3, 14, 9, 30)


def test_second_import_of_a_d365_export_updates_by_record_id(manager_client, people):
    upload(manager_client, import_files.d365_xlsx())
    start(manager_client, latest_batch())
    first = {lead.external_id: lead.pk for lead in Lead.objects.all()}
    # The same file again: every row matches its lead by the GUID (the emails too
    # would, but the second file has new ones): skipped, nothing duplicated.
    rows = [list(r) for r in import_files.D365_ROWS]
    for row in rows:
        row[9] = "changed-" + row[9]
    upload(manager_client, import_files.d365_xlsx(rows=rows))
    batch = start(manager_client, latest_batch(), duplicate_mode="skip")
    assert (batch.created_count, batch.skipped_count) == (0, 2)
    # Edited in D365 and exported again: updated, still two leads.
    upload(manager_client, import_files.d365_xlsx(rows=rows, topic_suffix=" (revised)"))
    batch = start(manager_client, latest_batch(), duplicate_mode="update")
    assert (batch.created_count, batch.updated_count) == (0, 2)
    assert Lead.objects.count() == 2
    for lead in Lead.objects.all():
        assert first[lead.external_id] == lead.pk
        assert lead.subject.endswith(" (revised)")
        assert lead.email.startswith("changed-")


def test_hubspot_contacts_export(manager_client, people):
    upload(manager_client, import_files.hubspot_csv())
    batch = latest_batch()
    assert batch.source_system == "hubspot"
    targets = {batch.headers[int(i)]: t for i, t in batch.mapping.items()}
    assert targets["Record ID"] == "external_id"
    assert targets["Phone Number"] == "business_phone"
    assert targets["Original Source"] == "source"
    assert targets["Contact owner"] == "owner"
    assert targets["Create Date"] == "created_at"
    assert batch.fills == {"subject": "{company_name}"}
    # Ina has no company: a template that gives nothing is said so in the preview.
    preview = manager_client.get(f"/leads/import/{batch.pk}/").context["preview"]
    assert preview.invalid == [
        (3, "Topic", "Empty, and '{company_name}' gives no text for this row.")
    ]
    # The manager picks a template that always gives a topic.
    batch = start(
        manager_client,
        batch,
        fill_subject="{first_name} {last_name} – {company_name}",
    )
    assert (batch.created_count, batch.failed_count) == (2, 0)
    hugo = Lead.objects.get(last_name="Hub")
    ina = Lead.objects.get(last_name="Inbound")
    assert hugo.subject == "Hugo Hub – Spoke Inc"
    assert ina.subject == "Ina Inbound"
    assert (hugo.status, hugo.source) == (LeadStatus.CONTACTED, LeadSource.WEB)
    assert (ina.status, ina.source) == (LeadStatus.CONTACTED, LeadSource.OTHER)
    assert (hugo.external_system, hugo.external_id) == ("hubspot", "51")
    assert hugo.owner_user == people.mia
    assert hugo.created_at == _local(2023, 3, 14, 10, 15)


def test_odoo_leads_export(manager_client, people):
    upload(manager_client, import_files.odoo_csv())
    batch = latest_batch()
    assert batch.source_system == "odoo"
    targets = {batch.headers[int(i)]: t for i, t in batch.mapping.items()}
    assert targets == {
        "Opportunity": "subject",
        "Contact Name": "full_name",
        "Company Name": "company_name",
        "Email": "email",
        "Phone": "business_phone",
        "Salesperson": "owner",
        "Source": "source",
        "Stage": "status",
        "Priority": "rating",
        "Created on": "created_at",
    }
    batch = start(manager_client, batch)
    assert batch.created_count == 2
    olga = Lead.objects.get(email="olga@chairs.example")
    pete = Lead.objects.get(email="pete@desks.example")
    assert (olga.subject, olga.first_name, olga.last_name) == (
        "Office chairs for 12",
        "Olga",
        "Odoo",
    )
    assert (pete.first_name, pete.last_name) == ("", "Pete")
    assert (olga.status, olga.rating, olga.source) == (
        LeadStatus.QUALIFIED,
        LeadRating.HOT,
        LeadSource.ADVERTISEMENT,
    )
    assert (pete.status, pete.rating, pete.source) == (
        LeadStatus.NEW,
        LeadRating.COLD,
        LeadSource.WEB,
    )
    assert olga.created_at == _local(2023, 3, 14, 10, 15)


def test_file_without_topic_or_last_name_columns_waits_for_a_choice(
    manager_client, manager
):
    """Missing required columns are a mapping choice, not a refusal: the page
    proposes what it can and asks for the rest."""
    text = "Email,Phone\nx@example.org,123\n"
    upload(
        manager_client,
        import_files._csv([*(r.split(",") for r in text.split())], "x.csv"),
    )
    batch = latest_batch()
    assert batch.status == ImportStatus.MAPPING
    assert batch.fills == {"subject": "Imported lead"}
    data = {f"col_{i}": t for i, t in batch.mapping.items()}
    data.update(duplicate_mode="skip", action="start", fill_subject="Imported lead")
    response = manager_client.post(f"/leads/import/{batch.pk}/", data)
    assert response.status_code == 200
    assert "Map a column to Last Name, or give a text or template here" in (
        response.content.decode()
    )
    data.update(fill_last_name="Unknown", fill_subject="Call {email}")
    start(manager_client, batch, fill_last_name="Unknown", fill_subject="Call {email}")
    lead = Lead.objects.get()
    assert (lead.subject, lead.last_name) == ("Call x@example.org", "Unknown")


def test_a_template_naming_no_field_is_refused(manager_client, manager):
    upload(manager_client, import_files.hubspot_csv())
    batch = latest_batch()
    data = {f"col_{i}": t for i, t in batch.mapping.items()}
    data.update(duplicate_mode="skip", action="start", fill_subject="{compnay}")
    response = manager_client.post(f"/leads/import/{batch.pk}/", data)
    assert "the template names no lead field {compnay}" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.MAPPING


def test_a_created_date_in_the_future_fails_the_row(manager_client, manager):
    text = "Topic,Last Name,Created On\nA,Past,2023-03-14\nB,Future,2999-01-01\n"
    upload(
        manager_client,
        import_files._csv([r.split(",") for r in text.split("\n") if r], "f.csv"),
    )
    batch = start(manager_client, latest_batch())
    assert (batch.created_count, batch.failed_count) == (1, 1)
    assert "'2999-01-01' is in the future." in batch.rows.get(line=3).message
    assert ImportBatch.objects.count() == 1


def test_a_salesforce_classic_report_footer_is_no_data(manager_client, people):
    """Salesforce Classic's "Export Details" CSV ends with a blank line and the
    report's name, copyright, confidentiality and "Generated By" lines: those are
    no rows to import (nor to count on the start button)."""
    rows = import_files.salesforce_report_rows() + [
        [""],
        ["Lead Report"],
        ["Copyright (c) 2000-2023 salesforce.com, inc. All rights reserved."],
        ["Confidential Information - Do Not Distribute"],
        ["Generated By:  Mia Meyer  3/20/2023 9:12 AM"],
        ["Contoso Ltd"],
    ]
    upload(manager_client, import_files._csv(rows, "report.csv", quote_all=True))
    batch = latest_batch()
    assert batch.total_rows == 3
    response = manager_client.get(f"/leads/import/{batch.pk}/")
    assert response.context["preview"].invalid == []
    assert "Start import of 3 rows</button>" in response.content.decode()
    batch = start(manager_client, batch)
    assert (batch.created_count, batch.failed_count) == (3, 0)


def test_update_keeps_the_existing_topic_over_a_filled_one(manager_client, people):
    """A Topic the mapping page made up (here from the company) is for new leads:
    an existing lead matched by email keeps its own."""
    from tests import factories

    existing = factories.LeadFactory(
        owner_user=people.mia,
        email="ada@engines.example",
        subject="Engines for 2024",
        job_title="",
    )
    upload(manager_client, import_files.salesforce_report_csv())
    batch = start(manager_client, latest_batch(), duplicate_mode="update")
    assert (batch.created_count, batch.updated_count) == (2, 1)
    existing.refresh_from_db()
    assert (existing.subject, existing.job_title) == ("Engines for 2024", "CTO")


def test_odoo_xlsx_export(manager_client, people):
    upload(manager_client, import_files.odoo_xlsx())
    batch = start(manager_client, latest_batch())
    assert (batch.source_system, batch.created_count) == ("odoo", 1)
    olga = Lead.objects.get()
    assert (olga.status, olga.rating, olga.owner_user) == (
        LeadStatus.QUALIFIED,
        LeadRating.HOT,
        people.mia,
    )
    assert olga.created_at == _local(2023, 3, 14, 10, 15)
