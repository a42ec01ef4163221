"""Django admin for leads, by sub-domain: lifecycle (leads and their transitions),
links, timeline, capture (campaigns, capture forms), exports (the export log),
imports (import and capture logs) and routing (rules, assignment log).
"""

from leads.admin import (  # noqa: F401
    capture,
    exports,
    imports,
    lifecycle,
    links,
    reports,
    routing,
    timeline,
)
