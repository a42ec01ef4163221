"""Django admin for leads, by sub-domain: lifecycle (leads and their transitions),
links, timeline, capture (campaigns, capture forms) and routing (rules, assignment log).
"""

from leads.admin import (  # noqa: F401
    capture,
    lifecycle,
    links,
    reports,
    routing,
    timeline,
)
