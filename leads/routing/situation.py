"""What a routing decision reads besides the lead and the rules, and who of those
people can take a lead now.

leads.selectors.routing.situation.load_situation is the one place that fills a
Situation from the database (the routing service, the dry run and the lead form's
preview all call it); the choice of whom to read is made here (candidate_ids),
without a database.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext

from leads.routing.matching import unit_ancestry


@dataclass
class Situation:
    """What the decision needs besides the lead, all loaded beforehand.

    users: id -> user (targets, team members, fallback candidates);
    team_members: team id -> member ids; loads: user id -> open leads;
    cursors: rule id -> last assigned user id; default_owners: unit id -> user id;
    unit_names: unit id -> name; labels: (field, id) -> name;
    fallback_owner_id: the LEADSITE_FALLBACK_OWNER user's id (or None);
    exclude: users who may not get the lead (its owner, when re-routing away);
    keeper: the person creating the lead, when a person creates it: a lead no rule
    routes (no match, or the rule's target cannot take it) stays with them instead
    of going to its fallback owner, which is for leads nobody owns yet.
    """

    users: dict
    team_members: dict
    loads: dict
    cursors: dict
    parents: dict
    default_owners: dict
    unit_names: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    fallback_owner_id: object = None
    today: object = None
    exclude: set = field(default_factory=set)
    keeper: object = None

    def why_not(self, pk) -> str | None:
        """Why user `pk` cannot take the lead ("missing", "current owner" or
        ineligible_reason's words), or None when they can."""
        user = self.users.get(pk)
        if user is None:
            return gettext("missing")
        if pk in self.exclude:
            return gettext("current owner")
        return ineligible_reason(user, load=self.loads.get(pk, 0), today=self.today)


def ineligible_reason(user, *, load: int, today) -> str | None:
    """Why `user` cannot take a new lead now ("inactive", "unavailable",
    "at capacity"), or None when they can. `load` is their open-lead count."""
    if not user.is_active:
        return gettext("inactive")
    if not user.available_for_leads and (
        user.unavailable_until is None or today <= user.unavailable_until
    ):
        return gettext("unavailable")
    if user.lead_capacity is not None and load >= user.lead_capacity:
        return gettext("at capacity")
    return None


def candidate_ids(
    rules, *, members: dict, parents: dict, default_owners: dict, unit_ids
) -> set:
    """Every user id a decision over `rules` may look at: the rules' target users,
    their teams' `members` (team id -> ids) and the default owners of the units
    `unit_ids` and of the rules' units, each up the tree."""
    ids = set()
    units = []
    for unit_id in unit_ids:
        units += unit_ancestry(unit_id, parents)
    for rule in rules:
        if rule.target_user_id:
            ids.add(rule.target_user_id)
        ids.update(members.get(rule.target_team_id, ()))
        if rule.business_unit_id:
            units += unit_ancestry(rule.business_unit_id, parents)
    ids.update(default_owners.get(u) for u in units)
    ids.discard(None)
    return ids
