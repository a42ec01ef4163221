"""The lead list's rows (templates/jinja2/leads/partials/lead_table.html)."""

from dataclasses import dataclass

from django.utils.translation import gettext

from leads.models import LeadRating, LeadState, LeadStatus
from leads.scoring.grades import grade
from leads.selectors.scoring import scoring_config
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
    select_label: str = ""  # the row checkbox's label, "Select Ana Trujillo"
    grade_title: str = ""  # "Grade A"


def _owner(lead: dict) -> tuple[str, bool]:
    if lead["owner_user_id"]:
        # As User.__str__: the full name, else the username.
        first, last = lead["owner_user__first_name"], lead["owner_user__last_name"]
        return f"{first} {last}".strip() or lead["owner_user__username"], False
    if lead["owner_team_id"]:
        return lead["owner_team__name"], True
    return "", False


def lead_rows(leads) -> list[LeadRow]:
    """A row per lead: `leads` are the dicts leads.selectors.leads.list_row_values
    reads (LIST_ROW_FIELDS; no model instances), as LIST_COLUMNS in
    leads/views/leads.py orders them."""
    day = day_formatter()
    money = money_formatter(places=0)
    url = url_maker("leads:detail")
    # The labels in the page's language, translated once per page rather than as
    # lazy strings once per cell.
    statuses = {value: str(label) for value, label in LeadStatus.choices}
    ratings = {value: str(label) for value, label in LeadRating.choices}
    states = {value: LeadState(value).name.lower() for value in LeadState.values}
    select = gettext("Select %(name)s")
    grade_titles = {g: gettext("Grade %(grade)s") % {"grade": g} for g in "ABCD"}
    rows = []
    leads = list(leads)
    # The thresholds once per page, and only for a page with a score on it.
    thresholds = (
        scoring_config().thresholds
        if any(lead["score__score"] is not None for lead in leads)
        else None
    )
    for lead in leads:
        owner, owner_is_team = _owner(lead)
        score = lead["score__score"]
        name = " ".join(p for p in (lead["first_name"], lead["last_name"]) if p)
        letter = grade(score, thresholds) if score is not None else ""
        rows.append(
            LeadRow(
                pk=lead["id"],
                url=url(lead["id"]),
                name=name or lead["last_name"],
                subject=lead["subject"],
                company=lead["company_name"],
                email=lead["email"],
                state=states[lead["state"]],
                status=statuses.get(lead["status"], lead["status"]),
                rating=ratings.get(lead["rating"], ""),
                value=money(lead["estimated_value"]),
                close=day(lead["estimated_close_date"]),
                owner=owner,
                owner_is_team=owner_is_team,
                created=day(lead["created_at"]),
                score=score,
                grade=letter,
                pinned=lead["score__pinned_score"] is not None,
                version=lead["version"],
                select_label=select % {"name": name or lead["last_name"]},
                grade_title=grade_titles.get(letter, ""),
            )
        )
    return rows
