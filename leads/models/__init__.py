"""Leads and everything about working them, one module per sub-domain:
choices (option sets), capture (campaigns, capture forms), lifecycle (the lead and
its state machine), links (accounts, contacts, interests), timeline (activities,
notes, attachments) and routing (rules, assignment log)."""

from leads.models.capture import (
    Campaign,
    CaptureForm,
    CaptureSubmission,
    PossibleDuplicate,
    new_capture_token,
)
from leads.models.choices import (
    ACCOUNT_FIELDS_FROM_LEAD,
    CLOSED_STATUSES,
    DISQUALIFY_REASONS,
    LEAD_COMPANY_FIELDS,
    LEAD_CONTACT_FIELDS,
    LEAD_DO_NOT_CONTACT_FIELDS,
    LEAD_FIELD_GROUPS,
    LEAD_FIELDS,
    LEAD_QUALIFICATION_FIELDS,
    LEAD_SOURCE_FIELDS,
    LEAD_STATE_OF_STATUS,
    OPEN_STATUSES,
    BudgetStatus,
    ContactMethod,
    LeadRating,
    LeadSource,
    LeadState,
    LeadStatus,
    Need,
    PurchaseProcess,
    PurchaseTimeframe,
)
from leads.models.imports import (
    DuplicateMode,
    ImportBatch,
    ImportRow,
    ImportStatus,
    RowOutcome,
)
from leads.models.lifecycle import Lead
from leads.models.links import (
    LeadAccount,
    LeadContact,
    LeadProduct,
)
from leads.models.routing import (
    AssignmentReason,
    AssignmentTrigger,
    Distribution,
    LeadAssignment,
    RoutingRule,
)
from leads.models.submissions import FormSubmission
from leads.models.timeline import (
    Activity,
    ActivityKind,
    ActivityState,
    Attachment,
    Direction,
    Note,
    TimelineItem,
    attachment_path,
    regarding_constraint,
)

__all__ = [
    "LeadSource",
    "LeadRating",
    "BudgetStatus",
    "PurchaseTimeframe",
    "PurchaseProcess",
    "Need",
    "ContactMethod",
    "LeadState",
    "LeadStatus",
    "LEAD_STATE_OF_STATUS",
    "OPEN_STATUSES",
    "DISQUALIFY_REASONS",
    "CLOSED_STATUSES",
    "Campaign",
    "new_capture_token",
    "CaptureForm",
    "CaptureSubmission",
    "PossibleDuplicate",
    "DuplicateMode",
    "ImportBatch",
    "ImportRow",
    "ImportStatus",
    "RowOutcome",
    "FormSubmission",
    "Lead",
    "LEAD_FIELD_GROUPS",
    "LEAD_FIELDS",
    "LEAD_CONTACT_FIELDS",
    "LEAD_COMPANY_FIELDS",
    "LEAD_SOURCE_FIELDS",
    "LEAD_QUALIFICATION_FIELDS",
    "LEAD_DO_NOT_CONTACT_FIELDS",
    "ACCOUNT_FIELDS_FROM_LEAD",
    "LeadAccount",
    "LeadContact",
    "LeadProduct",
    "regarding_constraint",
    "TimelineItem",
    "ActivityKind",
    "Direction",
    "ActivityState",
    "Activity",
    "Note",
    "attachment_path",
    "Attachment",
    "Distribution",
    "RoutingRule",
    "AssignmentReason",
    "AssignmentTrigger",
    "LeadAssignment",
]
from leads.models.reports import (  # noqa: E402
    SourceReportDay,
    SourceReportDirty,
    SourceReportHistogram,
    SourceReportStage,
    SourceReportState,
)

__all__ += [
    "SourceReportDay",
    "SourceReportHistogram",
    "SourceReportDirty",
    "SourceReportStage",
    "SourceReportState",
]
from leads.models.exports import (  # noqa: E402
    ExportFormat,
    ExportJob,
    ExportStatus,
)

__all__ += ["ExportFormat", "ExportJob", "ExportStatus"]
from leads.models.scoring import (  # noqa: E402
    ORGANISATION_SCOPE,
    TOTAL,
    LeadScore,
    RebuildStatus,
    ScoreCount,
    ScoreRebuild,
    ScoringConfig,
)

__all__ += [
    "ORGANISATION_SCOPE",
    "TOTAL",
    "LeadScore",
    "RebuildStatus",
    "ScoreCount",
    "ScoreRebuild",
    "ScoringConfig",
]
from leads.models.emails import (  # noqa: E402
    EmailMessage,
    EmailState,
    EmailTemplate,
    InboundMessage,
    InboundOutcome,
    MailAlias,
    new_reply_token,
)

__all__ += [
    "EmailMessage",
    "EmailState",
    "EmailTemplate",
    "InboundMessage",
    "InboundOutcome",
    "MailAlias",
    "new_reply_token",
]
from leads.models.duplicates import (  # noqa: E402
    DuplicateAction,
    DuplicateGroup,
    DuplicateMethod,
    DuplicateRecordType,
    DuplicateRule,
    DuplicateScan,
    ScanStatus,
)

__all__ += [
    "DuplicateAction",
    "DuplicateGroup",
    "DuplicateMethod",
    "DuplicateRecordType",
    "DuplicateRule",
    "DuplicateScan",
    "ScanStatus",
]
from leads.models.mass_update import (  # noqa: E402
    MassUpdate,
    MassUpdateOutcome,
    MassUpdateRow,
    MassUpdateStatus,
    UndoOutcome,
)

__all__ += [
    "MassUpdate",
    "MassUpdateOutcome",
    "MassUpdateRow",
    "MassUpdateStatus",
    "UndoOutcome",
]
from leads.models.consent import (  # noqa: E402
    USER_METHODS,
    CaptureFormPurpose,
    ConsentEvent,
    ConsentMethod,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
)

__all__ += [
    "USER_METHODS",
    "CaptureFormPurpose",
    "ConsentEvent",
    "ConsentMethod",
    "ConsentPurpose",
    "ConsentState",
    "ConsentStatus",
]
