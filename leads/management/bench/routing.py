"""Routing scenarios: the routing service (issue 9) is not on this branch yet."""

from leads.management.bench import placeholder

NOTE = "not built yet on this branch: needs leads.services.routing (issue 9)"

placeholder("route", NOTE)
placeholder("route_bulk_10k", NOTE)
