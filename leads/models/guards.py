"""Guards of the lead's transitions: pure predicates on the row, each with the message
a refused user reads. They read only the row and the qualifying opportunity, which
the detail selector and lock_lead load with it (select_related), so evaluating them
costs no query there; elsewhere at most one, and none for a lead that never had an
opportunity (the FK id is checked first). The Qualify stage's guard reads the
required steps an administrator set (one query)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import SalesStage, StageProcess, missing_required_steps


def not_merged(lead) -> bool:
    return not lead.merged


not_merged.refusal = _(
    "This lead was merged into another lead; work on that lead instead."
)


def no_open_qualifying_opportunity(lead) -> bool:
    if lead.qualifying_opportunity_id is None:
        return True
    return not lead.qualifying_opportunity.is_open


no_open_qualifying_opportunity.refusal = _(
    "The open opportunity “{lead.qualifying_opportunity}” came from this lead. "
    "Close the opportunity before disqualifying the lead."
)


def qualify_steps_complete(lead) -> bool:
    """The Qualify stage's required steps (fields of the lead) hold values."""
    return not missing_required_steps(lead, StageProcess.LEAD, SalesStage.QUALIFY)


def _qualify_steps_refusal(lead) -> str:
    missing = missing_required_steps(lead, StageProcess.LEAD, SalesStage.QUALIFY)
    names = ", ".join(step.display_name for step in missing)
    return gettext("Complete the Qualify stage first: %(steps)s.") % {"steps": names}


qualify_steps_complete.refusal = _qualify_steps_refusal

# Who may start a lead transition at all (record scope is the gate's job).
WORK_LEADS = "leads.change_lead"
