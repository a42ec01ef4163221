"""The lead-source report: all time as an administrator, the last 90 days as a
manager."""

from leads.management.bench import scenario


@scenario("report_all_time")
def report_all_time(bench):
    return bench.get("admin", "/reports/sources/?period=all")


@scenario("report_90_days")
def report_90_days(bench):
    return bench.get("manager", "/reports/sources/?period=90days")
