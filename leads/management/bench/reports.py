"""The lead-source report: all time as an administrator, the last 90 days as a
manager. Floor: the report's three grouped reads of the summary rows (the SQL the
ORM writes for them, leads.reports.summary.summary_querysets), with the viewer's
scope and the page's filters."""

from accounts.permissions import business_unit_subtree_ids
from leads.forms.reports import SourceReportForm
from leads.management.bench import scenario
from leads.reports.sources import report_dimensions
from leads.reports.summary import reads_by_unit, summary_querysets


def report_floor(user, period):
    form = SourceReportForm({"period": period}, user=user)
    if not form.is_valid():
        raise AssertionError(f"report filters refused: {form.errors.as_json()}")
    filters = form.report_filters(business_unit_subtree_ids)
    dimensions = report_dimensions(
        **{
            name: filters.get(name)
            for name in ("business_unit_ids", "team", "owner", "campaign")
        }
    )
    querysets = summary_querysets(
        user=user,
        start=filters.get("created_from"),
        end=filters.get("created_to"),
        dimensions=dimensions,
        by_unit=reads_by_unit(
            user, team=filters.get("team"), owner=filters.get("owner")
        ),
    )
    return [queryset.query.sql_with_params() for queryset in querysets]


@scenario("report_all_time")
def report_all_time(bench):
    floor = report_floor(bench.users["admin"], "all")
    return bench.get("admin", "/reports/sources/?period=all", floor=floor)


@scenario("report_90_days")
def report_90_days(bench):
    floor = report_floor(bench.users["manager"], "90days")
    return bench.get("manager", "/reports/sources/?period=90days", floor=floor)
