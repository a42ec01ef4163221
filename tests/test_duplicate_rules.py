"""Duplicate rules: each way of comparing, AND, closed records, business units,
the block/warn/allow actions on every way in (lead form create and edit, capture,
import, API), the rule editor's rights, and the scan's groups with merge links."""

import importlib
import json
import math

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from leads.models import (
    DuplicateAction,
    DuplicateGroup,
    DuplicateRule,
    DuplicateScan,
    ImportRow,
    Lead,
    PossibleDuplicate,
    ScanStatus,
)
from leads.models.duplicates import DEFAULT_RULES
from leads.selectors.duplicate_rules import (
    FUZZY_SKIPPED,
    check_lead_duplicates,
    published_rules,
)
from leads.services.duplicates import save_duplicate_rule
from tests import factories
from tests.import_helpers import csv_upload, latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

POSTGRES = connection.vendor == "postgresql"


def _rule(by, *conditions, action=DuplicateAction.BLOCK, **fields):
    """Only this rule (and those made after it) is checked."""
    return save_duplicate_rule(
        by=by,
        conditions=[
            {"field": f, "method": m, "parameter": p} for f, m, p in conditions
        ],
        name=fields.pop("name", "the rule"),
        action=action,
        is_published=True,
        **fields,
    )


@pytest.fixture
def only(administrator):
    """A function that replaces every rule by the given one."""

    def make(*conditions, **fields):
        DuplicateRule.objects.all().delete()
        return _rule(administrator, *conditions, **fields)

    return make


def _check(fields, **kwargs):
    return check_lead_duplicates(user=None, fields=fields, **kwargs)


# --- the rule types ------------------------------------------------------------------


METHODS = [
    ("last_name", "exact", None, "Scully", "Scully", "scully"),
    ("last_name", "iexact", None, "Scully", "SCULLY", "Scullyx"),
    ("email", "email", None, "dana@example.org", " Dana@Example.ORG ", "dana@ex.org"),
    ("phone", "phone", None, "415.555.9941", "+1 (415) 555-9941", "415 555 9942"),
    ("company_name", "company", None, "Contoso, Ltd.", "the contoso", "Contoso Bank"),
    ("last_name", "prefix", 4, "Scully", "Sculpture", "Scalpel"),
    ("first_name", "exact", None, "Dana", "Dana", "Dan"),
    ("subject", "iexact", None, "40 bikes", "40 BIKES", "41 bikes"),
]


@pytest.mark.parametrize(
    ("name", "method", "parameter", "stored", "same", "other"), METHODS
)
def test_each_rule_type_matches_what_it_says(
    only, rep, name, method, parameter, stored, same, other
):
    column = "business_phone" if name == "phone" else name
    existing = factories.LeadFactory(owner_user=rep, **{column: stored})
    only((name, method, parameter))
    found = _check({column: same})
    assert found.blocked and [lead.pk for lead in found.leads] == [existing.pk]
    assert found.leads[0].duplicate_reasons == ["the rule"]
    assert not _check({column: other})
    assert not _check({column: ""})


@pytest.mark.skipif(not POSTGRES, reason="similarity needs PostgreSQL with pg_trgm")
def test_fuzzy_rule_matches_by_trigram_similarity(only, rep):
    existing = factories.LeadFactory(
        owner_user=rep, company_name="Contoso Pharmaceuticals"
    )
    only(("company_name", "fuzzy", 0.6))
    found = _check({"company_name": "Contoso Pharmaceutical"})
    assert found.blocked and found.leads == [existing]
    assert not _check({"company_name": "Fabrikam Pharma"})
    assert not _check({"company_name": "Contoso"})  # similarity ≈ 0.35


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no trigram similarity")
def test_fuzzy_candidates_come_from_the_index_at_the_rule_s_similarity(only, rep):
    """The trigram index is asked at the rule's similarity, not pg_trgm's 0.3 (at
    ten million leads an unknown company's check read 357 ms of leads sharing a
    word, 0.8 ms at 0.7); a lead exactly at the similarity still matches, and the
    setting ends with the check (SET LOCAL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity('CONTOSO PHARMA', 'CONTOSO PHARMACY')")
        at = math.floor(cursor.fetchone()[0] * 100) / 100  # a rule keeps two places
    existing = factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmacy")
    only(("company_name", "fuzzy", at))
    with CaptureQueriesContext(connection) as queries:
        found = _check({"company_name": "Contoso Pharma"})
    assert found.leads == [existing]
    sql = [q["sql"] for q in queries.captured_queries]
    setting = next(n for n, q in enumerate(sql) if f"'{at - 1e-6}'" in q)
    candidates = next(n for n, q in enumerate(sql) if "similarity(" in q)
    assert "set_config('pg_trgm.similarity_threshold'" in sql[setting]
    assert setting < candidates
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_limit()")
        assert cursor.fetchone()[0] == pytest.approx(0.3)
    only(("company_name", "fuzzy", 0.9))
    assert not _check({"company_name": "Contoso Pharma"})


@pytest.mark.skipif(POSTGRES, reason="SQLite has no trigram similarity")
def test_fuzzy_rule_is_skipped_with_a_note_where_the_database_cannot(
    only, rep, admin_client_
):
    factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmaceuticals")
    only(("company_name", "fuzzy", 0.6), name="similar company")
    found = _check({"company_name": "Contoso Pharmaceuticals"})
    assert not found and found.skipped == ["similar company"]
    page = admin_client_.get("/duplicates/").content.decode()
    assert FUZZY_SKIPPED in page


def test_conditions_are_joined_by_and(only, rep):
    existing = factories.LeadFactory(
        owner_user=rep, last_name="Hopper", company_name="Navy Labs Inc."
    )
    only(("last_name", "iexact", None), ("company_name", "company", None))
    assert _check({"last_name": "hopper", "company_name": "Navy Labs"}).leads == [
        existing
    ]
    assert not _check({"last_name": "Hopper", "company_name": "Army Labs"})
    assert not _check({"last_name": "Lovelace", "company_name": "Navy Labs"})


def test_exclude_closed_compares_only_with_open_leads(only, rep):
    factories.LeadFactory(owner_user=rep, email="old@example.org", disqualified=True)
    only(("email", "email", None), exclude_closed=True)
    assert not _check({"email": "old@example.org"})
    only(("email", "email", None), exclude_closed=False)
    assert _check({"email": "old@example.org"}).blocked


def test_a_unit_rule_checks_only_that_unit_and_below(only, rep, manager, org):
    factories.LeadFactory(owner_user=rep, email="x@example.org")
    north_east = factories.BusinessUnitFactory(name="North East", parent=org.north)
    only(("email", "email", None), business_unit=org.north)
    assert _check({"email": "x@example.org"}, business_unit_id=north_east.pk).blocked
    assert not _check({"email": "x@example.org"}, business_unit_id=org.south.pk)


def test_strongest_action_wins_and_allow_checks_nothing(only, administrator, rep):
    factories.LeadFactory(owner_user=rep, email="x@example.org", last_name="Ray")
    only(("email", "email", None), action=DuplicateAction.WARN)
    assert _check({"email": "x@example.org"}).warned
    _rule(administrator, ("last_name", "exact", None), name="name")
    assert _check({"email": "x@example.org", "last_name": "Ray"}).blocked
    only(("email", "email", None), action=DuplicateAction.ALLOW)
    assert not _check({"email": "x@example.org"})


def test_draft_rules_are_not_checked(only, administrator, rep):
    factories.LeadFactory(owner_user=rep, email="x@example.org")
    rule = only(("email", "email", None))
    save_duplicate_rule(
        by=administrator, rule=rule, conditions=rule.conditions, is_published=False
    )
    assert not _check({"email": "x@example.org"})


def test_todays_checks_are_the_default_rules(administrator):
    """Seeded by the migration; with every rule deleted, nothing is checked."""
    expected = [(name, conditions, "warn") for name, conditions in DEFAULT_RULES]
    published = sorted((r.name, r.conditions, r.action) for r in published_rules())
    assert published == sorted(expected)
    DuplicateRule.objects.all().delete()
    assert published_rules() == []
    migration = importlib.import_module("leads.migrations.0011_duplicate_rules")
    migration.seed_default_rules(django_apps, None)
    rules = DuplicateRule.objects.filter(is_published=True, business_unit=None)
    assert sorted((r.name, r.conditions, r.action) for r in rules) == sorted(expected)


# --- the ways in -------------------------------------------------------------------------

LEAD_FORM = {
    "subject": "New enquiry",
    "last_name": "Scully",
    "preferred_contact_method": "1",
    "rating": "2",
}


def test_lead_form_block_refuses_with_the_match_shown(only, rep_client, rep):
    existing = factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None), name="same email")
    data = {**LEAD_FORM, "email": "Dana@example.org", "confirm_duplicates": "on"}
    response = rep_client.post("/leads/new/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "Not saved: duplicate" in page
    assert existing.get_absolute_url() in page and "same email" in page
    assert "Save anyway" not in page
    assert Lead.objects.count() == 1


def test_lead_form_warn_asks_then_saves(only, rep_client, rep):
    factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None), action=DuplicateAction.WARN)
    data = {**LEAD_FORM, "email": "dana@example.org"}
    page = rep_client.post("/leads/new/", data).content.decode()
    assert "Possible duplicate" in page and "Save anyway" in page
    assert Lead.objects.count() == 1
    response = rep_client.post("/leads/new/", {**data, "confirm_duplicates": "on"})
    assert response.status_code == 302 and Lead.objects.count() == 2


def test_lead_form_allow_saves_without_asking(only, rep_client, rep):
    factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None), action=DuplicateAction.ALLOW)
    response = rep_client.post(
        "/leads/new/", {**LEAD_FORM, "email": "dana@example.org"}
    )
    assert response.status_code == 302 and Lead.objects.count() == 2


def test_edit_page_block_refuses_the_change(only, rep_client, rep):
    factories.LeadFactory(owner_user=rep, email="dana@example.org")
    mine = factories.LeadFactory(owner_user=rep, email="fox@example.org")
    only(("email", "email", None))
    data = {**LEAD_FORM, "email": "dana@example.org", "version": mine.version}
    response = rep_client.post(f"/leads/{mine.pk}/edit/", data)
    assert "Not saved: duplicate" in response.content.decode()
    mine.refresh_from_db()
    assert mine.email == "fox@example.org"


@pytest.fixture
def web_form(org, manager):
    org.north.default_owner = manager
    org.north.save()
    return factories.CaptureFormFactory(
        name="Contact us", business_unit=org.north, fields_shown=["company_name"]
    )


def _capture(form, **data):
    values = {"last_name": "Scully", "email": "dana@example.org", "consent": "on"}
    return Client().post(f"/capture/{form.token}/", {**values, **data})


def test_capture_block_creates_nothing_and_thanks_the_visitor(only, web_form, rep):
    existing = factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None))
    response = _capture(web_form)
    assert response.status_code in (200, 302)
    assert list(Lead.objects.all()) == [existing]


def test_capture_warn_creates_the_lead_flagged(only, web_form, rep):
    existing = factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None), action=DuplicateAction.WARN, name="same email")
    _capture(web_form)
    new = Lead.objects.exclude(pk=existing.pk).get()
    flag = PossibleDuplicate.objects.get(lead=new)
    assert (flag.matched_lead, flag.reason, flag.origin) == (
        existing,
        "same email",
        "capture",
    )


def _import(client, rows):
    header = "subject,lastname,emailaddress1,companyname"
    upload(client, csv_upload("\n".join([header, *rows]) + "\n"))
    return start(client, latest_batch(), duplicate_mode="flag")


def test_import_block_fails_the_row_warn_flags_it(
    only, settings, manager_client, manager, rep
):
    settings.TASKS = DATABASE_TASKS
    existing = factories.LeadFactory(owner_user=rep, last_name="Scully", email="")
    only(("last_name", "iexact", None), name="same last name")
    batch = _import(manager_client, ["A,Scully,,X", "B,Mulder,,Y"])
    assert (batch.created_count, batch.failed_count) == (1, 1)
    row = ImportRow.objects.get(batch=batch, outcome="failed")
    assert f"lead #{existing.pk}" in row.message and "same last name" in row.message
    only(("last_name", "iexact", None), action=DuplicateAction.WARN)
    batch = _import(manager_client, ["C,scully,,Z"])
    new = Lead.objects.get(subject="C")
    assert batch.created_count == 1
    assert PossibleDuplicate.objects.get(lead=new, origin="import").matched_lead in {
        existing
    }


def _api_post(client, data):
    return client.post("/api/leads", json.dumps(data), content_type="application/json")


def test_api_block_is_a_409_problem_with_the_matches(only, rep_client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep, email="dana@example.org")
    factories.LeadFactory(owner_user=rep2, email="dana@example.org")
    only(("email", "email", None), name="same email")
    response = _api_post(rep_client, {**LEAD_FORM, "email": "dana@example.org"})
    assert response.status_code == 409
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:leadsite:problem:possible-duplicates"
    assert body["matches"]["leads"] == [
        {"id": mine.pk, "name": str(mine), "reasons": ["same email"]}
    ]
    assert body["matches"]["elsewhere"] == [
        {"kind": "lead", "reasons": ["same email"], "owner": str(rep2)}
    ]
    assert Lead.objects.count() == 2


def test_api_warn_creates_and_flags_and_patch_is_checked(only, rep_client, rep):
    existing = factories.LeadFactory(owner_user=rep, email="dana@example.org")
    only(("email", "email", None), action=DuplicateAction.WARN)
    response = _api_post(
        rep_client, {**LEAD_FORM, "email": "dana@example.org", "assign_to_me": True}
    )
    assert response.status_code == 201
    new = Lead.objects.get(pk=response.json()["id"])
    assert PossibleDuplicate.objects.get(lead=new).matched_lead == existing
    only(("email", "email", None))
    other = factories.LeadFactory(owner_user=rep, email="fox@example.org")
    response = rep_client.patch(
        f"/api/leads/{other.pk}",
        json.dumps({"email": "DANA@example.org"}),
        content_type="application/json",
        headers={"If-Match": f'"{other.version}"'},
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:leadsite:problem:possible-duplicates"
    other.refresh_from_db()
    assert other.email == "fox@example.org"


# --- the editor ------------------------------------------------------------------------


def _editor_data(**data):
    return {
        "name": "same email, blocked",
        "action": "block",
        "field_0": "email",
        "method_0": "email",
        "publish": "1",
        **data,
    }


def test_administrator_publishes_a_rule_in_the_editor(admin_client_):
    response = admin_client_.post("/duplicates/rules/new/", _editor_data())
    assert response.status_code == 302
    rule = DuplicateRule.objects.get(name="same email, blocked")
    assert (rule.is_published, rule.action, rule.business_unit) == (True, "block", None)
    assert rule.conditions == [{"field": "email", "method": "email", "parameter": None}]


def test_editor_refuses_a_method_the_field_cannot_take(admin_client_):
    response = admin_client_.post(
        "/duplicates/rules/new/", _editor_data(method_0="phone")
    )
    assert (
        response.status_code == 200
        and "cannot be compared" in response.content.decode()
    )
    assert not DuplicateRule.objects.filter(name="same email, blocked").exists()


def test_managers_edit_their_units_rules_only_and_reps_none(
    manager_client, manager, administrator, org, rep
):
    response = manager_client.post("/duplicates/rules/new/", _editor_data())
    assert response.status_code == 200  # everyone's rules are administrators'
    response = manager_client.post(
        "/duplicates/rules/new/", _editor_data(business_unit=org.north.pk)
    )
    assert response.status_code == 302
    south = _rule(administrator, ("email", "email", None), business_unit=org.south)
    assert manager_client.get(f"/duplicates/rules/{south.pk}/edit/").status_code == 404
    rep_client = Client()
    rep_client.force_login(rep)
    assert rep_client.get("/duplicates/").status_code == 404


# --- the scan ----------------------------------------------------------------------------


def test_scan_lists_groups_with_merge_links(
    only,
    administrator,
    admin_client_,
    rep,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    a = factories.LeadFactory(owner_user=rep, email="a@example.org", business_phone="")
    b = factories.LeadFactory(owner_user=rep, email="A@example.org", business_phone="")
    c = factories.LeadFactory(owner_user=rep, email="a@example.org ", business_phone="")
    factories.LeadFactory(owner_user=rep, email="b@example.org", business_phone="")
    d = factories.LeadFactory(
        owner_user=rep, email="", business_phone="+1 415 555 9941"
    )
    e = factories.LeadFactory(owner_user=rep, email="", mobile_phone="(415) 555-9941")
    only(("email", "email", None), name="same email")
    _rule(administrator, ("phone", "phone", None), name="same phone")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post("/duplicates/scans/start/")
    scan = DuplicateScan.objects.get()
    assert response["Location"] == scan.get_absolute_url()
    scan.refresh_from_db()
    assert (scan.status, scan.rules_done, scan.group_count) == (ScanStatus.DONE, 2, 2)
    groups = {g.rule_name: g.record_ids for g in DuplicateGroup.objects.all()}
    assert groups == {
        "same email": sorted([a.pk, b.pk, c.pk]),
        "same phone": [d.pk, e.pk],
    }
    with django_assert_max_num_queries(12):
        page = admin_client_.get(scan.get_absolute_url()).content.decode()
    assert f"/leads/merge/?ids={a.pk},{b.pk}" in page
    assert f"/leads/merge/?ids={a.pk},{c.pk}" in page
    assert f"/leads/merge/?ids={d.pk},{e.pk}" in page


@pytest.mark.skipif(not POSTGRES, reason="similarity needs PostgreSQL with pg_trgm")
def test_scan_with_a_fuzzy_rule_groups_similar_leads(
    only, administrator, rep, django_capture_on_commit_callbacks
):
    a = factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmaceuticals")
    b = factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmaceutical")
    factories.LeadFactory(owner_user=rep, company_name="Fabrikam")
    only(("company_name", "fuzzy", 0.6))
    client = Client()
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/duplicates/scans/start/")
    assert [g.record_ids for g in DuplicateGroup.objects.all()] == [[a.pk, b.pk]]
