"""Account, contact and opportunity pages, by sub-domain: common, customers,
opportunities; and the user's API tokens (tokens)."""

from accounts.views.customers import (
    AccountCreateView,
    AccountDetailView,
    AccountListView,
    AccountUpdateView,
    ContactCreateView,
    ContactDetailView,
    ContactListView,
    ContactUpdateView,
    account_autocomplete,
    contact_autocomplete,
)
from accounts.views.opportunities import (
    OpportunityCreateView,
    OpportunityDetailView,
    OpportunityListView,
    OpportunityLoseView,
    OpportunityOutcomeView,
    OpportunityUpdateView,
    OpportunityWinView,
    opportunity_add_product,
    opportunity_remove_product,
    opportunity_reopen,
)
from accounts.views.tokens import api_token_revoke, api_tokens

__all__ = [
    "AccountListView",
    "AccountDetailView",
    "AccountCreateView",
    "AccountUpdateView",
    "ContactListView",
    "ContactDetailView",
    "ContactCreateView",
    "ContactUpdateView",
    "account_autocomplete",
    "contact_autocomplete",
    "OpportunityListView",
    "OpportunityDetailView",
    "OpportunityCreateView",
    "OpportunityUpdateView",
    "OpportunityOutcomeView",
    "OpportunityWinView",
    "OpportunityLoseView",
    "opportunity_reopen",
    "opportunity_add_product",
    "opportunity_remove_product",
    "api_tokens",
    "api_token_revoke",
]
