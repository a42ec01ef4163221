"""Lead rows, and one batch of leads with everything hanging off them."""

import datetime
import random
from decimal import Decimal
from itertools import accumulate, islice

from accounts.models import (
    Account,
    Contact,
    Industry,
    Opportunity,
    OpportunityProduct,
    StageVisit,
)
from leads.management.seeding import outcomes, qualification, routing, timeline
from leads.management.seeding.tables import Table
from leads.management.seeding.values import (
    CONTACTED,
    DISQUALIFY_CUM,
    DISQUALIFY_STATUSES,
    EMAIL_DOMAINS,
    ESTIMATED_VALUES,
    NEW,
    PARTNER,
    QUALIFIED,
    RATING_CUM,
    SOURCE_CUM,
    SOURCES,
    STATE_OF_STATUS,
    VALUES,
    WEB,
    between,
    email,
    phone,
    slug,
)
from leads.models import (
    Activity,
    BudgetStatus,
    Lead,
    LeadAssignment,
    LeadProduct,
    LeadRating,
    LeadScore,
    Need,
    Note,
    PurchaseProcess,
    PurchaseTimeframe,
)

TABLES = [
    Account,
    Contact,
    Opportunity,
    Lead,
    Activity,
    Note,
    LeadProduct,
    OpportunityProduct,
    LeadAssignment,
    StageVisit,
]


def prepare_lead_rows(ctx):
    """Tables and the ids and cumulative weights the row builders pick from."""
    ctx.tables = {model: Table(model, now=ctx.now) for model in TABLES}
    ctx.owner_ids = [
        (user and user.pk, team and team.pk, unit.pk)
        for user, team, unit, _weight in ctx.owners
    ]
    ctx.owner_cum = list(accumulate(o[3] for o in ctx.owners))
    ctx.place_cum = list(accumulate(ctx.pools.place_weights))
    ctx.campaign_ids = {
        int(source): [c.pk for c in campaigns]
        for source, campaigns in ctx.campaigns_by_source.items()
    }
    ctx.product_rows = [(p.pk, p.price) for p in ctx.products]


def loaded_tables(ctx) -> list[str]:
    """The tables a load writes to: the row builders' and leads_leadscore, whose
    rows a trigger adds with each lead's (migration leads 0009). With its foreign
    key in place, each of those rows would queue a check until commit."""
    return [
        *(table.db_table for table in ctx.tables.values()),
        LeadScore._meta.db_table,
    ]


# Statement triggers (migrations leads 0006 and 0017) that mark the report days of
# the leads behind inserted activities and stage visits by a join on leads_lead:
# with the lead table's indexes dropped, a scan of the whole table per batch, so a
# load's time grew with the square of its size. Every activity and stage visit a
# load writes belongs to a lead of the same load, whose own insert trigger marks
# the same day: during a deferred load these are disabled, nothing is lost.
REDUNDANT_TRIGGERS = [
    ("leads_activity", "report_dirty_leads_activity_insert"),
    ("accounts_stagevisit", "report_dirty_accounts_stagevisit_insert"),
]


def write_lead_batch(ctx, size, *, offset):
    """Build and write the next `size` leads (seeding/parallel.py does the same
    with the building in worker processes)."""
    rows = build_lead_batch(
        ctx,
        size,
        offset=offset,
        reserve=lambda model, n: ctx.tables[model].reserve_ids(n),
    )
    write_batch_rows(ctx, rows)


def batch_rng(ctx, offset) -> random.Random:
    """The generator of the batch starting at lead `offset`: its own, seeded from
    the run's seed and the offset, so a batch's rows are the same whichever process
    builds it and in whatever order the batches are built."""
    return random.Random(f"{ctx.batch_seed}:{offset}")


def build_lead_batch(ctx, size, *, offset, reserve):
    """[(model, columns, rows)] of `size` leads (the next `size` of this run's
    creation times) with their qualification records, timeline and interests, in
    the order they are written. `reserve(model, n)` gives n fresh primary keys.
    Reads no database (it may run in a worker process)."""
    run_rng, ctx.rng = ctx.rng, batch_rng(ctx, offset)
    try:
        return _build(ctx, size, offset=offset, reserve=reserve)
    finally:
        ctx.rng = run_rng


def write_batch_rows(ctx, rows):
    for model, columns, values in rows:
        ctx.tables[model].write_rows(columns, values)


def _build(ctx, size, *, offset, reserve):
    rng, tables = ctx.rng, ctx.tables
    times = islice(ctx.created_times, size)
    leads = [
        lead_row(ctx, pk, offset + i, created_at)
        for i, (pk, created_at) in enumerate(
            zip(reserve(Lead, size), times, strict=True)
        )
    ]

    # Qualification results: account, contact, opportunity per qualified lead.
    # Keys are reserved first so the rows can point at each other (an account's
    # primary contact is the contact made with it).
    qualified = [lead for lead in leads if lead["status"] == QUALIFIED]
    count = len(qualified)
    accounts, contacts, opportunities = [], [], []
    for lead, account_id, contact_id in zip(
        qualified, reserve(Account, count), reserve(Contact, count), strict=True
    ):
        accounts.append(qualification.account_row(lead, account_id, contact_id))
        contacts.append(qualification.contact_row(lead, contact_id, account_id))
        lead["qualifying_account_id"] = account_id
        lead["qualifying_contact_id"] = contact_id
    for lead, opportunity_id in zip(
        qualified, reserve(Opportunity, count), strict=True
    ):
        opportunities.append(qualification.opportunity_row(ctx, lead, opportunity_id))
        lead["qualifying_opportunity_id"] = opportunity_id

    visits = [
        visit
        for opportunity in opportunities
        for visit in qualification.stage_visit_rows(ctx, opportunity)
    ]
    activities, notes, interests, lines = [], [], [], []
    for lead in leads:
        activities += timeline.activity_rows(ctx, lead)
        if rng.random() < 0.12:
            notes.append(timeline.note_row(ctx, lead))
        if rng.random() < 0.25:
            more_interests, more_lines = timeline.interest_rows(ctx, lead)
            interests += more_interests
            lines += more_lines

    # Timeline rows get their ids from the database.
    return [
        (model, *tables[model].rows(dicts))
        for model, dicts in [
            (Account, accounts),
            (Contact, contacts),
            (Opportunity, opportunities),
            (StageVisit, visits),
            (Lead, leads),
            (Activity, activities),
            (Note, notes),
            (LeadProduct, interests),
            (OpportunityProduct, lines),
        ]
    ]


def lead_row(ctx, pk, n, created_at):
    rng, pools, now = ctx.rng, ctx.pools, ctx.now
    owner_user, owner_team, unit = routing.pick_owner(ctx)
    source = rng.choices(SOURCES, cum_weights=SOURCE_CUM)[0]
    rating = rng.choices(VALUES[LeadRating], cum_weights=RATING_CUM)[0]
    has_phone = rng.random() >= outcomes.NO_PHONE_SHARE
    decision_maker = rng.random() < outcomes.DECISION_MAKER_SHARE
    age = now - created_at
    status = _open_or_closed(ctx, age.days, team_owned=owner_team is not None)
    first, last = ctx.pick_name()
    company = rng.choice(pools.companies)
    place = ctx.pick_place()
    campaigns = ctx.campaign_ids.get(source)
    campaign = rng.choice(campaigns) if campaigns and rng.random() < 0.6 else None
    estimated_value = rng.choice(ESTIMATED_VALUES)
    closed_at = qualified_at = first_activity_at = None
    if status != NEW or rng.random() < 0.3:  # closed (None) and contacted leads
        # The first activity came within three days of capture (before closing):
        # within the first day for FIRST_DAY_SHARE of the leads worked.
        day = datetime.timedelta(days=1)
        if rng.random() < outcomes.FIRST_DAY_SHARE or age < day:
            start, end = created_at, created_at + day - datetime.timedelta(seconds=1)
        else:
            start, end = created_at + day, created_at + datetime.timedelta(hours=72)
        first_activity_at = between(rng, start, min(now, end))
    if status is None:  # closed: when, and qualified or not (outcomes.EFFECTS)
        closed_at = between(
            rng, first_activity_at, min(now, created_at + datetime.timedelta(days=90))
        )
        status = _outcome(
            ctx,
            source=source,
            has_phone=has_phone,
            decision_maker=decision_maker,
            first_day=first_activity_at - created_at < datetime.timedelta(days=1),
            rating=rating,
        )
        if status == QUALIFIED:
            qualified_at = closed_at
    state = STATE_OF_STATUS[status]
    # A dict display evaluates in order: the random draws below happen in the
    # same sequence for every lead, which keeps --seed deterministic.
    return {
        "id": pk,
        "subject": rng.choice(pools.topics),
        "salutation": rng.choice(["", "", "Mr.", "Ms.", "Dr."]),
        "first_name": first,
        "last_name": last,
        "job_title": rng.choice(pools.job_titles),
        "email": email(first, last, n, rng.choice(EMAIL_DOMAINS)),
        "business_phone": phone(rng) if has_phone else "",
        "mobile_phone": phone(rng) if has_phone and rng.random() < 0.4 else "",
        "company_name": company,
        "website": f"https://www.{slug(company)}.example" if rng.random() < 0.7 else "",
        "industry": rng.choice(VALUES[Industry]) if rng.random() < 0.9 else None,
        "annual_revenue": Decimal(rng.randrange(1, 800) * 50_000)
        if rng.random() < 0.6
        else None,
        "number_of_employees": rng.choice([5, 12, 30, 75, 200, 600, 2500])
        if rng.random() < 0.7
        else None,
        "address_line1": place.street,
        "city": place.city,
        "state_or_province": place.state,
        "postal_code": place.postal_code,
        "country": place.country,
        "source": source,
        "rating": rating,
        "campaign_id": campaign,
        "capture_form_id": ctx.capture_form.pk
        if source == WEB and rng.random() < 0.5
        else None,
        "channel_partner_id": rng.choice(ctx.partner_ids)
        if source == PARTNER and ctx.partner_ids
        else None,
        "budget_amount": estimated_value if rng.random() < 0.4 else None,
        "budget_status": rng.choice(VALUES[BudgetStatus])
        if rng.random() < 0.5
        else None,
        "purchase_timeframe": rng.choice(VALUES[PurchaseTimeframe]),
        "purchase_process": rng.choice(VALUES[PurchaseProcess]),
        "decision_maker": decision_maker,
        "need": rng.choice(VALUES[Need]) if rng.random() < 0.6 else None,
        "estimated_value": estimated_value,
        "estimated_close_date": (
            created_at + datetime.timedelta(days=rng.randint(20, 180))
        ).date(),
        "do_not_bulk_email": rng.random() < 0.1,
        "owner_user_id": owner_user,
        "owner_team_id": owner_team,
        "business_unit_id": unit,
        "state": state,
        "status": status,
        "qualified_at": qualified_at,
        "closed_at": closed_at,
        "first_activity_at": first_activity_at,
        "created_by_id": owner_user or ctx.admin_id,
        "created_at": created_at,
    }


def _open_or_closed(ctx, age_days, *, team_owned):
    """NEW or CONTACTED for a lead still open, None for one that closed (its
    outcome is drawn once its values are known: _outcome)."""
    rng = ctx.rng
    if team_owned and rng.random() < 0.7:
        return NEW  # the unassigned queue: still waiting for a rep
    # Older leads are more likely to be closed already.
    closed_odds = min(0.9, 0.15 + age_days / 300)
    if rng.random() >= closed_odds:
        return rng.choice([NEW, CONTACTED])
    return None


def _outcome(ctx, **values):
    """QUALIFIED with the probability the known effects give the lead's values
    (outcomes.qualify_probability), else a reason it was disqualified."""
    rng = ctx.rng
    if rng.random() < outcomes.qualify_probability(**values):
        return QUALIFIED
    return rng.choices(DISQUALIFY_STATUSES, cum_weights=DISQUALIFY_CUM)[0]
