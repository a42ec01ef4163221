"""The lead list's rows (templates/jinja2/leads/partials/lead_table.html)."""

from dataclasses import dataclass

from leads.models import LeadRating, LeadStatus
from leads.scoring.grades import grade
from leads.selectors.scoring import score_of, scoring_config
from leadsite.core.display import day_formatter, money_formatter, url_maker


@dataclass(slots=True)
class LeadRow:
    pk: int
    url: str
    name: str
    subject: str
    company: str
    email: str
    state: str  # "open", "qualified", "disqualified": the status pill's kind
    status: str  # the status reason's label
    rating: str  # "" for none
    value: str
    close: str
    owner: str  # the user, or the team when owner_is_team
    owner_is_team: bool
    created: str
    score: int | None  # None: not scored (no row yet, or not enough data)
    grade: str  # "A".."D", "" without a score
    pinned: bool  # a person pinned the score
    version: int = 0  # as the page read it (a mass update skips a lead changed since)


def _owner(lead) -> tuple[str, bool]:
    if lead.owner_user_id:
        return str(lead.owner_user), False
    if lead.owner_team_id:
        return str(lead.owner_team), True
    return "", False


def lead_rows(leads) -> list[LeadRow]:
    """A row per lead: the columns leads.selectors.leads.LIST_ROW_FIELDS reads, as
    LIST_COLUMNS in leads/views/leads.py orders them."""
    day = day_formatter()
    money = money_formatter(places=0)
    url = url_maker("leads:detail")
    # The labels in the page's language, translated once per page rather than as
    # lazy strings once per cell.
    statuses = {value: str(label) for value, label in LeadStatus.choices}
    ratings = {value: str(label) for value, label in LeadRating.choices}
    rows = []
    leads = list(leads)
    scores = [score_of(lead) for lead in leads]
    # The thresholds once per page, and only for a page with a score on it.
    thresholds = (
        scoring_config().thresholds
        if any(s is not None and s.score is not None for s in scores)
        else None
    )
    for lead, row in zip(leads, scores, strict=True):
        owner, owner_is_team = _owner(lead)
        score = row.score if row is not None else None
        rows.append(
            LeadRow(
                pk=lead.pk,
                url=url(lead.pk),
                name=lead.full_name or lead.last_name,
                subject=lead.subject,
                company=lead.company_name,
                email=lead.email,
                state=lead.state_name,
                status=statuses.get(lead.status, lead.status),
                rating=ratings.get(lead.rating, ""),
                value=money(lead.estimated_value),
                close=day(lead.estimated_close_date),
                owner=owner,
                owner_is_team=owner_is_team,
                created=day(lead.created_at),
                score=score,
                grade=grade(score, thresholds) if score is not None else "",
                pinned=row is not None and row.pinned,
                version=lead.version,
            )
        )
    return rows
