"""The bench routing scenarios run and leave the data as they found it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.management.bench.routing import bench_route, bench_route_bulk
from leads.models import Lead, LeadAssignment, RoutingRule
from tests import factories


def test_route_scenario_rolls_back_and_reports_queries(administrator, rep):
    factories.LeadFactory.create_batch(3, owner_user=rep)
    kept = factories.RoutingRuleFactory(name="Kept", target_user=rep)
    owners = list(Lead.objects.order_by("pk").values_list("owner_user", flat=True))
    report = bench_route(viewer=administrator, runs=5)
    assert report["rules"] == 20 and report["queries"] > 0
    assert list(RoutingRule.objects.all()) == [kept]
    kept.refresh_from_db()
    assert kept.is_active
    assert not LeadAssignment.objects.exists()
    assert (
        list(Lead.objects.order_by("pk").values_list("owner_user", flat=True)) == owners
    )


def test_bulk_scenario_says_when_there_are_too_few_leads(administrator, rep):
    factories.LeadFactory.create_batch(2, owner_user=rep)
    assert (
        "needs 10,000 open leads, found 2"
        in bench_route_bulk(viewer=administrator)["skipped"]
    )
    assert not RoutingRule.objects.exists()


def test_bulk_scenario_routes_in_rolled_back_runs(administrator, rep, org):
    """Every lead goes through bulk routing (runs of `chunk`), and nothing it wrote
    stays: no rules, no log rows, the owners as they were."""
    team = factories.TeamFactory(business_unit=org.north)
    team.members.add(rep)
    factories.LeadFactory.create_batch(7, owner_user=administrator)
    owners = list(Lead.objects.order_by("pk").values_list("owner_user", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        report = bench_route_bulk(viewer=administrator, count=7, chunk=3)
    assert (report["leads"], report["chunk"], report["rules"]) == (7, 3, 20)
    # Each run routed its leads (their log rows written in one insert, then
    # rolled back): runs of 3, 3 and 1 leads.
    logged = [q for q in ctx.captured_queries if "INSERT INTO" in q["sql"]]
    table = LeadAssignment._meta.db_table
    assert len([q for q in logged if f'"{table}"' in q["sql"]]) == 3
    assert not RoutingRule.objects.exists()
    assert not LeadAssignment.objects.exists()
    assert (
        list(Lead.objects.order_by("pk").values_list("owner_user", flat=True)) == owners
    )
