"""Due times of a cron expression (minute hour day-of-month month day-of-week, as
Debian's cron reads it, in a given time zone). Pure: no database, no settings."""

import datetime
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

__all__ = ["CronSimError", "check_expression", "latest_due", "next_due"]

SECOND = datetime.timedelta(seconds=1)
UTC = datetime.UTC


def check_expression(expression: str) -> None:
    """Raise CronSimError (with the reason) unless `expression` is a five-field
    cron expression."""
    if len(expression.split()) != 5:
        raise CronSimError("Wrong number of fields: five are needed")
    CronSim(expression, datetime.datetime(2000, 1, 1, tzinfo=UTC))


def latest_due(expression: str, now: datetime.datetime, zone: ZoneInfo):
    """The latest time at or before `now` that `expression` names (in UTC)."""
    # One second on, then one step back: `now` itself counts when it is a due time.
    start = now.astimezone(zone).replace(microsecond=0) + SECOND
    return next(CronSim(expression, start, reverse=True)).astimezone(UTC)


def next_due(expression: str, now: datetime.datetime, zone: ZoneInfo):
    """The first time after `now` that `expression` names (in UTC)."""
    start = now.astimezone(zone).replace(microsecond=0)
    return next(CronSim(expression, start)).astimezone(UTC)
