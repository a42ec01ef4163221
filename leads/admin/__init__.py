"""Django admin for leads, by sub-domain: lifecycle (leads and their transitions),
links, timeline, capture (campaigns, capture forms), exports (the export log),
imports (import and capture logs), routing (rules, assignment log) and scoring
(settings, rebuilds, scores and their frequency tables).
"""

from leads.admin import (  # noqa: F401
    capture,
    exports,
    imports,
    lifecycle,
    links,
    reports,
    routing,
    scoring,
    timeline,
)
