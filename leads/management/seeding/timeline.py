"""Timeline rows of a seeded lead: activities, notes, product interests."""

import datetime
from decimal import Decimal

from leads.management.seeding.values import (
    ACTIVITY_OPEN,
    APPOINTMENT,
    COMPLETED,
    FIRST_ACTIVITY_KINDS,
    FOLLOW_UP_KINDS,
    NEW,
    NOTE_TITLES,
    OPEN,
    OUTGOING,
    between,
)


def activity_rows(ctx, lead):
    """The first activity (when the lead had one) and, for some open leads, a
    follow-up in the coming weeks."""
    rng = ctx.rng
    first_activity_at = lead["first_activity_at"]
    if first_activity_at is None:
        return []
    owner = lead["owner_user_id"] or rng.choice(
        ctx.team_member_ids[lead["owner_team_id"]]
    )
    first_done = lead["status"] != NEW
    items = [
        {
            "lead_id": lead["id"],
            "kind": rng.choice(FIRST_ACTIVITY_KINDS),
            "subject": rng.choice(["Intro call", "First contact", "Reply to enquiry"]),
            "direction": OUTGOING,
            "state": COMPLETED if first_done else ACTIVITY_OPEN,
            "completed_at": first_activity_at if first_done else None,
            "due_at": first_activity_at,
            "owner_id": owner,
            "created_by_id": owner,
            "created_at": first_activity_at,
        }
    ]
    if lead["state"] == OPEN and rng.random() < 0.5:
        start = ctx.now + datetime.timedelta(
            days=rng.randint(1, 21), hours=rng.randint(0, 8)
        )
        kind = rng.choice(FOLLOW_UP_KINDS)
        appointment = kind == APPOINTMENT
        items.append(
            {
                "lead_id": lead["id"],
                "kind": kind,
                "subject": "Demo meeting" if appointment else "Follow up",
                "due_at": start,
                "start_at": start if appointment else None,
                "end_at": start + datetime.timedelta(hours=1) if appointment else None,
                "owner_id": owner,
                "created_by_id": owner,
                "created_at": between(rng, first_activity_at, ctx.now),
            }
        )
    return items


def note_row(ctx, lead):
    return {
        "lead_id": lead["id"],
        "title": ctx.rng.choice(NOTE_TITLES),
        "text": ctx.rng.choice(ctx.pools.sentences),
        "created_by_id": lead["owner_user_id"] or lead["created_by_id"],
        "created_at": between(ctx.rng, lead["created_at"], ctx.now),
    }


def interest_rows(ctx, lead):
    """(lead product rows, opportunity product rows): what the lead asked for,
    carried to its opportunity when qualified."""
    rng = ctx.rng
    interests, lines = [], []
    opportunity_id = lead.get("qualifying_opportunity_id")
    for product_id, price in rng.sample(ctx.product_rows, rng.choice([1, 1, 2])):
        quantity = Decimal(rng.randint(1, 20))
        interests.append(
            {"lead_id": lead["id"], "product_id": product_id, "quantity": quantity}
        )
        if opportunity_id is not None:
            lines.append(
                {
                    "opportunity_id": opportunity_id,
                    "product_id": product_id,
                    "quantity": quantity,
                    "price_per_unit": price,
                }
            )
    return interests, lines
