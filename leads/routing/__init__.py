"""The routing engine: pure, no database access and no ORM writes. Callers pass
plain values and objects (rules, users) whose attributes are already loaded, so
all of it is unit-testable without a database and the dry run replays it in memory.

- conditions: the condition vocabulary (lead fields, operators), validating,
  testing and describing one condition; the rule model validates with it.
- matching: rule levels and precedence, the first rule that matches a lead.
- situation: what a decision reads besides the lead and the rules (people, loads,
  turns, the unit tree), and who of those people can take a lead now.
- fallback: the one fallback-owner rule, for a lead that no rule routes.
- decision: where a lead goes and why (rule, member of a team, fallback).

The routing service (leads.services.routing) loads the rules and the situation
(leads.selectors.routing.situation), decides here and writes the assignment. This
package imports no models, so the models may import it.
"""
