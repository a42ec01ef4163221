"""The lead-source report over all time and over the last 90 days."""

import datetime

from django.utils import timezone

from leads.management.bench import scenario


@scenario("report_all_time")
def report_all_time(bench):
    return bench.get("manager", "/reports/sources/")


@scenario("report_90_days")
def report_90_days(bench):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=90)
    url = (
        f"/reports/sources/?created_from={start.isoformat()}"
        f"&created_to={today.isoformat()}"
    )
    return bench.get("manager", url)
