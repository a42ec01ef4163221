"""Roles and the record-scope gate shared by every list, detail, report and action.

Record scope mirrors D365 access levels:
- Sales rep: records owned by the user or by one of the user's teams.
- Sales manager: records whose owning business unit is the manager's unit or below it.
- Administrator (group) and superusers: everything.
"""

from django.db.models import Q, QuerySet

SALES_REP = "Sales rep"
SALES_MANAGER = "Sales manager"
ADMINISTRATOR = "Administrator"
ROLES = [SALES_REP, SALES_MANAGER, ADMINISTRATOR]


def _group_names(user) -> set[str]:
    # Cached on the user object: one query per request however many gates run.
    if not hasattr(user, "_leadsite_groups"):
        user._leadsite_groups = set(user.groups.values_list("name", flat=True))
    return user._leadsite_groups


def is_administrator(user) -> bool:
    return user.is_active and (user.is_superuser or ADMINISTRATOR in _group_names(user))


def is_manager(user) -> bool:
    return user.is_active and SALES_MANAGER in _group_names(user)


def business_unit_subtree_ids(root_id) -> list[int]:
    """Ids of a business unit and all units below it (the BU table is small)."""
    from accounts.models import BusinessUnit

    children: dict[int | None, list[int]] = {}
    for pk, parent_id in BusinessUnit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [root_id]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found


def unit_subtree_ids(user) -> list[int]:
    """The user's business unit and every unit below it, read once per request:
    cached on the user object, which lives as long as the request."""
    if not hasattr(user, "_leadsite_bu_ids"):
        user._leadsite_bu_ids = business_unit_subtree_ids(user.business_unit_id)
    return user._leadsite_bu_ids


def scope_q(user, *, prefix: str = "") -> Q | None:
    """The Q that limits owned records to the user's scope; None means no limit.

    `prefix` reaches the owned record through a relation (e.g. "lead__").
    """
    if is_administrator(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if is_manager(user) and user.business_unit_id:
        return Q(**{f"{prefix}business_unit_id__in": unit_subtree_ids(user)})
    if not hasattr(user, "_leadsite_team_ids"):
        user._leadsite_team_ids = list(user.teams.values_list("pk", flat=True))
    return Q(**{f"{prefix}owner_user": user}) | Q(
        **{f"{prefix}owner_team_id__in": user._leadsite_team_ids}
    )


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """The single gate: `queryset` narrowed to the records `user` may see.

    Works for every owned model (Lead, Account, Contact, Opportunity). Records outside
    the result are treated as missing (404) by views.
    """
    q = scope_q(user)
    return queryset if q is None else queryset.filter(q)


def visible_and_owned_by(user, queryset: QuerySet) -> QuerySet:
    """The records `user` owns personally, through the same gate.

    A rep's own records are inside the rep's scope by definition, so for a rep the
    whole predicate is owner = user. ANDing the scope's (owner = user OR team in
    the user's teams) with owner = user gives the same rows, but the planner cannot
    drop the OR: the teams column forces a heap visit per row where an index-only
    scan of (owner, state, created) would do ("My open leads", the home page).
    Managers and administrators keep their scope ANDed as before.
    """
    if (
        user.is_authenticated
        and user.is_active
        and not (is_administrator(user) or is_manager(user))
    ):
        return queryset.filter(owner_user=user)
    return visible_to(user, queryset).filter(owner_user=user)
