"""The scoring frequency tables stay equal to a brute-force recount (written here in
Python, apart from the SQL the app counts with) through random sequences of
qualify, disqualify, reactivate, merge, an import of closed leads and its undo; and
the nightly rebuild's recount gives the same tables. Runs on SQLite and, with
DATABASE_URL, PostgreSQL."""

import datetime
import random
import re
import threading
from decimal import Decimal

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts.permissions import ADMINISTRATOR
from leads.models import (
    TOTAL,
    Lead,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    ScoreCount,
    ScoreRebuild,
)
from leads.services.lifecycle import assign_lead, disqualify_lead, reactivate_lead
from leads.services.merge import merge_leads
from leads.services.qualification import qualify_lead
from leads.services.scoring import rebuild_scores, request_rebuild
from tests import factories
from tests.import_helpers import latest_batch, start, undo, upload
from tests.support import ensure_roles, on_postgresql, run_together, user_in
from tests.task_worker import DATABASE_TASKS

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _band(number, bands, top):
    if number is None:
        return ""
    for limit, label in bands:
        if number < limit:
            return label
    return top


def _text(value):
    return "" if value is None else str(value)


def brute_features(lead):
    """What the model says it counts (leads.selectors.scoring's docstring),
    computed from the lead's attributes."""
    reference = lead.closed_at
    first = lead.first_activity_at
    if first is not None and first <= reference:
        age = first - lead.created_at
        contact = (
            "day"
            if age < datetime.timedelta(days=1)
            else "3days"
            if age < datetime.timedelta(days=3)
            else "later"
        )
    elif lead.created_at > reference - datetime.timedelta(days=3):
        contact = "pending"
    else:
        contact = "none"
    digits = [lead.business_phone_digits, lead.mobile_phone_digits]
    phone = (
        "missing"
        if not any(digits)
        else "valid"
        if any(re.fullmatch(r"[0-9]{7,}", d) for d in digits)
        else "short"
    )
    return {
        "source": _text(lead.source),
        "campaign": _text(lead.campaign_id),
        "capture_form": _text(lead.capture_form_id),
        "industry": _text(lead.industry),
        "employees": _band(
            lead.number_of_employees,
            [(10, "1-9"), (50, "10-49"), (250, "50-249"), (1000, "250-999")],
            "1000+",
        ),
        "value": _band(
            lead.estimated_value,
            [(10_000, "<10k"), (50_000, "10k-50k"), (250_000, "50k-250k")],
            "250k+",
        ),
        "country": lead.country,
        "rating": _text(lead.rating),
        "budget_status": _text(lead.budget_status),
        "purchase_timeframe": _text(lead.purchase_timeframe),
        "purchase_process": _text(lead.purchase_process),
        "decision_maker": "yes" if lead.decision_maker else "no",
        "need": _text(lead.need),
        "email": "missing"
        if not lead.email
        else "valid"
        if EMAIL.match(lead.email)
        else "malformed",
        "phone": phone,
        "first_contact": contact,
    }


def brute_force_tables():
    table = {}
    closed = Lead.objects.filter(
        state__in=[LeadState.QUALIFIED, LeadState.DISQUALIFIED], merged=False
    ).exclude(status=LeadStatus.CANCELED)
    for lead in closed:
        outcome = 0 if lead.state == LeadState.QUALIFIED else 1
        pairs = [TOTAL, *brute_features(lead).items()]
        for scope in (lead.business_unit_id, 0):
            for name, value in pairs:
                cell = table.setdefault((scope, name, value), [0, 0])
                cell[outcome] += 1
    return {key: tuple(cell) for key, cell in table.items()}


def stored_tables():
    return {
        (c.scope, c.field, c.value): (c.qualified, c.disqualified)
        for c in ScoreCount.objects.all()
        if c.qualified or c.disqualified
    }


def _random_lead(rnd, owner, campaigns):
    created = timezone.now() - datetime.timedelta(days=rnd.randint(0, 30))
    first = rnd.choice(
        [None, created + datetime.timedelta(hours=rnd.choice([2, 30, 100, 400]))]
    )
    return factories.LeadFactory(
        owner_user=owner,
        business_unit=owner.business_unit,
        created_at=created,
        first_activity_at=first if first and first < timezone.now() else None,
        source=rnd.choice([None, *LeadSource.values]),
        rating=rnd.choice(LeadRating.values),
        campaign=rnd.choice([None, *campaigns]),
        industry=rnd.choice([None, 1, 2, 3]),
        number_of_employees=rnd.choice([None, 5, 40, 300, 5000]),
        estimated_value=rnd.choice([None, Decimal("500"), Decimal("90000")]),
        country=rnd.choice(["", "Germany", "France", "United States"]),
        decision_maker=rnd.choice([True, False]),
        email=rnd.choice(["", "a@b.example", "desk@localhost"]),
        business_phone=rnd.choice(["", "+41 44 123 45 67", "123"]),
        mobile_phone="",
    )


def _step(rnd, rep, manager):
    open_leads = list(Lead.objects.filter(state=LeadState.OPEN).order_by("pk"))
    closed = list(
        Lead.objects.exclude(state=LeadState.OPEN).filter(merged=False).order_by("pk")
    )
    action = rnd.choice(["qualify", "disqualify", "disqualify", "reactivate", "merge"])
    if action == "reactivate" and closed:
        reactivate_lead(lead=rnd.choice(closed), by=manager)
    elif action == "merge" and len(open_leads) >= 2:
        master, subordinate = rnd.sample(open_leads, 2)
        merge_leads(master=master, subordinate=subordinate, by=manager, field_values={})
    elif action == "qualify" and open_leads:
        qualify_lead(
            lead=rnd.choice(open_leads),
            by=manager,
            create_account=False,
            create_contact=False,
            create_opportunity=False,
        )
    elif open_leads:
        reason = rnd.choice(
            [LeadStatus.LOST, LeadStatus.CANNOT_CONTACT, LeadStatus.CANCELED]
        )
        disqualify_lead(lead=rnd.choice(open_leads), by=manager, reason=reason)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tables_equal_a_recount_after_random_closes_and_reopens(
    seed, rep, rep2, administrator, org
):
    manager = administrator  # sees every lead
    rnd = random.Random(seed)
    campaigns = [factories.CampaignFactory() for _ in range(3)]
    for _ in range(30):
        _random_lead(rnd, rnd.choice([rep, rep2]), campaigns)
    assert stored_tables() == {}, "open leads are not counted"
    for number in range(40):
        _step(rnd, rep, manager)
        if number % 10 == 9:
            assert stored_tables() == brute_force_tables()
    assert brute_force_tables(), "the sequence closed some leads"
    assert stored_tables() == brute_force_tables()

    # The rebuild recounts the same tables.
    ScoreCount.objects.all().delete()
    rebuild, _ = request_rebuild(by=manager)
    rebuild_scores(rebuild_id=rebuild.pk)
    assert ScoreRebuild.objects.get(pk=rebuild.pk).status == "done"
    assert stored_tables() == brute_force_tables()


IMPORTED = (
    "First Name,Last Name,Topic,Lead Source,Status Reason,Email,Country/Region\n"
    "Ada,Lovelace,Engines,Trade Show,Qualified,ada@example.org,United Kingdom\n"
    "Alan,Turing,Machines,Web,Lost,alan@localhost,United Kingdom\n"
    "Grace,Hopper,Compilers,Employee Referral,Cannot Contact,,United States\n"
    "Edsger,Dijkstra,Paths,Seminar,New,e@example.nl,Netherlands\n"
)


def test_an_import_of_closed_leads_counts_them_and_its_undo_takes_them_back(
    settings, manager_client, manager, rep
):
    settings.TASKS = DATABASE_TASKS
    rnd = random.Random(7)
    for _ in range(6):
        lead = _random_lead(rnd, rep, [])
        disqualify_lead(lead=lead, by=manager, reason=LeadStatus.LOST)
    before = stored_tables()
    assert before == brute_force_tables()

    upload(manager_client, SimpleUploadedFile("leads.csv", IMPORTED.encode()))
    batch = start(manager_client, latest_batch())
    assert batch.created_count == 4, batch.refusal
    after = stored_tables()
    assert after == brute_force_tables()
    assert after[(0, *TOTAL)][0] == before[(0, *TOTAL)][0] + 1  # Ada qualified
    assert after[(0, *TOTAL)][1] == before[(0, *TOTAL)][1] + 2

    undo(manager_client, batch)
    assert stored_tables() == before == brute_force_tables()


@on_postgresql
def test_closes_at_the_same_moment_all_count(org):
    """Eight leads closed by eight connections at once: every one is counted (no
    lost update of the shared rows, no deadlock between them)."""
    ensure_roles()
    boss = user_in(ADMINISTRATOR, business_unit=org.root)
    rnd = random.Random(11)
    leads = [_random_lead(rnd, boss, []) for _ in range(8)]
    outcomes = run_together(
        *[
            lambda lead=lead, n=n: (qualify_lead if n % 2 else disqualify_lead)(
                lead=Lead.objects.get(pk=lead.pk),
                by=boss,
                **(
                    {
                        "create_account": False,
                        "create_contact": False,
                        "create_opportunity": False,
                    }
                    if n % 2
                    else {"reason": LeadStatus.LOST}
                ),
            )
            for n, lead in enumerate(leads)
        ]
    )
    errors = [repr(value) for kind, value in outcomes if kind != "ok"]
    assert not errors, errors
    assert stored_tables()[(0, *TOTAL)] == (4, 4)
    assert stored_tables() == brute_force_tables()


def _other_connection():
    given = connection.settings_dict
    return psycopg.connect(
        dbname=given["NAME"],
        user=given["USER"],
        host=given["HOST"] or None,
        port=given["PORT"] or None,
        password=given["PASSWORD"] or None,
    )


def _key(row):
    return row["scope"], row["field"], row["value"]


@on_postgresql
def test_a_reopen_takes_the_table_rows_in_key_order_whatever_their_order_on_disk(org):
    """Two closes or reopens needing the same frequency-table rows take them in
    (scope, field, value) order, so they wait for each other and never deadlock (a
    CI run met "deadlock detected" on leads_scorecount: the UPDATE took its rows in
    the order its scan met them on disk). Here the rows lie on disk in reverse key
    order and another connection holds the first row in key order: the reopen
    waits there holding none of the others, so the last row stays free."""
    ensure_roles()
    boss = user_in(ADMINISTRATOR, business_unit=org.root)
    lead = _random_lead(random.Random(5), boss, [])
    disqualify_lead(lead=lead, by=boss, reason=LeadStatus.LOST)
    rows = sorted(ScoreCount.objects.values(), key=_key)
    ScoreCount.objects.all().delete()
    ScoreCount.objects.bulk_create([ScoreCount(**row) for row in reversed(rows)])
    moving = [row for row in rows if row["qualified"] or row["disqualified"]]
    first, last = moving[0], moving[-1]
    lock = (
        "SELECT 1 FROM leads_scorecount"
        " WHERE scope = %s AND field = %s AND value = %s FOR UPDATE"
    )

    holder, probe = _other_connection(), _other_connection()
    outcome = []
    thread = threading.Thread(
        target=lambda: outcome.extend(
            run_together(
                lambda: reactivate_lead(lead=Lead.objects.get(pk=lead.pk), by=boss)
            )
        )
    )
    try:
        holder.execute(lock, _key(first))
        thread.start()
        waiting = 0
        while not waiting and thread.is_alive():  # until the reopen waits on the row
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            probe.rollback()
            thread.join(timeout=0.05)
        assert waiting, "the reopen never waited for the held row"
        try:
            probe.execute(f"{lock} NOWAIT", _key(last))
        except psycopg.errors.LockNotAvailable:
            pytest.fail("the reopen took a later row before the first one")
        finally:
            probe.rollback()
    finally:
        holder.rollback()
        thread.join(timeout=30)
        holder.close()
        probe.close()
    assert [kind for kind, _ in outcome] == ["ok"], outcome
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert stored_tables() == brute_force_tables()


def test_an_older_score_never_replaces_a_newer_one_and_a_pin_stays_shown(rep):
    """leads.sql.write_scores: a rebuild's batch read before a save rescored the
    lead does not overwrite the save's score; a pinned score stays the one shown."""
    from leads.models import LeadScore
    from leads.sql import write_scores

    lead = factories.LeadFactory(owner_user=rep)
    now = timezone.now()
    write_scores(
        [(lead.pk, 40, "organisation", [], None)], scored_at=now, with_history=False
    )
    earlier = now - datetime.timedelta(seconds=5)
    write_scores(
        [(lead.pk, 90, "organisation", [], [["2026-01-01", 90]])],
        scored_at=earlier,
        with_history=True,
    )
    row = LeadScore.objects.get(lead=lead)
    assert (row.score, row.model_score, row.history) == (40, 40, [])
    LeadScore.objects.filter(lead=lead).update(pinned_score=77, pin_reason="Met them")
    later = now + datetime.timedelta(seconds=5)
    write_scores([(lead.pk, 55, "unit", [], None)], scored_at=later, with_history=False)
    row = LeadScore.objects.get(lead=lead)
    assert (row.score, row.model_score, row.scope) == (77, 55, "unit")


def _bulk_leads(owner, count):
    """Ids of `count` leads inserted in one statement, around the services."""
    made = Lead.objects.bulk_create(
        [
            Lead(
                subject="Bulk",
                last_name=f"Row {n}",
                owner_user=owner,
                business_unit=owner.business_unit,
            )
            for n in range(count)
        ]
    )
    return [lead.pk for lead in made]


def test_every_lead_has_its_score_row_however_it_is_written(rep, direct_writes):
    """The list sorted by score joins the score rows as an inner join: a lead
    inserted or deleted around the services (bulk, raw SQL) gains or loses its
    row all the same (leads 0009_lead_score_rows' triggers)."""
    from django.db import connection

    from leads.models import LeadScore

    ids = _bulk_leads(rep, 3)
    assert set(
        LeadScore.objects.filter(lead_id__in=ids).values_list("lead_id", flat=True)
    ) == set(ids)
    assert LeadScore.objects.get(lead_id=ids[0]).score is None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM leads_lead WHERE id = %s", [ids[0]])
    assert not LeadScore.objects.filter(lead_id=ids[0]).exists()
    assert LeadScore.objects.filter(lead_id__in=ids).count() == 2


def _copies(ids):
    """{lead id: [owner user id, state]} as the score rows have them."""
    from leads.models import LeadScore

    rows = LeadScore.objects.filter(lead_id__in=ids)
    return {
        pk: [owner, state]
        for pk, owner, state in rows.values_list("lead_id", "owner_user_id", "state")
    }


def test_each_score_row_copies_its_leads_owner_and_state_however_it_is_written(
    rep, rep2, direct_writes
):
    """The home page's "Call these first" reads a user's open leads from the score
    rows (index lead_score_owner_open): each row carries its lead's owner and state,
    from the insert on and after any write that changes them, services or not
    (leads 0018_lead_score_owner's triggers)."""
    from django.db import connection

    ids = _bulk_leads(rep, 3)
    assert _copies(ids) == {pk: [rep.pk, LeadState.OPEN] for pk in ids}
    Lead.objects.filter(pk=ids[0]).update(owner_user=rep2)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET state = %s, status = %s WHERE id = %s",
            [LeadState.DISQUALIFIED, LeadStatus.LOST, ids[1]],
        )
    Lead.objects.filter(pk=ids[2]).update(subject="Neither changes")
    assert _copies(ids) == {
        ids[0]: [rep2.pk, LeadState.OPEN],
        ids[1]: [rep.pk, LeadState.DISQUALIFIED],
        ids[2]: [rep.pk, LeadState.OPEN],
    }
    team = factories.TeamFactory(business_unit=rep.business_unit)
    team_lead = factories.LeadFactory(owner_user=None, owner_team=team)
    assert _copies([team_lead.pk]) == {team_lead.pk: [None, LeadState.OPEN]}


def test_the_services_keep_the_copies(rep, rep2, manager):
    """Assigning, qualifying and reactivating through the services move the
    copies with the lead."""
    lead = factories.LeadFactory(owner_user=rep)
    other = factories.LeadFactory(owner_user=rep)
    assign_lead(lead=lead, by=manager, owner_user=rep2)
    disqualify_lead(lead=other, by=manager, reason=LeadStatus.LOST)
    assert _copies([lead.pk, other.pk]) == {
        lead.pk: [rep2.pk, LeadState.OPEN],
        other.pk: [rep.pk, LeadState.DISQUALIFIED],
    }
    reactivate_lead(lead=Lead.objects.get(pk=other.pk), by=manager)
    assert _copies([other.pk]) == {other.pk: [rep.pk, LeadState.OPEN]}
