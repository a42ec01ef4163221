"""Reads for the merge page: the pair of leads, their differing fields side by side,
and candidates to merge a lead with. Always through the scope gate."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext

from accounts.permissions import visible_to
from leads.models import LEAD_FIELD_GROUPS, LEAD_FIELDS, Lead, LeadState
from leads.selectors.duplicates import find_duplicate_leads

CANDIDATE_LIMIT = 20


def parse_ids(raw: str) -> list[int]:
    """ "12,34" → [12, 34]; junk is dropped, duplicates removed, order kept."""
    ids = []
    for part in (raw or "").split(","):
        part = part.strip()
        if (
            part.isascii()
            and part.isdigit()
            and int(part) < 2**63
            and int(part) not in ids
        ):
            ids.append(int(part))
    return ids


def get_merge_pair(*, ids: list[int], user) -> tuple[Lead, Lead]:
    """The two leads, in the order given; Lead.DoesNotExist if either is out of scope."""
    leads = {
        lead.pk: lead
        for lead in visible_to(
            user,
            Lead.objects.select_related(
                "owner_user",
                "owner_team",
                "campaign",
                "channel_partner",
                "parent_account",
                "parent_contact",
            ),
        ).filter(pk__in=ids)
    }
    if len(leads) != 2:
        raise Lead.DoesNotExist("No such lead in your scope.")
    return leads[ids[0]], leads[ids[1]]


def _comparable(lead: Lead, name: str):
    return getattr(lead, Lead._meta.get_field(name).attname)


def differing_fields(lead_a: Lead, lead_b: Lead) -> list[str]:
    """Merge fields whose stored values differ between the two leads."""
    return [
        name
        for name in LEAD_FIELDS
        if _comparable(lead_a, name) != _comparable(lead_b, name)
    ]


def display_value(lead: Lead, name: str) -> str:
    field = Lead._meta.get_field(name)
    value = getattr(lead, name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return getattr(lead, f"get_{name}_display")()
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    # Dates and numbers as the active locale writes them.
    return str(localize(value))


@dataclass
class MergeRow:
    group: str
    name: str
    label: str
    value_a: str
    value_b: str
    pick: object  # the BoundField of the radio, or None when the values agree


def merge_rows(lead_a: Lead, lead_b: Lead, form) -> list[MergeRow]:
    """Every merge field with both values; differing ones carry their radio."""
    rows = []
    for group, names in LEAD_FIELD_GROUPS:
        for name in names:
            key = f"pick_{name}"
            rows.append(
                MergeRow(
                    group=group,
                    name=name,
                    label=str(Lead._meta.get_field(name).verbose_name).capitalize(),
                    value_a=display_value(lead_a, name),
                    value_b=display_value(lead_b, name),
                    pick=form[key] if key in form.fields else None,
                )
            )
    return rows


def merge_candidates(*, lead: Lead, user, q: str = "") -> list[Lead]:
    """Open leads the user may merge `lead` with: likely duplicates, or a search.

    With `q`, open visible leads whose name, email, company or topic contains it;
    without, the duplicate finder's matches (same email, phone, company and name).
    """
    if q:
        condition = (
            Q(last_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(email__icontains=q)
            | Q(company_name__icontains=q)
            | Q(subject__icontains=q)
        )
        if q.isascii() and q.isdigit() and int(q) < 2**63:
            condition |= Q(pk=int(q))
        found = (
            visible_to(user, Lead.objects.filter(condition, state=LeadState.OPEN))
            .exclude(pk=lead.pk)
            .select_related("owner_user", "owner_team")
            .order_by("-created_at", "-id")[:CANDIDATE_LIMIT]
        )
        return list(found)
    duplicates = find_duplicate_leads(
        user=user,
        email=lead.email,
        company_name=lead.company_name,
        last_name=lead.last_name,
        phone=lead.business_phone or lead.mobile_phone,
        exclude_pk=lead.pk,
    )
    # Only leads in the user's scope can be merged (others are not even named).
    return [d for d in duplicates.leads if d.state == LeadState.OPEN][:CANDIDATE_LIMIT]
