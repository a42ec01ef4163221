"""The lead page with a short and a long timeline, and the qualify POST."""

import datetime
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from leads.management.bench import scenario
from leads.management.bench.core import _Rollback
from leads.management.seeding.tables import Table
from leads.models import Activity, ActivityKind, ActivityState, Lead, LeadState, Note


def _reps_open_lead(bench, **filters):
    lead = (
        Lead.objects.filter(
            owner_user=bench.users["rep"], state=LeadState.OPEN, **filters
        )
        .order_by("-created_at")
        .first()
    )
    if lead is None:
        raise LookupError("the rep owns no open lead: seed first")
    return lead


@contextmanager
def timeline_of(lead, items):
    """`lead` with exactly `items` timeline items (activities and notes, three to
    one) for the duration of the block; rolled back afterwards."""
    try:
        with transaction.atomic():
            have = (
                Activity.objects.filter(lead=lead).count()
                + Note.objects.filter(lead=lead).count()
            )
            now = timezone.now()
            owner = lead.owner_user_id
            rows = [
                {
                    "lead_id": lead.pk,
                    "kind": ActivityKind.PHONE_CALL.value,
                    "subject": f"Call {n}",
                    "state": ActivityState.COMPLETED.value,
                    "completed_at": now - datetime.timedelta(hours=n),
                    "due_at": now - datetime.timedelta(hours=n),
                    "owner_id": owner,
                    "created_by_id": owner,
                    "created_at": now - datetime.timedelta(hours=n),
                }
                for n in range(max(0, items - have))
            ]
            notes = [
                {
                    "lead_id": lead.pk,
                    "title": f"Note {n}",
                    "text": "Talked about the budget and the timeline.",
                    "created_by_id": owner,
                    "created_at": row["created_at"],
                }
                for n, row in enumerate(rows)
                if n % 4 == 3
            ]
            activities = [row for n, row in enumerate(rows) if n % 4 != 3]
            Table(Activity, now=now).write(activities)
            Table(Note, now=now).write(notes)
            yield lead
            raise _Rollback
    except _Rollback:
        pass


def _detail_floor(lead):
    return [
        (
            "SELECT l.*, u.username, u.first_name, u.last_name, b.name, c.name "
            "FROM leads_lead l LEFT JOIN accounts_user u ON u.id = l.owner_user_id "
            "LEFT JOIN accounts_businessunit b ON b.id = l.business_unit_id "
            "LEFT JOIN leads_campaign c ON c.id = l.campaign_id WHERE l.id = %s",
            [lead.pk],
        ),
        (
            "SELECT a.id, a.kind, a.subject, a.state, a.due_at, a.completed_at, "
            "a.created_at, u.first_name, u.last_name FROM leads_activity a "
            "LEFT JOIN accounts_user u ON u.id = a.owner_id "
            "WHERE a.lead_id = %s ORDER BY a.created_at DESC",
            [lead.pk],
        ),
        (
            "SELECT id, title, text, created_at, created_by_id FROM leads_note "
            "WHERE lead_id = %s ORDER BY created_at DESC",
            [lead.pk],
        ),
        (
            "SELECT id, original_name, size, created_at FROM leads_attachment "
            "WHERE lead_id = %s ORDER BY created_at DESC",
            [lead.pk],
        ),
    ]


def _detail(bench, items):
    with timeline_of(_reps_open_lead(bench), items) as lead:
        url = f"/leads/{lead.pk}/"
        return {**bench.get("rep", url, floor=_detail_floor(lead)), "items": items}


@scenario("lead_detail")
def lead_detail(bench):
    return _detail(bench, 20)


@scenario("lead_detail_200_items")
def lead_detail_200_items(bench):
    return _detail(bench, 200)


@scenario("qualify")
def qualify(bench):
    """The qualify form's POST (account, contact and opportunity created), each run
    rolled back; a write has no hand-written floor."""
    lead = _reps_open_lead(bench, company_name__gt="")
    data = {
        "create_account": "on",
        "create_contact": "on",
        "create_opportunity": "on",
        "status_reason": "3",
        # The form offers active campaigns only.
        "campaign": lead.campaign_id
        if lead.campaign and lead.campaign.is_active
        else "",
        "description": "",
    }
    return bench.post("rep", f"/leads/{lead.pk}/qualify/", data)
