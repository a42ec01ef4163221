"""The scheduler process's loop (`manage.py run_scheduler`): tick, then wait until
the next due time, until asked to stop. The clock and the wait are parameters, so a
test drives the loop with a controlled clock and no sleeping."""

import datetime
import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections
from django.utils import timezone

from scheduling.schedules import configured_schedules
from scheduling.services import tick

logger = logging.getLogger(__name__)

# The longest wait between ticks: a wall clock set forward (or a machine resumed
# from sleep) is noticed within it.
MAX_WAIT = 60.0
# After a failed tick (the database away), the next try.
RETRY_WAIT = 10.0
# The shortest: the wall clock may reach a due time a moment after the wait ends.
MIN_WAIT = 0.1


def seconds_to_next_due(now: datetime.datetime) -> float:
    """Seconds from `now` to the first due time of any job (at most MAX_WAIT)."""
    upcoming = [schedule.next_due(now) for schedule in configured_schedules()]
    if not upcoming:
        return MAX_WAIT
    return min(MAX_WAIT, max(MIN_WAIT, (min(upcoming) - now).total_seconds()))


def serve(
    *,
    stop: threading.Event,
    clock: Callable[[], datetime.datetime] = timezone.now,
    wait: Callable[[float], object] | None = None,
) -> None:
    """Tick at `clock()`, then `wait` (by default stop.wait: returns early when
    stop is set) until the next due time; again until `stop` is set. A tick that
    fails is logged and tried again after RETRY_WAIT."""
    wait = wait or stop.wait
    while not stop.is_set():
        close_old_connections()
        now = clock()
        try:
            tick(now)
        except Exception:
            logger.exception("Scheduler tick at %s failed; trying again", now)
            close_old_connections()
            wait(RETRY_WAIT)
            continue
        wait(seconds_to_next_due(now))
