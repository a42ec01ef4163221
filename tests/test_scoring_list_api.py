"""The score in the lead list, its exports and the API (issue 22): the Score column
with its grade and pin mark, the sort (unscored leads last both ways) and the grade
filter under the administrator's thresholds, the export's score columns (left out
again by an import), the API's score fields, grade filter and pin / unpin."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.exports import SCORE_HEADERS
from leads.models import LeadScore, LeadSource
from leads.selectors.scoring import forget_tables
from leads.services.scoring import (
    pin_score,
    rebuild_scores,
    request_rebuild,
    save_scoring_config,
    score_leads,
)
from tests import factories
from tests.import_helpers import latest_batch, start, upload
from tests.reading import options, page
from tests.task_worker import DATABASE_TASKS

pytestmark = pytest.mark.django_db

LIST = "/api/leads"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_scoring_cache():
    """The process keeps the tables and settings for a minute: not across tests."""
    forget_tables()
    yield
    forget_tables()


def _lead(owner, name, **fields):
    return factories.LeadFactory(
        owner_user=owner, first_name="", last_name=name, **fields
    )


def _pin(lead, score, by):
    return pin_score(lead=lead, by=by, score=score, reason="Budget confirmed")


@pytest.fixture
def trained(rep2):
    """Enough closed leads for the model (200, 20 of each outcome): referrals
    qualify, advertisements do not; then a rebuild scores the open leads."""
    factories.LeadFactory.create_batch(
        110, owner_user=rep2, qualified=True, source=LeadSource.EMPLOYEE_REFERRAL
    )
    factories.LeadFactory.create_batch(
        110, owner_user=rep2, disqualified=True, source=LeadSource.ADVERTISEMENT
    )

    def rebuild():
        rebuild, _ = request_rebuild(by=None)
        rebuild_scores(rebuild_id=rebuild.pk)

    return rebuild


def _score_cells(response):
    """(name, text of the Score cell) of each row of the lead list."""
    table = page(response.content).find("table", css="lead-table")
    return [
        (row.find("td", css="c-name").text, row.find("td", css="c-score").text)
        for row in table.find("tbody").find_all("tr")
    ]


def _names(response):
    return [name for name, _ in _score_cells(response)]


# --- the list page -----------------------------------------------------------------


def test_the_list_shows_the_score_its_grade_and_a_pin_mark(rep_client, rep, trained):
    hot = _lead(rep, "Hot", source=LeadSource.EMPLOYEE_REFERRAL)
    _lead(rep, "Cold", source=LeadSource.ADVERTISEMENT)
    trained()
    _lead(rep, "Unscored")  # after the rebuild: not scored yet
    _pin(hot, 60, rep)
    cells = dict(_score_cells(rep_client.get("/leads/", {"view": "mine"})))
    assert cells["Hot"] == "60 B Pinned"
    cold = LeadScore.objects.get(lead__last_name="Cold").score
    assert cold is not None and cold < 25
    assert cells["Cold"] == f"{cold} D"
    assert cells["Unscored"] == "—"
    header = page(rep_client.get("/leads/", {"view": "mine"}).content).find(
        "th", css="c-score"
    )
    # The first click sorts the highest first.
    assert header.find("a").attrs["href"].endswith("sort=-score")


def test_sorting_by_score_puts_unscored_leads_last_both_ways(rep_client, rep):
    first = _lead(rep, "Forty")
    _lead(rep, "Never scored")  # no score row at all
    not_enough = _lead(rep, "Not enough data")
    score_leads([not_enough.pk])  # a row without a number: too few closed leads
    ninety = _lead(rep, "Ninety")
    _pin(first, 40, rep)
    _pin(ninety, 90, rep)
    assert LeadScore.objects.get(lead=not_enough).score is None
    down = rep_client.get("/leads/", {"view": "mine", "sort": "-score"})
    up = rep_client.get("/leads/", {"view": "mine", "sort": "score"})
    # Ties (the two unscored leads) newest first, as every sort of the list.
    assert _names(down) == ["Ninety", "Forty", "Not enough data", "Never scored"]
    assert _names(up) == ["Forty", "Ninety", "Not enough data", "Never scored"]


def test_the_grade_filter_follows_the_thresholds(rep_client, rep, administrator):
    for name, score in [("Eighty", 80), ("Sixty-five", 65), ("Thirty", 30)]:
        _pin(_lead(rep, name), score, rep)
    _lead(rep, "Unscored")

    def graded(letter):
        response = rep_client.get("/leads/", {"view": "mine", "grade": letter})
        return sorted(_names(response)) if "lead-table" in response.text else []

    assert graded("A") == ["Eighty"]
    assert graded("B") == ["Sixty-five"]
    assert graded("C") == ["Thirty"]
    assert graded("D") == []
    assert graded("none") == ["Unscored"]
    save_scoring_config(by=administrator, grade_a=60, grade_b=40, grade_c=35)
    assert graded("A") == ["Eighty", "Sixty-five"]
    assert graded("B") == []
    assert graded("D") == ["Thirty"]
    cells = dict(_score_cells(rep_client.get("/leads/", {"view": "mine"})))
    assert cells["Sixty-five"].startswith("65 A")


def test_the_grade_filter_is_in_the_panel_and_named_by_its_chip(rep_client, rep):
    panel = rep_client.get("/leads/filters/", {"view": "mine", "grade": "none"})
    assert options(panel.content, "grade") == [
        ("", "Any", False),
        ("A", "A", False),
        ("B", "B", False),
        ("C", "C", False),
        ("D", "D", False),
        ("none", "Not scored", True),
    ]
    listed = rep_client.get("/leads/", {"view": "mine", "grade": "A"})
    assert {"label": "Grade", "value": "A"}.items() <= listed.context["chips"][
        0
    ].items()


def test_a_rep_never_sees_others_leads_through_the_grade_filter(rep_client, rep, rep2):
    _pin(_lead(rep, "Mine"), 90, rep)
    _pin(_lead(rep2, "Theirs"), 95, rep2)
    for view in ("all", "open"):
        response = rep_client.get("/leads/", {"view": view, "grade": "A"})
        assert _names(response) == ["Mine"]
        response = rep_client.get(
            "/leads/", {"view": view, "sort": "-score", "grade": "A"}
        )
        assert _names(response) == ["Mine"]
    api = rep_client.get(LIST, {"grade": "A"}).json()["results"]
    assert [row["last_name"] for row in api] == ["Mine"]


def test_an_unknown_grade_shows_no_rows(rep_client, rep):
    _pin(_lead(rep, "Mine"), 90, rep)
    response = rep_client.get("/leads/", {"view": "mine", "grade": "E"})
    assert "lead-table" not in response.text
    assert rep_client.get(LIST, {"grade": "E"}).status_code == 400


# --- exports -----------------------------------------------------------------------


def _export(client, **params):
    response = client.get("/leads/export/", {"view": "all", **params})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    return rows[0], rows[1:]


def test_the_export_has_score_grade_and_pin_columns(manager_client, manager, rep):
    pinned = _lead(rep, "Pinned")
    _pin(pinned, 90, manager)
    _lead(rep, "Unscored")
    header, rows = _export(manager_client)
    assert header[-3:] == SCORE_HEADERS == ["Score", "Grade", "Score pinned"]
    by_name = {row[header.index("lastname")]: row[-3:] for row in rows}
    assert by_name == {"Pinned": ["90", "A", "Yes"], "Unscored": ["", "", "No"]}


def test_the_export_reads_the_scores_with_the_leads(manager_client, manager, rep):
    """No query per lead: 3 scored leads or 30, the same queries."""

    def count():
        with CaptureQueriesContext(connection) as ctx:
            _export(manager_client)
        return len(ctx.captured_queries)

    for index in range(3):
        _pin(_lead(rep, f"Few {index}"), 50, manager)
    few = count()
    for index in range(27):
        _pin(_lead(rep, f"Many {index}"), 50, manager)
    assert count() == few


def test_reimporting_an_export_leaves_the_scores_alone(
    manager_client, manager, rep, settings
):
    settings.TASKS = DATABASE_TASKS
    pinned = _lead(rep, "Pinned", source=LeadSource.WEB)
    _pin(pinned, 90, manager)
    _lead(rep, "Unscored")
    header, rows = _export(manager_client)
    # The file says 12, the lead 90: a re-import must not take either.
    for row in rows:
        row[-3:] = ["12", "D", "No"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    scores_before = list(LeadScore.objects.order_by("pk").values())
    upload(manager_client, SimpleUploadedFile("leads.csv", buffer.getvalue().encode()))
    batch = latest_batch()
    mapped = {batch.headers[int(i)] for i in batch.mapping}
    assert not mapped & set(SCORE_HEADERS)
    batch = start(manager_client, batch, duplicate_mode="update")
    assert (batch.created_count, batch.updated_count, batch.failed_count) == (0, 0, 0)
    assert list(LeadScore.objects.order_by("pk").values()) == scores_before


# --- the API -----------------------------------------------------------------------


def _api_lead(client, lead):
    return client.get(f"{LIST}/{lead.pk}")


def test_the_api_shows_the_score_grade_trend_pin_and_factors(rep_client, rep, trained):
    trained()
    lead = _lead(rep, "Referred", source=LeadSource.EMPLOYEE_REFERRAL)
    # A week ago the nightly rebuild gave it the same score as tonight's.
    week_ago = timezone.now() - datetime.timedelta(days=7)
    score_leads([lead.pk], now=week_ago, with_history=True)
    trained()
    row = LeadScore.objects.get(lead=lead)
    body = _api_lead(rep_client, lead).json()
    assert body["score"] == row.score and body["score"] >= 75
    assert body["grade"] == "A"
    assert body["score_trend"] == "steady"
    assert body["score_pinned"] is False
    source = next(f for f in body["score_factors"] if f["field"] == "source")
    assert source["value"] == str(LeadSource.EMPLOYEE_REFERRAL)
    assert source["label"] == "Source is Employee Referral"
    assert source["multiplier"] > 1
    listed = rep_client.get(LIST).json()["results"]
    assert listed[0]["score_factors"] == body["score_factors"]
    unscored = _api_lead(rep_client, _lead(rep, "New")).json()
    assert {k: unscored[k] for k in ("score", "grade", "score_trend")} == dict.fromkeys(
        ("score", "grade", "score_trend")
    )
    assert (unscored["score_pinned"], unscored["score_factors"]) == (False, [])


def test_the_api_list_reads_the_same_queries_for_5_and_50_scored_leads(
    rep_client, rep, trained
):
    def count():
        rep_client.get(LIST)  # the settings' process cache, as in production
        with CaptureQueriesContext(connection) as ctx:
            results = rep_client.get(LIST, {"view": "mine"}).json()["results"]
        assert all(row["score"] is not None for row in results)
        return len(results), len(ctx.captured_queries)

    for index in range(5):
        _lead(rep, f"Few {index}", source=LeadSource.EMPLOYEE_REFERRAL)
    trained()
    few = count()
    for index in range(45):
        _lead(rep, f"Many {index}", source=LeadSource.ADVERTISEMENT)
    trained()
    many = count()
    assert (few[0], many[0]) == (5, 50)
    assert many[1] == few[1]


def test_the_api_filters_by_grade(rep_client, rep):
    for name, score in [("A lead", 80), ("C lead", 30)]:
        _pin(_lead(rep, name), score, rep)
    _lead(rep, "Unscored")

    def names(grade):
        rows = rep_client.get(LIST, {"grade": grade}).json()["results"]
        return [row["last_name"] for row in rows]

    assert names("A") == ["A lead"]
    assert names("C") == ["C lead"]
    assert names("none") == ["Unscored"]


def _pin_url(lead):
    return f"{LIST}/{lead.pk}/score-pin"


def _send(client, method, lead, body=None, etag=None):
    headers = {"if-match": etag} if etag else {}
    return getattr(client, method)(
        _pin_url(lead), body or {}, content_type="application/json", headers=headers
    )


def test_pin_and_unpin_through_the_api(rep_client, rep):
    lead = _lead(rep, "Pinned")
    etag = _api_lead(rep_client, lead)["ETag"]
    pinned = _send(
        rep_client, "post", lead, {"score": 88, "reason": "Signed LOI"}, etag
    )
    assert pinned.status_code == 200, pinned.json()
    body = pinned.json()
    assert (body["score"], body["grade"], body["score_pinned"]) == (88, "A", True)
    # A pin is an edit: the lead's version moves on, and the old ETag is stale.
    assert pinned["ETag"] == f'"{lead.version + 1}"'
    row = LeadScore.objects.get(lead=lead)
    assert (row.pinned_score, row.pin_reason, row.pinned_by) == (88, "Signed LOI", rep)
    stale = _send(rep_client, "delete", lead, etag=etag)
    assert stale.status_code == 412
    unpinned = _send(rep_client, "delete", lead, etag=pinned["ETag"])
    assert unpinned.status_code == 200
    assert (unpinned.json()["score"], unpinned.json()["score_pinned"]) == (None, False)
    assert LeadScore.objects.get(lead=lead).pinned_score is None


def test_pin_needs_if_match_and_the_current_version(rep_client, rep):
    lead = _lead(rep, "Pinned")
    body = {"score": 88, "reason": "Signed LOI"}
    for method in ("post", "delete"):
        missing = _send(rep_client, method, lead, body)
        assert (missing.status_code, missing["Content-Type"]) == (428, PROBLEM)
        stale = _send(rep_client, method, lead, body, f'"{lead.version + 1}"')
        assert (stale.status_code, stale["Content-Type"]) == (412, PROBLEM)
        assert stale.json()["current"]["id"] == lead.pk
        assert stale["ETag"] == f'"{lead.version}"'
    assert not LeadScore.objects.filter(lead=lead, pinned_score__isnull=False).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 101, "reason": "Too high"}, "score"),
        ({"score": -1, "reason": "Too low"}, "score"),
        ({"score": 50}, "reason"),
        ({"score": 50, "reason": "   "}, "reason"),
    ],
)
def test_a_pin_without_a_score_or_a_reason_is_a_400_problem(
    rep_client, rep, body, field
):
    lead = _lead(rep, "Pinned")
    response = _send(rep_client, "post", lead, body, f'"{lead.version}"')
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert field in response.json()["errors"]
    assert not LeadScore.objects.filter(pinned_score__isnull=False).exists()


def test_a_closed_leads_score_is_read_only(rep_client, rep):
    lead = _lead(rep, "Closed", disqualified=True)
    body = {"score": 88, "reason": "Signed LOI"}
    for method in ("post", "delete"):
        response = _send(rep_client, method, lead, body, f'"{lead.version}"')
        assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
        assert "disqualified" in response.json()["detail"].lower()
    assert not LeadScore.objects.filter(pinned_score__isnull=False).exists()


def test_a_lead_outside_scope_cannot_be_pinned(rep_client, rep2):
    lead = _lead(rep2, "Theirs")
    body = {"score": 88, "reason": "Signed LOI"}
    response = _send(rep_client, "post", lead, body, f'"{lead.version}"')
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert (
        _send(rep_client, "delete", lead, etag=f'"{lead.version}"').status_code == 404
    )
    assert not LeadScore.objects.filter(pinned_score__isnull=False).exists()


def test_the_schema_documents_the_score_fields_the_filter_and_the_pin(rep_client):
    schema = rep_client.get("/api/schema/", headers={"accept": "application/json"})
    document = schema.json()
    lead = document["components"]["schemas"]["Lead"]["properties"]
    for name in ("score", "grade", "score_trend", "score_pinned", "score_factors"):
        assert lead[name].get("readOnly"), name
    pin = document["paths"]["/api/leads/{id}/score-pin"]
    assert set(pin) >= {"post", "delete"}
    assert {"400", "404", "412", "428"} <= set(pin["post"]["responses"])
    listing = document["paths"]["/api/leads"]["get"]["parameters"]
    assert "grade" in {p["name"] for p in listing}
