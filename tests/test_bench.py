"""`manage.py bench` keeps working on a small database (no timings asserted here)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import Account, Opportunity, User
from leads.management import bench as scenarios
from leads.models import Activity, Lead, LeadState
from tests import factories

KEYS = [
    "lead_list_mine",
    "lead_list_all_open_p1",
    "lead_list_all_open_p100",
    "lead_list_by_score",
    "lead_list_filtered",
    "lead_search_short",
    "lead_detail",
    "lead_detail_200_items",
    "qualify",
    "home_rep",
    "opportunities_list",
    "board",
    "admin_changelist",
    "admin_changelist_search",
    "report_all_time",
    "report_90_days",
    "route",
    "route_bulk_10k",
    "import_routed",
    "api_lead_list_p1",
    "api_lead_list_all_p1",
    "api_lead_list_p10000",
    "api_lead_retrieve",
    "api_qualify",
    "event_write_overhead",
    "update_with_rescore",
    "score_rebuild",
    "duplicate_check",
    "duplicate_check_fuzzy",
    "duplicate_scan",
    "mass_update",
]
FUZZY = ("duplicate_check_fuzzy", "duplicate_scan")
RESULT_KEYS = {"median_ms", "p95_ms", "queries", "sql_ms", "floor_ms"}


@pytest.fixture
def small_database(db):
    call_command("seed_demo", leads=120, seed=3, stdout=io.StringIO())
    rep = User.objects.get(username="rep")
    # The lead page and qualify scenarios need an open lead of the rep's own.
    factories.LeadFactory(
        owner_user=rep, business_unit=rep.business_unit, company_name="Acme"
    )


def run_bench(**options):
    out = io.StringIO()
    call_command("bench", runs=2, warmup=1, stdout=out, **options)
    return json.loads(out.getvalue())


def test_bench_prints_every_scenario_with_the_same_keys(small_database):
    before = {
        "leads": Lead.objects.count(),
        "open": Lead.objects.filter(state=LeadState.OPEN).count(),
        "accounts": Account.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "activities": Activity.objects.count(),
    }
    report = run_bench()
    assert list(report) == ["meta", *KEYS]
    assert report["meta"]["leads"] == 121
    for key in KEYS:
        assert RESULT_KEYS <= report[key].keys(), key
        # 121 leads: fewer than 10,000, and they say so.
        if key in ("route_bulk_10k", "mass_update"):
            assert report[key]["median_ms"] is None and report[key]["note"]
            continue
        result = report[key]
        if key in FUZZY and connection.vendor != "postgresql":
            # Trigram similarity is PostgreSQL's: elsewhere the scenario says so.
            assert result["median_ms"] is None and "pg_trgm" in result["note"]
            continue
        assert not result.get("error"), (key, result)
        if key == "import_routed":
            # One routed import (leads/management/bench/routing.py): rows a second.
            assert result["rows_per_s"] > 0, result
            continue
        if key == "duplicate_scan":
            # One run of a whole scan: its seconds and what it found, no median.
            assert result["seconds"] >= 0 and result["leads"] > 0, result
            continue
        assert result["queries"] > 0, key
        assert 0 < result["median_ms"] <= result["p95_ms"], key
        assert result["sql_ms"] >= 0, key
    for key in ["lead_list_mine", "lead_list_all_open_p1", "lead_detail", "home_rep"]:
        assert report[key]["floor_ms"] > 0, key
    # The qualify POSTs and the added timeline items were rolled back.
    assert before == {
        "leads": Lead.objects.count(),
        "open": Lead.objects.filter(state=LeadState.OPEN).count(),
        "accounts": Account.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "activities": Activity.objects.count(),
    }


def test_bench_runs_only_the_scenarios_asked_for(small_database):
    report = run_bench(only=["lead_detail", "qualify"])
    assert list(report) == ["meta", "lead_detail", "qualify"]
    with pytest.raises(CommandError, match="Unknown"):
        run_bench(only=["no_such_page"])


def test_a_scenario_is_one_registered_function(small_database):
    @scenarios.scenario("healthz_probe")
    def healthz(bench):
        return bench.get("rep", "/healthz")

    try:
        report = run_bench(only=["healthz_probe"])
    finally:
        del scenarios.SCENARIOS["healthz_probe"]
    assert report["healthz_probe"]["queries"] >= 0
    assert report["healthz_probe"]["floor_ms"] is None


def test_bench_needs_seeded_data(db):
    with pytest.raises(CommandError, match="seed_demo"):
        run_bench()


def test_bench_prints_a_cpu_calibration_and_floor_ratios(small_database):
    """meta.calibration times a fixed Python loop at the start and the end; each
    scenario with a floor says how many times the floor its page took."""
    report = run_bench(only=["lead_list_mine", "report_all_time", "qualify"])
    calibration = report["meta"]["calibration"]
    assert calibration["loop"] > 0 and calibration["runs"] > 0
    assert calibration["start_ms"] > 0 and calibration["end_ms"] > 0
    for key in ("lead_list_mine", "report_all_time"):
        result = report[key]
        assert result["floor_ms"] > 0, key
        assert result["floor_ratio"] == pytest.approx(
            result["median_ms"] / result["floor_ms"], abs=0.06
        ), key
    # A write has no floor, and so no ratio.
    assert report["qualify"]["floor_ms"] is None
    assert report["qualify"]["floor_ratio"] is None
