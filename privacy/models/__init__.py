"""Data-subject rights: legal holds, access exports, erasures, retention and the
export log (see README, "Privacy")."""

from privacy.models.holds import LegalHold
from privacy.models.logs import AccessRequest, Erasure, ErasureStatus

__all__ = ["LegalHold", "AccessRequest", "Erasure", "ErasureStatus"]

from privacy.models.retention import (  # noqa: E402
    ANONYMISED,
    REMOVED,
    LeadRetentionAction,
    RetentionKind,
    RetentionPolicy,
    RetentionRun,
    RunTrigger,
)

__all__ += [
    "ANONYMISED",
    "REMOVED",
    "LeadRetentionAction",
    "RetentionKind",
    "RetentionPolicy",
    "RetentionRun",
    "RunTrigger",
]
