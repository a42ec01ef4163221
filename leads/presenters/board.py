"""The lead board's cards (templates/leads/partials/board_cards.html): display values
prepared once per page, printed by one loop per column."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.timesince import timesince

from leads.scoring.grades import grade
from leads.selectors.scoring import score_of, scoring_config
from leadsite.core.display import day_formatter, url_maker


@dataclass(slots=True)
class BoardCard:
    pk: int
    url: str
    qualify_url: str
    move_url: str
    version: int
    status: int
    name: str
    company: str
    score: int | None
    grade: str
    owner: str
    owner_is_team: bool
    age: str  # "3 days"
    created: str
    next_activity: str  # "" for none
    next_due: str  # "" when the next activity has no due date


def board_cards(leads, *, now=None) -> list[BoardCard]:
    """A card per lead read by leads.selectors.board.column_cards."""
    now = now or timezone.now()
    day = day_formatter()
    url = url_maker("leads:detail")
    qualify_url = url_maker("leads:qualify")
    move_url = url_maker("leads:board-move")
    leads = list(leads)
    scores = [score_of(lead) for lead in leads]
    # The thresholds once, and only when a card has a score.
    thresholds = (
        scoring_config().thresholds
        if any(s is not None and s.score is not None for s in scores)
        else None
    )
    cards = []
    for lead, row in zip(leads, scores, strict=True):
        owner_is_team = not lead.owner_user_id and bool(lead.owner_team_id)
        owner = str(lead.owner_team if owner_is_team else lead.owner_user or "")
        score = row.score if row is not None else None
        due = getattr(lead, "next_due", None)
        cards.append(
            BoardCard(
                pk=lead.pk,
                url=url(lead.pk),
                qualify_url=qualify_url(lead.pk),
                move_url=move_url(lead.pk),
                version=lead.version,
                status=lead.status,
                name=lead.full_name or lead.last_name,
                company=lead.company_name,
                score=score,
                grade=grade(score, thresholds) if score is not None else "",
                owner=owner,
                owner_is_team=owner_is_team,
                age=timesince(lead.created_at, now, depth=1),
                created=day(lead.created_at),
                next_activity=getattr(lead, "next_activity", None) or "",
                next_due=day(due) if due else "",
            )
        )
    return cards
