"""Django admin for leads, by sub-domain: lifecycle (leads and their transitions),
links, timeline, capture (campaigns, capture forms) and routing (rules, assignment log).
"""

from leads.admin import capture, lifecycle, links, routing, timeline  # noqa: F401
