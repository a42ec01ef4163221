"""Lead analytics, aggregated in the database and always through the scope gate.

facts (one SQL row per lead), summary (the trigger-maintained summary rows and their
refresh), sources (the lead-source report), stats (intervals, tests, medians),
straight (the same numbers computed directly from the leads, as a reference).
"""

from leads.reports.sources import (
    ALL,
    ReportRow,
    SourceReport,
    source_performance_report,
)
from leads.reports.stats import wilson_interval

__all__ = [
    "ALL",
    "ReportRow",
    "SourceReport",
    "source_performance_report",
    "wilson_interval",
]
