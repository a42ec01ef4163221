"""Who we sell to and who sells, one module per sub-domain: common (money,
industries, addresses, ownership), organisation (business units, users, teams,
products), customers (accounts, contacts), opportunities, tokens (API keys),
idempotency (the API's Idempotency-Key), saved_views (saved list views)."""

from accounts.models.common import (
    ADDRESS_FIELDS,
    MONEY,
    AddressFields,
    Industry,
    OwnedModel,
    owner_constraint,
    state_matches_status_constraint,
)
from accounts.models.customers import (
    Account,
    Contact,
)
from accounts.models.idempotency import IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey
from accounts.models.opportunities import (
    OPPORTUNITY_LOST_REASONS,
    OPPORTUNITY_STATE_OF_STATUS,
    TYPICAL_PROBABILITY,
    Opportunity,
    OpportunityProduct,
    OpportunityState,
    OpportunityStatus,
    SalesStage,
)
from accounts.models.organisation import (
    BusinessUnit,
    Product,
    Team,
    User,
)
from accounts.models.saved_views import (
    LIST_URL_NAMES,
    DefaultView,
    ListKind,
    SavedView,
    Visibility,
)
from accounts.models.tokens import (
    ApiToken,
    TokenScope,
    hash_secret,
    new_api_key,
    split_api_key,
)

__all__ = [
    "MONEY",
    "Industry",
    "ADDRESS_FIELDS",
    "AddressFields",
    "owner_constraint",
    "OwnedModel",
    "state_matches_status_constraint",
    "BusinessUnit",
    "User",
    "Team",
    "Product",
    "Account",
    "Contact",
    "OpportunityState",
    "OpportunityStatus",
    "OPPORTUNITY_STATE_OF_STATUS",
    "OPPORTUNITY_LOST_REASONS",
    "SalesStage",
    "TYPICAL_PROBABILITY",
    "Opportunity",
    "OpportunityProduct",
    "ApiToken",
    "TokenScope",
    "new_api_key",
    "hash_secret",
    "split_api_key",
    "IdempotencyKey",
    "IDEMPOTENCY_KEY_LIFETIME",
    "SavedView",
    "DefaultView",
    "ListKind",
    "Visibility",
    "LIST_URL_NAMES",
]
from accounts.models.stages import (  # noqa: E402
    StageProcess,
    StageStep,
    StageVisit,
    StepCheck,
    missing_required_steps,
    process_steps,
    step_value_present,
)

__all__ += [
    "StageProcess",
    "StageStep",
    "StageVisit",
    "StepCheck",
    "missing_required_steps",
    "process_steps",
    "step_value_present",
]
from accounts.models.audit import (  # noqa: E402
    ApiListRead,
    ExportChannel,
    ExportedRecords,
    ExportLog,
)

__all__ += ["ApiListRead", "ExportChannel", "ExportedRecords", "ExportLog"]
