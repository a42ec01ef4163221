"""Display values of the opportunity tables, prepared once per page: what
templates/jinja2/accounts/partials/opportunity_rows.html prints. Plain data, no
HTML."""

from dataclasses import dataclass

from accounts.models import Opportunity, OpportunityState, OpportunityStatus, SalesStage
from leadsite.core.display import NO_VALUE, day_formatter, money_formatter, url_maker

_STATES = dict(OpportunityState.choices)
_STATUSES = dict(OpportunityStatus.choices)
_STAGES = dict(SalesStage.choices)


def opportunity_badge_text(opportunity: Opportunity) -> str:
    """The state, and a closed one's reason unless it says the same: "Open",
    "Won", "Lost · Out-Sold" (in the active language)."""
    state = str(_STATES[opportunity.state])
    if opportunity.is_open:
        return state
    status = str(_STATUSES.get(opportunity.status, opportunity.status))
    return state if status == state else f"{state} · {status}"


@dataclass(slots=True)
class OpportunityRow:
    url: str
    name: str
    customer: str  # account · contact, either or both
    value: str
    stage: str
    probability: int
    close: str
    state: str  # "open", "won", "lost": the badge's class
    badge: str
    owner: str


def opportunity_rows(opportunities) -> list[OpportunityRow]:
    """A row per opportunity (account, contact and owner selected with it, as
    accounts.selectors.opportunity_rows narrows them)."""
    day = day_formatter()
    money = money_formatter(places=0)
    url = url_maker("accounts:opportunity-detail")
    rows = []
    for opportunity in opportunities:
        account, contact, owner = (
            opportunity.account,
            opportunity.contact,
            opportunity.owner,
        )
        customer = [
            part
            for part in (
                account.name if account else None,
                contact.full_name if contact else None,
            )
            if part is not None
        ]
        rows.append(
            OpportunityRow(
                url=url(opportunity.pk),
                name=opportunity.name,
                customer=" · ".join(customer),
                value=money(opportunity.estimated_value),
                stage=str(_STAGES[opportunity.sales_stage]),
                probability=opportunity.close_probability,
                close=day(opportunity.estimated_close_date),
                state=opportunity.state_name,
                badge=opportunity_badge_text(opportunity),
                owner=str(owner) if owner else NO_VALUE,
            )
        )
    return rows
