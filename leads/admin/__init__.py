"""Django admin for leads, by sub-domain: lifecycle (leads and their transitions),
links, timeline, emails (templates, the email log), inbound (mail aliases,
the inbound log), capture (campaigns, capture forms), exports (the export log),
imports (import and capture logs), mass_update (the mass update log), duplicates (rules, scans), routing (rules, assignment log) and scoring
(settings, rebuilds, scores and their frequency tables).
"""

from leads.admin import (  # noqa: F401
    capture,
    consent,
    duplicates,
    emails,
    exports,
    imports,
    inbound,
    lifecycle,
    links,
    mass_update,
    reports,
    routing,
    scoring,
    timeline,
)
