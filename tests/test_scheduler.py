"""The periodic jobs' scheduler (scheduling/, `manage.py run_scheduler`): due times of
a cron expression, one run per job and due time whoever ticks (two schedulers racing
on PostgreSQL too), a missed time caught up once, the loop's waits on a controlled
clock, and the queued tasks doing the jobs when the worker runs them."""

import datetime
import signal
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.permissions import SALES_REP
from leads.models import LeadAssignment, LeadSource, RebuildStatus, ScoreRebuild
from leads.services.routing import route_lead
from scheduling import cron
from scheduling.checks import check_schedules
from scheduling.models import ScheduledRun
from scheduling.process import serve
from scheduling.services import tick
from tests import factories
from tests.support import BASE_DIR, clean_env, on_postgresql, run_together, user_in
from tests.task_worker import DATABASE_TASKS, queued_tasks, run_queued_tasks

UTC = datetime.UTC
REROUTE = "leads.tasks.reroute_overdue"
WEBHOOKS = "webhooks.tasks.deliver_webhooks"
REBUILD = "leads.tasks.scheduled_score_rebuild"
REMINDERS = "notifications.tasks.send_reminders"
DIGEST = "notifications.tasks.send_digest"
SEND_EMAILS = "leads.tasks.send_queued_emails"
POLL = "leads.tasks.poll_mailboxes"
FLAG_CONSENTS = "leads.tasks.flag_unconfirmed_consents"
RETENTION = "privacy.tasks.apply_retention"
SOURCE_REPORT = "leads.reports.freshness.refresh_source_report"
RESUME_IMPORTS = "leads.tasks.resume_stalled"
# Every job in settings, and the tasks they queue.
JOBS = [
    "apply_retention",
    "deliver_webhooks",
    "flag_unconfirmed_consents",
    "notification_digest",
    "notification_reminders",
    "poll_mailboxes",
    "rebuild_scores",
    "refresh_source_report",
    "reroute_overdue",
    "resume_stalled_imports",
    "send_queued_emails",
]
TASKS = [
    REROUTE,
    WEBHOOKS,
    REBUILD,
    REMINDERS,
    DIGEST,
    SEND_EMAILS,
    POLL,
    FLAG_CONSENTS,
    RETENTION,
    SOURCE_REPORT,
    RESUME_IMPORTS,
]
NIGHTLY = {"rebuild_scores": {"cron": "0 2 * * *", "task": REBUILD}}


def at(day, hour, minute=0, second=0):
    """A moment in March 2026 (UTC)."""
    return datetime.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def runs():
    return sorted(ScheduledRun.objects.values_list("job", "due_at"))


@pytest.fixture
def queue(settings):
    """Tasks queued as rows (as production), and the cron read in UTC."""
    settings.TASKS = DATABASE_TASKS
    settings.TIME_ZONE = "UTC"


# --- due times ------------------------------------------------------------------------


def test_latest_due_counts_now_itself_and_next_due_is_after_it():
    assert cron.latest_due("0 2 * * *", at(10, 2), UTC) == at(10, 2)
    assert cron.latest_due("0 2 * * *", at(10, 1, 59, 59), UTC) == at(9, 2)
    assert cron.latest_due("*/15 * * * *", at(10, 2, 14, 59), UTC) == at(10, 2)
    assert cron.next_due("0 2 * * *", at(10, 2), UTC) == at(11, 2)
    assert cron.next_due("*/15 * * * *", at(10, 2, 0, 30), UTC) == at(10, 2, 15)


def test_due_times_follow_the_time_zone_across_a_clock_change():
    """02:30 does not exist in Berlin on 29 March 2026: the job runs once at 03:00
    (as Debian's cron does), and 02:30 local is 00:30 UTC after that."""
    berlin = ZoneInfo("Europe/Berlin")
    assert cron.next_due("30 2 * * *", at(28, 12), berlin) == at(29, 1)
    assert cron.next_due("30 2 * * *", at(29, 1), berlin) == at(30, 0, 30)
    assert cron.latest_due("30 2 * * *", at(29, 0, 59), berlin) == at(28, 1, 30)


def test_the_settings_schedules_pass_the_check_and_bad_ones_are_named(settings):
    assert check_schedules() == []
    settings.LEADSITE_SCHEDULES = {
        "typo": {"cron": "0 25 * * *", "task": REROUTE},
        "six_fields": {"cron": "0 0 2 * * *", "task": REROUTE},
        "missing": {"cron": "* * * * *", "task": "leads.tasks.no_such_task"},
        "not_a_task": {
            "cron": "* * * * *",
            "task": "leads.services.routing.route_lead",
        },
        "needs_args": {"cron": "* * * * *", "task": "leads.tasks.run_import"},
        "no_cron": {"task": REROUTE},
    }
    errors = sorted(error.msg for error in check_schedules())
    assert len(errors) == 6
    assert [e.split(":")[0] for e in errors] == [
        "Job 'missing'",
        "Job 'needs_args'",
        "Job 'no_cron' needs a 'cron' and a 'task'.",
        "Job 'not_a_task'",
        "Job 'six_fields'",
        "Job 'typo'",
    ]
    assert "Bad hour" in next(e for e in errors if "typo" in e)


# --- one run per due time -------------------------------------------------------------


def test_a_tick_queues_each_due_job_once(db, queue):
    started = tick(at(10, 2))
    assert sorted(run.job for run in started) == JOBS
    assert sorted(queued_tasks()) == sorted(TASKS)
    queued_ids = DBTaskResult.objects.values_list("id", flat=True)
    assert {run.task_id for run in ScheduledRun.objects.all()} == {
        str(pk) for pk in queued_ids
    }
    # Later in the same minute (or another scheduler at the same time): nothing.
    assert tick(at(10, 2, 0, 40)) == []
    assert tick(at(10, 2)) == []
    assert len(queued_tasks()) == len(TASKS)


def test_the_next_due_time_queues_only_the_jobs_due_then(db, queue):
    tick(at(10, 2))
    run_queued_tasks()
    # 02:05: the five-minute jobs, the two-minute one (due at 02:04) and the
    # every-minute one.
    assert sorted(run.job for run in tick(at(10, 2, 5))) == [
        "deliver_webhooks",
        "poll_mailboxes",
        "resume_stalled_imports",
        "send_queued_emails",
    ]
    assert sorted(queued_tasks()) == sorted(
        [WEBHOOKS, POLL, SEND_EMAILS, RESUME_IMPORTS]
    )
    # The quarter-hourly job ran at 02:00 only.
    assert [run for run in runs() if run[0] == "reroute_overdue"] == [
        ("reroute_overdue", at(10, 2))
    ]


def test_a_run_still_waiting_in_the_queue_is_joined_not_doubled(db, queue):
    """A worker that was down comes back to one run of each job, not a backlog."""
    [first] = [r for r in tick(at(10, 2)) if r.job == "deliver_webhooks"]
    [second] = [r for r in tick(at(10, 2, 5)) if r.job == "deliver_webhooks"]
    assert second.joined and second.task_id == first.task_id
    assert sorted(queued_tasks()) == sorted(TASKS)
    run_queued_tasks()
    [third] = [r for r in tick(at(10, 2, 10)) if r.job == "deliver_webhooks"]
    assert not third.joined
    assert sorted(queued_tasks()) == sorted(
        [WEBHOOKS, POLL, SEND_EMAILS, SOURCE_REPORT, RESUME_IMPORTS]
    )


def test_a_missed_nightly_run_is_caught_up_once(db, queue, settings):
    """The scheduler stopped on Monday at 01:00 and comes back on Thursday at 09:00:
    the rebuild runs once (for Thursday 02:00), not for each night missed, and not
    again until Friday 02:00."""
    settings.LEADSITE_SCHEDULES = NIGHTLY
    tick(at(9, 1))  # Monday: Sunday's 02:00, caught up at the first start
    run_queued_tasks()
    assert ScoreRebuild.objects.count() == 1
    [run] = tick(at(12, 9))  # Thursday
    assert run.due_at == at(12, 2)
    assert queued_tasks() == [REBUILD]
    for hour in (9, 12, 23):
        assert tick(at(12, hour, 30)) == []
    assert tick(at(13, 1, 59)) == []
    run_queued_tasks()
    assert ScoreRebuild.objects.count() == 2
    assert runs() == [("rebuild_scores", at(8, 2)), ("rebuild_scores", at(12, 2))]
    assert [r.due_at for r in tick(at(13, 2))] == [at(13, 2)]


def test_a_job_that_cannot_be_queued_is_logged_and_tried_at_the_next_tick(
    db, queue, settings, caplog
):
    """The other jobs go on; the failed one's due time stays unhandled until a tick
    can queue it."""
    settings.LEADSITE_SCHEDULES = {
        **NIGHTLY,
        "broken": {"cron": "*/15 * * * *", "task": "leads.tasks.no_such_task"},
    }
    assert [run.job for run in tick(at(10, 2, 1))] == ["rebuild_scores"]
    assert "broken: could not be queued" in caplog.text
    settings.LEADSITE_SCHEDULES["broken"]["task"] = REROUTE
    [run] = tick(at(10, 2, 2))
    assert (run.job, run.due_at) == ("broken", at(10, 2))
    assert sorted(queued_tasks()) == sorted([REBUILD, REROUTE])


def test_runs_older_than_two_weeks_before_the_latest_are_deleted(db, queue, settings):
    settings.LEADSITE_SCHEDULES = NIGHTLY
    for day in (1, 2, 16):
        tick(at(day, 3))
    assert [due for _, due in runs()] == [at(2, 2), at(16, 2)]
    tick(at(17, 3))
    assert [due for _, due in runs()] == [at(16, 2), at(17, 2)]


# --- the loop ---------------------------------------------------------------------------


def test_the_loop_wakes_at_each_due_time_and_stops_when_asked(
    transactional_db, queue, settings
):
    """A controlled clock: the loop ticks, waits (at most a minute at a time) until
    the next due time, and is at each due time on the dot. (Committing for real: the
    loop drops a connection left inside a transaction, as a test's would be.)"""
    settings.LEADSITE_SCHEDULES = {
        "reroute_overdue": {"cron": "*/15 * * * *", "task": REROUTE}
    }
    clock = [at(10, 1, 58, 30)]
    ticks, waits = [], []

    def now():
        ticks.append(clock[0])
        return clock[0]

    def wait(seconds):
        waits.append(seconds)
        clock[0] += datetime.timedelta(seconds=seconds)
        if clock[0] >= at(10, 2, 20):
            stop.set()

    stop = threading.Event()
    serve(stop=stop, clock=now, wait=wait)
    assert at(10, 2) in ticks and at(10, 2, 15) in ticks
    assert max(waits) == 60 and waits[:2] == [60, 30]
    assert runs() == [
        ("reroute_overdue", at(10, 1, 45)),
        ("reroute_overdue", at(10, 2)),
        ("reroute_overdue", at(10, 2, 15)),
    ]


# --- the jobs ---------------------------------------------------------------------------


def test_the_nightly_run_rebuilds_the_scores_when_the_worker_runs_it(db, queue):
    tick(at(10, 2))
    assert not ScoreRebuild.objects.exists()
    run_queued_tasks()
    rebuild = ScoreRebuild.objects.get()
    assert rebuild.status == RebuildStatus.DONE and rebuild.requested_by is None


def test_a_queued_rebuild_left_behind_is_run_by_the_next_night(db, queue, settings):
    """A rebuild queued while another ran (its own task found it busy) is taken by
    the next nightly run instead of a second one."""
    settings.LEADSITE_SCHEDULES = NIGHTLY
    left = ScoreRebuild.objects.create()
    tick(at(10, 2))
    run_queued_tasks()
    assert list(ScoreRebuild.objects.values_list("pk", "status")) == [
        (left.pk, RebuildStatus.DONE)
    ]


def test_an_overdue_lead_is_rerouted_when_the_worker_runs_the_job(db, queue, org):
    rep = user_in(SALES_REP, username="rep", business_unit=org.north)
    ana = user_in(SALES_REP, username="ana", business_unit=org.south)
    ben = user_in(SALES_REP, username="ben", business_unit=org.south)
    team = factories.TeamFactory(business_unit=org.south, members=[ana, ben])
    factories.RoutingRuleFactory(
        conditions=[{"field": "source", "op": "in", "value": [int(LeadSource.WEB)]}],
        target_user=None,
        target_team=team,
        reroute_after_hours=1,
    )
    lead = factories.LeadFactory(
        owner_user=rep, business_unit=org.north, source=LeadSource.WEB
    )
    first = route_lead(lead=lead, by=rep)
    LeadAssignment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    tick(timezone.now())
    lead.refresh_from_db()
    assert lead.owner_user == first.assigned_user  # only queued so far
    [result] = [r for r in run_queued_tasks() if r.task_path == REROUTE]
    assert result.return_value == {"rerouted": 1, "skipped": 0}
    lead.refresh_from_db()
    assert lead.owner_user in {ana, ben} - {first.assigned_user}


def test_other_task_backends_get_the_job_after_commit(
    db, settings, django_capture_on_commit_callbacks
):
    """The tests' immediate backend (a stand-in for queues outside the database):
    the task is queued once the run row has committed, and its id recorded."""
    settings.TIME_ZONE = "UTC"
    settings.LEADSITE_SCHEDULES = NIGHTLY
    with django_capture_on_commit_callbacks(execute=True):
        [run] = tick(at(10, 2))
        assert not ScoreRebuild.objects.exists()
    assert ScoreRebuild.objects.get().status == RebuildStatus.DONE
    run.refresh_from_db()
    assert run.task_id and not run.joined


# --- several schedulers ---------------------------------------------------------------


@on_postgresql
def test_two_schedulers_racing_queue_each_run_once(queue):
    """Two schedulers tick at the same moment on their own connections, three due
    times in a row: each job is queued once per due time, and both come back."""
    # Every job at 02:00 (the digest catching up yesterday's 07:00, the consent
    # check yesterday's 03:30, the retention run yesterday's 04:00); at 02:15 and
    # 02:30 the re-route, the webhooks sweep, the reminders, the email sweep, the
    # mailbox poll (its latest two-minute time), the source report's refresh (its
    # latest ten-minute time) and the every-minute resume of stalled imports.
    for moment, due in ((at(10, 2), 11), (at(10, 2, 15), 7), (at(10, 2, 30), 7)):
        outcomes = run_together(lambda m=moment: tick(m), lambda m=moment: tick(m))
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        started = [run for _, value in outcomes for run in value]
        assert len(started) == due
        assert len({run.job for run in started}) == due
        due_times = {run.due_at for run in started}
        assert ScheduledRun.objects.filter(due_at__in=due_times).count() == due
        assert len(queued_tasks()) == due
        run_queued_tasks()
    assert DBTaskResult.objects.count() == 11 + 7 + 7


@on_postgresql
def test_run_scheduler_process_queues_the_jobs_and_stops_on_sigterm():
    """`manage.py run_scheduler` as `make run` starts it: at its start it queues the
    latest due time of every job (a first start catches up once); SIGTERM stops it."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler"],
        cwd=BASE_DIR,
        env=clean_env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while ScheduledRun.objects.count() < len(JOBS) and scheduler.poll() is None:
            assert time.monotonic() < deadline, "the scheduler queued nothing"
            time.sleep(0.1)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=30)
    assert scheduler.returncode == 0, err
    assert "Scheduler stopped." in out
    assert sorted(ScheduledRun.objects.values_list("job", flat=True)) == JOBS
    assert sorted(
        DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    ) == sorted(TASKS)


def test_the_admin_lists_the_runs_read_only(db, queue, admin_client):
    """What the schedulers queued, for a superuser; runs are not added or deleted by
    hand (a deleted run would be queued again)."""
    tick(at(10, 2))
    page = admin_client.get("/admin/scheduling/scheduledrun/")
    assert page.status_code == 200
    for run in ScheduledRun.objects.all():
        assert run.task_id in page.content.decode()
    assert admin_client.get("/admin/scheduling/scheduledrun/add/").status_code == 403
    delete = f"/admin/scheduling/scheduledrun/{run.pk}/delete/"
    assert admin_client.get(delete).status_code == 403
