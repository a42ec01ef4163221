"""The lead table's constraints and indexes (Lead.Meta), each index named by the
reads it serves. PostgreSQL-only ones (trigram, reversed digits, partial retention indexes) are made
by migrations 0004, 0014 and privacy 0002."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import owner_constraint, state_matches_status_constraint
from leads.models.choices import LEAD_STATE_OF_STATUS, LeadState
from leadsite.core.dates import business_date_check, business_datetime_check

LEAD_CONSTRAINTS = [
    owner_constraint("lead_owner_user_xor_team"),
    state_matches_status_constraint("lead_state_matches_status", LEAD_STATE_OF_STATUS),
    models.CheckConstraint(
        condition=(Q(annual_revenue__gte=0) | Q(annual_revenue__isnull=True))
        & (Q(budget_amount__gte=0) | Q(budget_amount__isnull=True))
        & (Q(estimated_value__gte=0) | Q(estimated_value__isnull=True)),
        name="lead_money_non_negative",
    ),
    models.CheckConstraint(
        condition=Q(merged=False) | Q(master__isnull=False),
        name="lead_merged_has_master",
        violation_error_message=_("A merged lead points at its master."),
    ),
    # One lead per record of a source system (import matches by it).
    models.UniqueConstraint(
        fields=["external_system", "external_id"],
        condition=Q(external_id__isnull=False),
        name="lead_external_id_once",
    ),
    business_date_check("lead", "estimated_close_date"),
    # An import sets it from the file's "Created On".
    business_datetime_check("lead", "created_at"),
]

LEAD_INDEXES = [
    # "My open leads" and the list's default order (newest first, id
    # breaking ties): a saved view's page is one index range, in order. On
    # PostgreSQL it also carries the status (leads 0019: the home page's counts
    # from the index alone).
    models.Index(
        fields=["owner_user", "state", "-created_at", "-id"],
        name="lead_owner_state_created",
    ),
    models.Index(
        fields=["owner_team", "state", "-created_at", "-id"],
        name="lead_team_state_created",
    ),
    # The routing page's unassigned queue: a unit's open leads
    # owned by a team, longest waiting first, and their capped count.
    models.Index(
        fields=["business_unit", "created_at", "id"],
        condition=Q(state=LeadState.OPEN, owner_team__isnull=False),
        name="lead_queue_bu_created",
    ),
    models.Index(
        fields=["business_unit", "state", "-created_at", "-id"],
        name="lead_bu_state_created",
    ),
    models.Index(fields=["state", "-created_at", "-id"], name="lead_state_created"),
    models.Index(fields=["-created_at", "-id"], name="lead_created"),
    models.Index(fields=["source", "created_at"], name="lead_source_created"),
    # A manager's list filtered by source and creation dates (one unit).
    models.Index(
        fields=["business_unit", "source", "created_at"],
        name="lead_bu_source_created",
    ),
    models.Index(fields=["rating"], name="lead_rating"),
    models.Index(fields=["campaign", "created_at"], name="lead_campaign_created"),
    models.Index(fields=["estimated_close_date"], name="lead_est_close"),
    models.Index(fields=["closed_at"], name="lead_closed_at"),  # backtest
    models.Index(fields=["email"], name="lead_email"),
    models.Index(fields=["last_name", "first_name"], name="lead_name"),
    models.Index(fields=["company_name"], name="lead_company"),
    # Same-number lookups (equality) by duplicate checks and search; the
    # "contains"/"ends with" ones use trigram indexes on PostgreSQL (leads
    # 0004_postgresql_search_indexes).
    models.Index(fields=["business_phone_digits"], name="lead_phone_digits"),
    models.Index(fields=["mobile_phone_digits"], name="lead_mobile_digits"),
]
