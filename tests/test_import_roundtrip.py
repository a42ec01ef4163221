"""An exported file imports back unchanged: every exported field compared."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.exports import COLUMNS
from leads.models import Lead
from tests import factories
from tests.import_helpers import latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

COMPARED = [c.field for c in COLUMNS if c.field not in ("id", "owner", "state")]


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings):
    settings.TASKS = DATABASE_TASKS


def _full_lead(owner, campaign, **extra):
    return factories.LeadFactory(
        owner_user=owner,
        subject="=Bikes for 40 people",
        salutation="Dr.",
        first_name="Zoë",
        last_name="O'Brien, Jr.",
        job_title='Head of "Fleet"',
        email=extra.pop("email", "zoe@example.org"),
        business_phone="+1 555 0100",
        mobile_phone="-0170 123",
        company_name="Ærø; Cycles\nLtd",
        website="https://aero.example",
        industry=16,
        annual_revenue=Decimal("1234567.89"),
        number_of_employees=250,
        description="Line one\nline two, with comma",
        source=7,
        rating=1,
        campaign=campaign,
        budget_amount=Decimal("5000.00"),
        budget_status=2,
        purchase_timeframe=0,
        purchase_process=1,
        decision_maker=True,
        need=0,
        estimated_value=Decimal("42000.50"),
        estimated_close_date=datetime.date(2027, 3, 31),
        preferred_contact_method=2,
        do_not_email=True,
        do_not_bulk_email=False,
        do_not_phone=True,
        do_not_postal_mail=False,
        address_line1="@Main street 1",
        city="Zürich",
        state_or_province="ZH",
        postal_code="8000",
        country="Switzerland",
        **extra,
    )


def _snapshot(lead):
    return {name: getattr(lead, name) for name in COMPARED}


def _export(client):
    response = client.get("/leads/export/", {"view": "all"})
    return b"".join(response.streaming_content)


def _import(client, content, mode, name="leads.csv"):
    upload(client, SimpleUploadedFile(name, content))
    return start(client, latest_batch(), duplicate_mode=mode)


def test_reimporting_an_export_changes_nothing(manager_client, manager):
    campaign = factories.CampaignFactory(name="Spring fair")
    leads = [
        _full_lead(manager, campaign),
        factories.LeadFactory(owner_user=manager, last_name="Plain", subject="Minimal"),
    ]
    before = {lead.pk: _snapshot(lead) for lead in Lead.objects.all()}
    batch = _import(manager_client, _export(manager_client), "update")
    assert (batch.created_count, batch.updated_count, batch.failed_count) == (0, 0, 0)
    assert batch.skipped_count == len(leads)
    after = {lead.pk: _snapshot(lead) for lead in Lead.objects.all()}
    assert after == before


def test_export_imports_into_an_empty_list_with_every_field(
    manager_client, manager, direct_writes
):
    campaign = factories.CampaignFactory(name="Spring fair")
    original = _snapshot(_full_lead(manager, campaign))
    content = _export(manager_client)
    Lead.objects.all().delete()
    batch = _import(manager_client, content, "skip")
    assert batch.created_count == 1, list(batch.rows.values_list("message", flat=True))
    assert _snapshot(Lead.objects.get()) == original


def test_export_as_xlsx_imports_back(manager_client, manager, direct_writes):
    campaign = factories.CampaignFactory(name="Spring fair")
    original = _snapshot(_full_lead(manager, campaign))
    response = manager_client.get("/leads/export/", {"view": "all", "format": "xlsx"})
    content = b"".join(response.streaming_content)
    Lead.objects.all().delete()
    _import(manager_client, io.BytesIO(content).read(), "skip", name="leads.xlsx")
    assert _snapshot(Lead.objects.get()) == original


def test_a_campaign_whose_name_a_spreadsheet_would_run_imports_back(
    manager_client, manager, direct_writes
):
    """The export guards "=Promo" as "'=Promo"; the campaign lookup strips the
    guard again, as every other text cell's import does."""
    campaign = factories.CampaignFactory(name="=Promo")
    factories.LeadFactory(owner_user=manager, campaign=campaign, last_name="Guarded")
    content = _export(manager_client)
    assert b"'=Promo" in content
    Lead.objects.all().delete()
    batch = _import(manager_client, content, "skip")
    assert (batch.created_count, batch.failed_count) == (1, 0), list(
        batch.rows.values_list("message", flat=True)
    )
    assert Lead.objects.get().campaign == campaign
