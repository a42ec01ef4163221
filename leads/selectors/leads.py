"""Reads for lead pages, always through the scope gate."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import Count, F, Prefetch, Q, prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from accounts.models import Account, Contact, Opportunity, User
from accounts.permissions import Scope, scope_of, visible_and_owned_by, visible_to
from leads.filters import DEFAULT_VIEW, LeadFilter
from leads.models import (
    Activity,
    ActivityState,
    Attachment,
    ConsentEvent,
    Lead,
    LeadAccount,
    LeadAssignment,
    LeadContact,
    LeadProduct,
    LeadScore,
    LeadState,
    LeadStatus,
    Note,
    PossibleDuplicate,
)
from leads.scoring.factors import Factor
from leads.scoring.grades import grade
from leads.selectors.scoring import grade_range, score_of, scoring_config, value_words
from leads.sql import latest_routing_detail, presence_flags
from leadsite.core.compiled import CompiledOnce

# Transitions a user starts from the lead page, in button order; merge has its own page.
USER_TRANSITIONS = ["mark_contacted", "qualify", "disqualify", "reactivate"]
COUNT_CAP = 10_000
# The home page's counts (my open leads, not contacted yet, my open activities)
# stop here ("1,000+", as the routing page's): a rep's working set, read from an
# index in well under a millisecond however big the table. At 10,000 they read
# 10,000 index entries each for a rep of a ten-million-lead table (4 ms a page).
HOME_COUNT_CAP = 1_000


def _list_columns():
    return Lead.objects.select_related("owner_user", "owner_team", "campaign")


# What a row of the lead list shows (leads.presenters.leads.lead_rows): the
# lead's other columns are not read.
LIST_ROW_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "subject",
    "company_name",
    "email",
    "status",
    "state",
    "rating",
    "estimated_value",
    "estimated_close_date",
    "created_at",
    "owner_user__first_name",
    "owner_user__last_name",
    "owner_user__username",
    "owner_team__name",
    # The Score column: the number shown, and whether a person pinned it.
    "score__score",
    "score__pinned_score",
    # The version the page showed, carried by a mass update of selected rows.
    "version",
]


def list_rows(queryset):
    """`queryset` (from filter_leads) narrowed to the columns the list's rows show."""
    return (
        queryset.select_related(None)
        .select_related("owner_user", "owner_team", "score")
        .only(*LIST_ROW_FIELDS)
    )


# The list's rows as values (leads.presenters.leads.lead_rows): no model instances.
LIST_ROW_VALUES = [*LIST_ROW_FIELDS, "owner_user_id", "owner_team_id"]


def list_row_values(queryset):
    """`queryset` (from filter_leads) as the dicts of the list's rows."""
    return queryset.select_related(None).values(*LIST_ROW_VALUES)


def page_rows(queryset, params):
    """The list's page rows: sorted by score, the score row joined as an inner
    join (every lead has one, leads 0009_lead_score_rows), so that PostgreSQL
    reads the page in the order of the index lead_score_desc instead of sorting
    every lead in scope; the count goes on without the join."""
    if (params.get("sort") or "").lstrip("-") == "score":
        return queryset.filter(score__isnull=False)
    return queryset


def list_leads(*, user):
    """Leads the user may see, with the columns of the list joined."""
    return visible_to(user, _list_columns())


def filter_leads(*, user, params, request=None):
    """The lead list: the user's leads narrowed by LeadFilter (saved view, filters,
    search, sort) from `params` (a QueryDict). Returns the bound FilterSet; its .qs
    is the ordered, scoped queryset. "My open leads" starts from the user's own
    leads (visible_and_owned_by), a predicate the planner can use."""
    mine = (params.get("view") or DEFAULT_VIEW) == "mine"
    queryset = (
        visible_and_owned_by(user, _list_columns()) if mine else list_leads(user=user)
    )
    return LeadFilter(
        params, queryset=queryset, request=request, grade_range=grade_range
    )


def get_lead(*, pk, user):
    """One lead in the user's scope (Lead.DoesNotExist outside it)."""
    return list_leads(user=user).get(pk=pk)


# Set only on some leads (qualified, captured, merged...): read when set, after the
# lead; as joins they tripled the planning time of its query (PostgreSQL searches
# join orders for every LEFT JOIN).
RARE_RELATIONS = [
    "qualifying_account",
    "qualifying_contact",
    "qualifying_opportunity",
    "capture_form",
    "channel_partner",
    "parent_account",
    "parent_contact",
    "master",
]


# Whether each related list of a lead has any rows: (flag, model, field to the lead);
# the flags are EXISTS in the lead's query (leads.sql.presence_flags).
PRESENCE = [
    # Captured/imported leads flagged as possible duplicates.
    ("has_possible_duplicates", PossibleDuplicate, "lead"),
    ("has_activities", Activity, "lead"),
    ("has_notes", Note, "lead"),
    ("has_attachments", Attachment, "lead"),
    ("has_account_links", LeadAccount, "lead"),
    ("has_contact_links", LeadContact, "lead"),
    ("has_interests", LeadProduct, "lead"),
    ("has_merged_leads", Lead, "master"),
    ("has_assignments", LeadAssignment, "lead"),
    ("has_history", StateLog, "object_id"),
    # The consent panel's log (a consent state always has its event).
    ("has_consent_events", ConsentEvent, "lead"),
]


def register_presence(flag: str, model, field: str) -> None:
    """Adds a related list of another app to the lead page's presence flags (from
    that app's ready(); privacy's legal holds): `flag` is then on the detail
    page's lead, True when a row of `model` has `field` = the lead."""
    if all(entry[0] != flag for entry in PRESENCE):
        PRESENCE.append((flag, model, field))


def has_any(record, relation: str) -> bool:
    """False only when `record` was read with its has_<relation> flag (see
    get_lead_for_detail) and that says there is nothing to read."""
    return getattr(record, f"has_{relation}", True)


def _detail_query(shape, pk, content_type_id, *scope_values):
    """The lead page's own query (get_lead_for_detail): the lead with the usual
    relations joined, and whether each related list has any rows: one index probe
    each inside this query, so that the page reads only the lists that are not
    empty (most leads have no links, interests, merged leads or attachments)."""
    scope = Scope(shape[0], scope_values).q()
    leads = Lead.objects.all() if scope is None else Lead.objects.filter(scope)
    return (
        leads.select_related(
            "owner_user",
            "owner_team",
            "business_unit",
            "campaign",
            "created_by",
            # The score panel: the lead's score row (one to one, by the lead's id).
            "score",
        )
        .annotate(
            **presence_flags(PRESENCE, content_type_id=content_type_id),
            latest_routing=latest_routing_detail(),
        )
        .filter(pk=pk)
        .order_by()
    )


# Built and compiled once per scope shape (leadsite.core.compiled): building it
# took longer than the database takes to answer it.
_DETAIL = CompiledOnce(_detail_query)
_LARGEST_ID = 2**63 - 1


def get_lead_for_detail(*, pk, user):
    """One lead with everything its detail page shows, through the scope gate
    (Lead.DoesNotExist outside it).

    The usual relations are joined; the rarely set ones are prefetched when set
    (at most one query each, none for an empty one), which keeps the join count low.
    """
    scope = scope_of(user)
    if scope.kind == Scope.NONE or not 0 < int(pk) <= _LARGEST_ID:
        raise Lead.DoesNotExist
    content_type_id = ContentType.objects.get_for_model(Lead).pk
    found = _DETAIL.objects(
        router.db_for_read(Lead),
        scope.shape,
        [int(pk), content_type_id, *scope.values],
    )
    if not found:
        raise Lead.DoesNotExist
    lead = found[0]
    prefetch_related_objects(
        [lead],
        *(
            name
            for name in RARE_RELATIONS
            if getattr(lead, Lead._meta.get_field(name).attname) is not None
        ),
    )
    score = score_of(lead)
    if score is not None and score.pinned_by_id is not None:
        # Who pinned the score: read only when it is pinned (rare).
        prefetch_related_objects([score], "pinned_by")
    return lead


# The history's names of the state machine's transitions.
TRANSITION_LABELS = {
    "mark_contacted": _("Mark contacted"),
    "qualify": _("Qualify"),
    "disqualify": _("Disqualify"),
    "reactivate": _("Reactivate"),
    "mark_merged": _("Mark merged"),
}


@dataclass
class HistoryEntry:
    when: object
    by: User | None
    transition: str
    source: str
    target: str
    description: str


def lead_history(*, lead: Lead) -> list[HistoryEntry]:
    """The lead's transition log (who, when, from, to, reason), newest first."""
    if not has_any(lead, "history"):
        return []
    content_type = ContentType.objects.get_for_model(Lead)
    logs = (
        StateLog.objects.filter(content_type=content_type, object_id=lead.pk)
        .select_related("by")
        .order_by("-timestamp", "-pk")
    )
    labels = dict(LeadStatus.choices)

    def label(value):
        try:
            return labels.get(int(value), value)
        except (TypeError, ValueError):
            return value or "—"

    return [
        HistoryEntry(
            when=log.timestamp,
            by=log.by,
            transition=TRANSITION_LABELS.get(log.transition)
            or log.transition.replace("_", " ").capitalize(),
            source=label(log.source_state),
            target=label(log.state),
            description=log.description or "",
        )
        for log in logs
    ]


def available_transitions(*, lead: Lead, user) -> list:
    """The lifecycle transitions `user` may start on `lead` now, in button order.

    From the model's own state machine (get_available_user_status_transitions: source
    states, conditions, permission), the same rules the services enforce, so buttons
    never offer a step the service would refuse. Each carries its label, URL name
    and style in `custom`.
    """
    found = {t.name: t for t in lead.get_available_user_status_transitions(user)}
    return [found[name] for name in USER_TRANSITIONS if name in found]


def count_capped(queryset, cap: int = COUNT_CAP) -> int:
    """COUNT over at most cap + 1 rows (a sliced subquery), never the whole table."""
    return queryset.order_by()[: cap + 1].count()


def open_and_new_counts(queryset, cap: int = COUNT_CAP) -> tuple[int, int]:
    """(open, new) of `queryset` (open leads): one capped COUNT with a FILTER for
    the status New, as count_capped gives each. Past the cap the first cap + 1 rows
    no longer hold every New lead: then New is counted on its own."""
    counts = queryset.order_by()[: cap + 1].aggregate(
        open=Count("pk"), new=Count("pk", filter=Q(status=LeadStatus.NEW))
    )
    if counts["open"] > cap:
        return counts["open"], count_capped(queryset.filter(status=LeadStatus.NEW), cap)
    return counts["open"], counts["new"]


def my_open_leads(*, user):
    """Open leads owned by the user themself, newest first."""
    return visible_and_owned_by(user, _list_columns()).filter(state=LeadState.OPEN)


def my_open_activities(*, user):
    """The user's open activities, earliest due first (undated last)."""
    return Activity.objects.filter(owner=user, state=ActivityState.OPEN).order_by(
        F("due_at").asc(nulls_last=True), "-created_at"
    )


def with_regarding(activities):
    """`activities` with the record each regards (named and linked on the home
    page), read after them for the rows shown: only the columns a name needs, and
    no query for a kind of record none of them regards. As joins before the
    LIMIT they were joined for every open activity and took longer to plan than
    to run."""
    return activities.prefetch_related(
        # The state fields too: a lead reads them when it loads (concurrency check).
        Prefetch(
            "lead",
            Lead.objects.only("first_name", "last_name", "subject", "state", "status"),
        ),
        Prefetch("account", Account.objects.only("name")),
        Prefetch("contact", Contact.objects.only("first_name", "last_name")),
        Prefetch("opportunity", Opportunity.objects.only("name")),
    )


# --- Call these first (the home page) -------------------------------------------------

CALL_FIRST = 8


@dataclass
class CallFirst:
    lead: Lead
    score: int
    grade: str
    pinned: bool
    factor: Factor | None  # what moves the model's score most


def best_scored(user, limit: int):
    """The score rows of the user's best `limit` open leads, best first: by the
    rows' copies of each lead's owner and state (leads 0018), the first rows of
    the index lead_score_owner_open however many open leads the user has (sorting
    them all took 104 ms for 14,000). A sub-select of call_first: its LIMIT runs
    first, and the planner cannot mistake the copies for conditions of their own."""
    return LeadScore.objects.filter(
        owner_user=user, state=LeadState.OPEN, score__isnull=False
    ).order_by("-score", "-lead_id")[:limit]


def call_first(*, user, limit: int = CALL_FIRST) -> list[CallFirst]:
    """The user's own open leads with the highest scores (a pinned one by its pin),
    best first, each with its grade and strongest factor. One query for the rows;
    the factors' words cost one more only when a campaign or capture form is among
    them (value_words)."""
    leads = list(
        my_open_leads(user=user)
        .select_related(None)
        .select_related("score")
        .filter(pk__in=best_scored(user, limit).values("lead_id"))
        .only(*CALL_FIRST_FIELDS)
        .order_by("-score__score", "-pk")
    )
    tops = {lead.pk: lead.score.factors[0][:3] for lead in leads if lead.score.factors}
    words = value_words((name, value) for name, value, _ in tops.values())
    thresholds = scoring_config().thresholds
    rows = []
    for lead in leads:
        factor = None
        if lead.pk in tops:
            name, value, ratio = tops[lead.pk]
            factor = Factor(name, value, ratio, words[(name, value)])
        row = lead.score
        rows.append(
            CallFirst(lead, row.score, grade(row.score, thresholds), row.pinned, factor)
        )
    return rows


CALL_FIRST_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "subject",
    "company_name",
    "state",
    "status",
    "score__score",
    "score__pinned_score",
    "score__factors",
]
