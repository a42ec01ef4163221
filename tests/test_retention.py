"""Retention (privacy.services.retention): disqualified leads past their period are
anonymised (or deleted), closed activities and email bodies cleared, import files
and webhook delivery logs removed, on a controlled clock; legal holds keep records
and are counted; a dry run counts exactly what a run does and changes nothing; each
run is logged without personal values; the source report keeps its numbers; only
administrators reach the page."""

import json
from importlib import import_module

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from leads.exceptions import TransitionRefused
from leads.models import (
    Activity,
    ActivityKind,
    ActivityState,
    Attachment,
    Direction,
    EmailMessage,
    EmailState,
    ImportBatch,
    ImportRow,
    ImportStatus,
    Lead,
    LeadSource,
    LeadStatus,
    Note,
    RowOutcome,
)
from leads.reports import source_performance_report
from leads.selectors.imports.batches import progress as import_progress
from leads.services.imports.undo import undo_import
from leadsite.core.services import service_context
from privacy.models import (
    ANONYMISED,
    REMOVED,
    LeadRetentionAction,
    LegalHold,
    RetentionPolicy,
    RetentionRun,
    RunTrigger,
)
from privacy.models.retention import RETENTION_INDEXES
from privacy.selectors.retention import due_leads, preview_retention
from privacy.services.retention import apply_retention, update_retention_policy
from privacy.tasks import apply_retention as apply_retention_task
from tests import factories
from tests.support import D, disqualified_lead_at, snapshot
from webhooks.models import Attempt, Delivery, DeliveryStatus, Event, Subscription

LEADS = "disqualified_leads"
ACTIVITIES = "closed_activities"
EMAILS = "email_bodies"
IMPORTS = "import_files"
WEBHOOKS = "webhook_logs"


@pytest.fixture
def now():
    return timezone.now()


def _policy(by, **days):
    fields = {
        "disqualified_leads_days": None,
        "disqualified_leads_action": LeadRetentionAction.ANONYMISE,
        "closed_activities_days": None,
        "email_bodies_days": None,
        "import_files_days": None,
        "webhook_logs_days": None,
    }
    fields.update(days)
    return update_retention_policy(by=by, **fields)


def _closed_lead(owner, now, days_ago, **fields):
    """A disqualified (lost) lead, closed `days_ago` days before `now`."""
    status = fields.pop("status", LeadStatus.LOST)
    return disqualified_lead_at(owner, now - (days_ago + 1) * D, status, **fields)


def _hold(record, by):
    field = "lead" if isinstance(record, Lead) else "contact"
    return LegalHold.objects.create(**{field: record}, reason="Litigation", set_by=by)


def _run(administrator, now, capture, **kwargs):
    with capture(execute=True):
        return apply_retention(
            by=administrator, trigger=RunTrigger.PAGE, now=now, **kwargs
        )


# --- disqualified leads --------------------------------------------------------------


def test_leads_disqualified_past_the_period_are_anonymised_recent_ones_stay(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    old = _closed_lead(
        rep,
        now,
        400,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        mobile_phone="+44 20 7946 0958",
        address_line1="12 St James's Square",
        city="London",
        country="United Kingdom",
        description="Met at the Analytical Engine fair",
        source=LeadSource.SEMINAR,
    )
    recent = _closed_lead(rep, now, 10, last_name="Babbage")
    open_old = factories.LeadFactory(owner_user=rep, created_at=now - 500 * D)
    note = factories.NoteFactory(lead=old, text="Ada's private number")
    attachment = factories.AttachmentFactory(lead=old)
    stored = attachment.file.name
    activity = factories.ActivityFactory(lead=old, owner=rep, subject="Call Ada")
    before = Lead.objects.values().get(pk=old.pk)
    _policy(administrator, disqualified_leads_days=365)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {LEADS: {"done": 1, "held": 0}}
    after = Lead.objects.values().get(pk=old.pk)
    assert (after["last_name"], after["subject"]) == (ANONYMISED, ANONYMISED)
    for name in ["first_name", "email", "mobile_phone", "address_line1", "city"]:
        assert after[name] == "", name
    assert after["description"] == ""
    # What reports count stays: source, status, dates, amounts, owner, country.
    for name in [
        "source",
        "state",
        "status",
        "created_at",
        "closed_at",
        "estimated_value",
        "owner_user_id",
        "business_unit_id",
        "campaign_id",
        "country",
    ]:
        assert after[name] == before[name], name
    assert after["version"] == before["version"] + 1
    assert not Note.objects.filter(pk=note.pk).exists()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(stored)
    assert Activity.objects.get(pk=activity.pk).subject == REMOVED
    # The change history holds no old value either.
    history = json.dumps(
        list(Lead.history.model.objects.filter(id=old.pk).values()), default=str
    )
    assert "Lovelace" not in history and "ada@example.org" not in history
    assert Lead.objects.get(pk=recent.pk).last_name == "Babbage"
    assert Lead.objects.get(pk=open_old.pk).last_name == open_old.last_name
    # Nothing left to do: a second run finds nothing due.
    again = _run(administrator, now, django_capture_on_commit_callbacks)
    assert again.counts == {LEADS: {"done": 0, "held": 0}}


def test_a_lead_under_a_legal_hold_is_skipped_and_counted_until_released(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    held = _closed_lead(rep, now, 400, last_name="Held")
    free = _closed_lead(rep, now, 400, last_name="Free")
    hold = _hold(held, administrator)
    _policy(administrator, disqualified_leads_days=365)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {LEADS: {"done": 1, "held": 1}}
    assert Lead.objects.get(pk=held.pk).last_name == "Held"
    assert Lead.objects.get(pk=free.pk).last_name == ANONYMISED
    hold.released_at, hold.released_by = now, administrator
    hold.save()
    run = _run(administrator, now, django_capture_on_commit_callbacks)
    assert run.counts == {LEADS: {"done": 1, "held": 0}}
    assert Lead.objects.get(pk=held.pk).last_name == ANONYMISED


def test_leads_are_taken_in_batches_until_none_is_due(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    leads = [_closed_lead(rep, now, 400 + n) for n in range(5)]
    _policy(administrator, disqualified_leads_days=365)
    run = _run(administrator, now, django_capture_on_commit_callbacks, batch_size=2)
    assert run.counts[LEADS]["done"] == 5
    assert set(
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list(
            "last_name", flat=True
        )
    ) == {ANONYMISED}


def test_delete_removes_the_lead_its_merged_leads_timeline_and_history(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    master = _closed_lead(rep, now, 300, last_name="Master")
    merged = _closed_lead(rep, now, 400, last_name="Merged", status=LeadStatus.CANCELED)
    Lead.objects.filter(pk=merged.pk).update(merged=True, master=master)
    # A master whose merged lead is still recent waits for it.
    waiting = _closed_lead(rep, now, 400, last_name="Waiting")
    young = _closed_lead(rep, now, 10, last_name="Young")
    Lead.objects.filter(pk=young.pk).update(merged=True, master=waiting)
    held = _closed_lead(rep, now, 400, last_name="Held")
    _hold(held, administrator)
    attachment = factories.AttachmentFactory(lead=master)
    stored = attachment.file.name
    factories.ActivityFactory(lead=merged, owner=rep)
    _policy(
        administrator,
        disqualified_leads_days=200,
        disqualified_leads_action=LeadRetentionAction.DELETE,
    )
    assert preview_retention(now=now)[LEADS] == {"done": 2, "held": 1}

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {LEADS: {"done": 2, "held": 1}}
    assert run.lead_action == LeadRetentionAction.DELETE
    gone = [master.pk, merged.pk]
    assert not Lead.objects.filter(pk__in=gone).exists()
    assert not Lead.history.model.objects.filter(id__in=gone).exists()
    assert not Activity.objects.filter(lead_id__in=gone).exists()
    assert not default_storage.exists(stored)
    assert set(Lead.objects.values_list("last_name", flat=True)) == {
        "Waiting",
        "Young",
        "Held",
    }


def test_anonymising_keeps_every_number_of_the_source_report(
    source_report_data, administrator, now, django_capture_on_commit_callbacks
):
    """The fixture's lost, cancelled, merged and cannot-contact leads were closed
    nine days ago; a five-day period anonymises them all."""

    def numbers():
        rows = []
        for straight in (False, True):
            report = source_performance_report(user=administrator, straight=straight)
            rows.append(
                (
                    [
                        (r.label, r.sums, r.qualify_days, r.work_hours)
                        for r in report.rows
                    ],
                    report.total.sums,
                    report.trend,
                )
            )
        assert rows[0] == rows[1]  # the summary equals the straight computation
        return rows[0]

    before = numbers()
    _policy(administrator, disqualified_leads_days=5)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts[LEADS]["done"] == 5
    assert Lead.objects.filter(last_name=ANONYMISED).count() == 5
    assert numbers() == before


# --- the other kinds -----------------------------------------------------------------


def test_closed_activities_lose_their_content_open_and_recent_ones_keep_it(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    lead = factories.LeadFactory(owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep)

    def activity(subject, state, days_ago, **fields):
        moment = now - days_ago * D
        return factories.ActivityFactory(
            lead=fields.pop("lead", lead),
            owner=rep,
            subject=subject,
            description="Talked about the budget",
            state=state,
            created_at=moment,
            completed_at=moment if state == ActivityState.COMPLETED else None,
            **fields,
        )

    done_old = activity("Old call", ActivityState.COMPLETED, 400)
    canceled_old = activity("Old meeting", ActivityState.CANCELED, 400)
    open_old = activity("Open task", ActivityState.OPEN, 400)
    done_recent = activity("Recent call", ActivityState.COMPLETED, 10)
    held = activity(
        "Held call", ActivityState.COMPLETED, 400, lead=None, contact=contact
    )
    _hold(contact, administrator)
    _policy(administrator, closed_activities_days=365)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {ACTIVITIES: {"done": 2, "held": 1}}
    for item in (done_old, canceled_old):
        item.refresh_from_db()
        assert (item.subject, item.description) == (REMOVED, "")
        assert item.state in (ActivityState.COMPLETED, ActivityState.CANCELED)
    done_old.refresh_from_db()
    assert done_old.completed_at == now - 400 * D  # the timeline keeps its dates
    for item in (open_old, done_recent, held):
        item.refresh_from_db()
        assert item.description == "Talked about the budget"


def _email(lead, owner, state, days_ago, now):
    with service_context("tests.retention_email"):
        activity = factories.ActivityFactory(
            lead=lead,
            owner=owner,
            kind=ActivityKind.EMAIL,
            description="Dear Ada, about your budget",
            state=ActivityState.COMPLETED,
            completed_at=now - days_ago * D,
        )
        return EmailMessage.objects.create(
            activity=activity,
            lead=lead,
            direction=Direction.OUTGOING,
            state=state,
            from_address="crm@example.com",
            to_address="ada@example.org",
            subject="Your budget",
            body="Dear Ada, about your budget",
            message_id=f"<retention-{activity.pk}@example.com>",
            queued_at=now - days_ago * D,
        )


def test_email_bodies_past_the_period_are_cleared_queued_ones_stay(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    lead = factories.LeadFactory(owner_user=rep)
    sent_old = _email(lead, rep, EmailState.SENT, 200, now)
    queued_old = _email(lead, rep, EmailState.QUEUED, 200, now)
    sent_recent = _email(lead, rep, EmailState.SENT, 5, now)
    _policy(administrator, email_bodies_days=90)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {EMAILS: {"done": 1, "held": 0}}
    sent_old.refresh_from_db()
    assert sent_old.body == ""
    assert (sent_old.subject, sent_old.to_address) == ("Your budget", "ada@example.org")
    assert Activity.objects.get(pk=sent_old.activity_id).description == ""
    for email in (queued_old, sent_recent):
        email.refresh_from_db()
        assert email.body == "Dear Ada, about your budget"


def _batch(owner, now, days_ago, status=ImportStatus.DONE, rows=()):
    with service_context("tests.retention_import"):
        batch = ImportBatch(
            created_by=owner,
            original_name="leads.csv",
            file_format="csv",
            status=status,
            total_rows=len(rows),
            created_count=len(rows),
            finished_at=now - days_ago * D,
        )
        batch.file.save("leads.csv", ContentFile(b"last_name\nLovelace\n"), save=False)
        batch.save()
        for line, lead in enumerate(rows, start=2):
            ImportRow.objects.create(
                batch=batch,
                line=line,
                outcome=RowOutcome.CREATED,
                lead=lead,
                applied={"last_name": lead.last_name},
            )
    return batch


def test_import_files_of_finished_imports_leave_storage_their_summary_stays(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    lead = factories.LeadFactory(owner_user=rep)
    held_lead = factories.LeadFactory(owner_user=rep)
    old = _batch(administrator, now, 100, rows=[lead])
    stored = old.file.name
    recent = _batch(administrator, now, 5)
    running = _batch(administrator, now, 100, status=ImportStatus.RUNNING)
    held = _batch(administrator, now, 100, rows=[held_lead])
    _hold(held_lead, administrator)
    assert default_storage.exists(stored)
    _policy(administrator, import_files_days=30)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {IMPORTS: {"done": 1, "held": 1}}
    old.refresh_from_db()
    assert old.file.name == ""
    assert not default_storage.exists(stored)
    assert not ImportRow.objects.filter(batch=old).exists()
    assert (old.status, old.created_count, old.total_rows) == (ImportStatus.DONE, 1, 1)
    for batch in (recent, running, held):
        batch.refresh_from_db()
        assert default_storage.exists(batch.file.name)
    assert ImportRow.objects.filter(batch=held).count() == 1


def test_an_import_whose_file_retention_removed_offers_no_undo(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    old = _batch(administrator, now, 100, rows=[factories.LeadFactory(owner_user=rep)])
    assert import_progress(old)["can_undo"]
    _policy(administrator, import_files_days=30)

    _run(administrator, now, django_capture_on_commit_callbacks)

    old.refresh_from_db()
    assert not import_progress(old)["can_undo"]
    with pytest.raises(TransitionRefused, match="nothing left to undo"):
        undo_import(batch=old, by=administrator)
    old.refresh_from_db()
    assert old.status == ImportStatus.DONE


def _delivery(subscription, status, days_ago, now, *, about=None):
    created = now - days_ago * D
    with service_context("tests.retention_webhooks"):
        event = Event.objects.create(
            type="lead.updated",
            object_type="leads.lead" if about else "",
            object_id=about.pk if about else None,
            body=json.dumps({"last_name": "Lovelace"}),
            created_at=created,
            dispatched_at=created,
        )
        delivery = Delivery.objects.create(
            event=event, subscription=subscription, status=status, created_at=created
        )
        Attempt.objects.create(delivery=delivery, number=1, started_at=created)
    return delivery


def test_webhook_delivery_logs_past_the_period_are_deleted(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    with service_context("tests.retention_webhooks"):
        subscription = Subscription.objects.create(
            owner=administrator, url="https://example.com/hook", events=["lead.updated"]
        )
    held_lead = factories.LeadFactory(owner_user=rep)
    _hold(held_lead, administrator)
    old = _delivery(subscription, DeliveryStatus.SUCCEEDED, 60, now)
    failed = _delivery(subscription, DeliveryStatus.FAILED, 60, now)
    pending = _delivery(subscription, DeliveryStatus.PENDING, 60, now)
    recent = _delivery(subscription, DeliveryStatus.SUCCEEDED, 5, now)
    held = _delivery(subscription, DeliveryStatus.SUCCEEDED, 60, now, about=held_lead)
    _policy(administrator, webhook_logs_days=30)

    run = _run(administrator, now, django_capture_on_commit_callbacks)

    assert run.counts == {WEBHOOKS: {"done": 2, "held": 1}}
    kept = {pending.pk, recent.pk, held.pk}
    assert set(Delivery.objects.values_list("pk", flat=True)) == kept
    assert set(Attempt.objects.values_list("delivery_id", flat=True)) == kept
    # The events left without deliveries go too (their body copies the record).
    assert not Event.objects.filter(pk__in=[old.event_id, failed.event_id]).exists()
    assert Event.objects.count() == 3


# --- dry run, log, schedule, command -------------------------------------------------


@pytest.fixture
def world(rep, administrator, now):
    """Something due of every kind, and something held."""
    lead = _closed_lead(rep, now, 400, email="ada@example.org", last_name="Lovelace")
    held = _closed_lead(rep, now, 400)
    _hold(held, administrator)
    factories.AttachmentFactory(lead=lead)
    other = factories.LeadFactory(owner_user=rep)
    for regarding in (lead, other):
        factories.ActivityFactory(
            lead=regarding,
            owner=rep,
            state=ActivityState.COMPLETED,
            completed_at=now - 400 * D,
        )
        # Sent long ago: its text is due, and its (completed) activity too.
        _email(regarding, rep, EmailState.SENT, 400, now)
    _batch(administrator, now, 400, rows=[lead])
    with service_context("tests.retention_webhooks"):
        subscription = Subscription.objects.create(
            owner=administrator, url="https://example.com/hook", events=["lead.updated"]
        )
    _delivery(subscription, DeliveryStatus.SUCCEEDED, 400, now)
    return _policy(
        administrator,
        disqualified_leads_days=365,
        closed_activities_days=365,
        email_bodies_days=365,
        import_files_days=365,
        webhook_logs_days=365,
    )


EXPECTED = {
    LEADS: {"done": 1, "held": 1},
    # Each kind counts its own, the due lead's included (the lead comes last).
    ACTIVITIES: {"done": 4, "held": 0},
    EMAILS: {"done": 2, "held": 0},
    IMPORTS: {"done": 1, "held": 0},
    WEBHOOKS: {"done": 1, "held": 0},
}


def _everything():
    rows = snapshot()
    for model in (Event, Delivery, Attempt, RetentionRun, RetentionPolicy, LegalHold):
        rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


def test_a_dry_run_counts_what_a_run_does_and_changes_nothing(
    world, administrator, now, django_capture_on_commit_callbacks
):
    files = sorted(default_storage.listdir("attachments")[0])
    before = _everything()

    preview = preview_retention(now=now)

    assert _everything() == before
    assert sorted(default_storage.listdir("attachments")[0]) == files
    assert preview == EXPECTED
    run = _run(administrator, now, django_capture_on_commit_callbacks)
    assert run.counts == preview


def test_a_run_is_logged_with_counts_and_no_personal_value(
    world, administrator, now, django_capture_on_commit_callbacks
):
    run = _run(administrator, now, django_capture_on_commit_callbacks)
    logged = RetentionRun.objects.get()
    assert logged == run
    assert (logged.started_by, logged.trigger) == (administrator, RunTrigger.PAGE)
    assert logged.started_at == now and logged.finished_at is not None
    assert logged.periods[LEADS] == 365 and logged.error == ""
    assert set(logged.counts) == set(EXPECTED)
    text = json.dumps([logged.periods, logged.counts, logged.error, logged.lead_action])
    assert "ada" not in text.lower() and "lovelace" not in text.lower()


def test_no_period_means_nothing_goes(
    rep, administrator, now, django_capture_on_commit_callbacks
):
    lead = _closed_lead(rep, now, 4000)
    run = _run(administrator, now, django_capture_on_commit_callbacks)
    assert run.counts == {}
    assert Lead.objects.get(pk=lead.pk).last_name == lead.last_name


def test_the_scheduled_task_applies_the_policy_as_the_scheduler(
    rep, administrator, settings
):
    lead = _closed_lead(rep, timezone.now(), 400)
    _policy(administrator, disqualified_leads_days=365)
    assert "privacy.tasks.apply_retention" in {
        job["task"] for job in settings.LEADSITE_SCHEDULES.values()
    }
    assert apply_retention_task.call() == {LEADS: {"done": 1, "held": 0}}
    run = RetentionRun.objects.get()
    assert (run.started_by, run.trigger) == (None, RunTrigger.SCHEDULE)
    assert Lead.objects.get(pk=lead.pk).last_name == ANONYMISED


def test_the_command_counts_with_dry_run_and_applies_without(
    rep, administrator, capsys
):
    lead = _closed_lead(rep, timezone.now(), 400)
    _policy(administrator, disqualified_leads_days=365)
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "Disqualified leads: 1 to go, 0 held" in out
    assert "nothing was changed" in out
    assert not RetentionRun.objects.exists()
    assert Lead.objects.get(pk=lead.pk).last_name == lead.last_name
    call_command("apply_retention")
    assert "Disqualified leads: 1 done, 0 held" in capsys.readouterr().out
    assert RetentionRun.objects.get().trigger == RunTrigger.COMMAND
    assert Lead.objects.get(pk=lead.pk).last_name == ANONYMISED


def test_only_administrators_change_the_policy_or_run_it(rep, manager):
    for user in (rep, manager):
        with pytest.raises(PermissionDenied, match="administrators"):
            _policy(user, disqualified_leads_days=30)
        with pytest.raises(PermissionDenied, match="administrators"):
            apply_retention(by=user)
    assert not RetentionPolicy.objects.exists()


def test_migration_indexes_are_the_models(db):
    """The partial indexes privacy 0002 creates are the ones the runs are written for."""
    migration = import_module("privacy.migrations.0002_retention")
    assert migration.INDEXES == RETENTION_INDEXES
    catalogue = (
        "SELECT indexname FROM pg_indexes"
        if connection.vendor == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    with connection.cursor() as cursor:
        cursor.execute(catalogue)
        found = {row[0] for row in cursor.fetchall()}
    assert {name for name, *_ in RETENTION_INDEXES} <= found


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan of PostgreSQL is checked"
)
def test_due_leads_are_read_through_the_partial_index(rep, now):
    _closed_lead(rep, now, 400)
    todo = due_leads(cutoff=now - 365 * D, action=LeadRetentionAction.ANONYMISE).todo
    # As a run reads a batch (privacy.services.retention._in_batches).
    batch = todo.order_by().values_list("pk", flat=True)[:1000]
    sql, params = batch.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "privacy_lead_retention" in plan


# --- the page ------------------------------------------------------------------------


URLS = [
    ("get", "/privacy/retention/"),
    ("post", "/privacy/retention/"),
    ("post", "/privacy/retention/dry-run/"),
    ("post", "/privacy/retention/run/"),
    ("get", "/privacy/retention/exports/"),
]


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_pages_are_missing_for_anyone_but_administrators(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for method, url in URLS:
        assert getattr(client, method)(url).status_code == 404, url
    assert not RetentionRun.objects.exists()
    assert not RetentionPolicy.objects.exists()


def test_visitors_are_sent_to_log_in(client, db):
    response = client.get("/privacy/retention/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_administrator_saves_the_policy(admin_client_, administrator):
    page = admin_client_.get("/privacy/retention/")
    assert page.status_code == 200
    assert 'id="retention-form"' in page.content.decode()
    response = admin_client_.post(
        "/privacy/retention/",
        {
            "disqualified_leads_days": "730",
            "disqualified_leads_action": "delete",
            "closed_activities_days": "",
            "email_bodies_days": "180",
            "import_files_days": "30",
            "webhook_logs_days": "90",
        },
    )
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get()
    assert policy.disqualified_leads_days == 730
    assert policy.disqualified_leads_action == LeadRetentionAction.DELETE
    assert policy.closed_activities_days is None
    assert (policy.modified_by, policy.email_bodies_days) == (administrator, 180)
    refused = admin_client_.post(
        "/privacy/retention/",
        {"disqualified_leads_days": "0", "disqualified_leads_action": "anonymise"},
    )
    assert refused.status_code == 200
    assert RetentionPolicy.objects.get().disqualified_leads_days == 730


def test_the_dry_run_button_shows_the_counts_and_changes_nothing(
    admin_client_, rep, administrator
):
    now = timezone.now()
    lead = _closed_lead(rep, now, 400)
    _hold(_closed_lead(rep, now, 400), administrator)
    _policy(administrator, disqualified_leads_days=365)
    before = _everything()
    response = admin_client_.post("/privacy/retention/dry-run/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="retention-preview"' in html
    assert (
        '<td>Disqualified leads</td><td class="num">1</td><td class="num">1</td>'
        in html
    )
    assert _everything() == before
    assert Lead.objects.get(pk=lead.pk).last_name == lead.last_name


def test_run_now_applies_the_policy_and_the_run_is_listed(
    admin_client_, rep, administrator
):
    lead = _closed_lead(rep, timezone.now(), 400)
    _policy(administrator, disqualified_leads_days=365)
    response = admin_client_.post("/privacy/retention/run/")
    assert response.status_code == 302
    run = RetentionRun.objects.get()
    assert (run.started_by, run.trigger) == (administrator, RunTrigger.PAGE)
    assert Lead.objects.get(pk=lead.pk).last_name == ANONYMISED
    page = admin_client_.get("/privacy/retention/").content.decode()
    assert 'id="retention-runs"' in page
    assert "Disqualified leads: 1 (0)" in page
