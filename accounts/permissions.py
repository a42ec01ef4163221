"""Roles and the record-scope gate shared by every list, detail, report and action.

Record scope mirrors D365 access levels:
- Sales rep: records owned by the user or by one of the user's teams.
- Sales manager: records whose owning business unit is the manager's unit or below it.
- Administrator (group) and superusers: everything.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import BusinessUnit, Team, User
from accounts.sql import user_access_rows

SALES_REP = "Sales rep"
SALES_MANAGER = "Sales manager"
ADMINISTRATOR = "Administrator"
# Answers access requests, erases people and sets legal holds (the privacy app);
# administrators may do the same. Not a record scope: the privacy pages reach every
# record, the sales pages keep the role's own scope.
PRIVACY_OFFICER = "Privacy officer"
ROLES = [SALES_REP, SALES_MANAGER, ADMINISTRATOR, PRIVACY_OFFICER]


def _load_access(user) -> None:
    """Read the user's groups, teams and permissions once (one statement:
    accounts.sql.user_access_rows) and keep them on the user object, which lives
    as long as the request."""
    groups, teams, perms, parents, parts = set(), [], set(), {}, {}
    if user.pk is not None:
        for kind, value in user_access_rows(user.pk):
            if kind == "group":
                groups.add(value)
            elif kind == "team":
                teams.append(int(value))
            elif kind == "perm":
                perms.add(value)
            elif kind == "unit":
                pk, parent = value.split(":")
                parents[int(pk)] = int(parent) if parent else None
            else:
                parts[kind] = value
        user._leadsite_bu_parents = parents
    user._leadsite_groups = groups
    user._leadsite_team_ids = sorted(teams)
    user._leadsite_perms = perms
    user._leadsite_access_parts = parts


def forget_access_part(user, kind: str) -> None:
    """After a write in this request that changes it (notifications marked read):
    the part is read again by its own app when next asked (access_part: None)."""
    getattr(user, "_leadsite_access_parts", {}).pop(kind, None)


def access_part(user, kind: str) -> str | None:
    """The value of a registered access part (accounts.sql.register_access_part)
    for `user`, read with the groups: None when the statement gave no row."""
    if not hasattr(user, "_leadsite_access_parts"):
        _load_access(user)
    return user._leadsite_access_parts.get(kind)


def _group_names(user) -> set[str]:
    # Cached on the user object: one query per request however many gates run.
    if not hasattr(user, "_leadsite_groups"):
        _load_access(user)
    return user._leadsite_groups


def team_ids(user) -> list[int]:
    """Ids of the teams the user is a member of (read with the groups)."""
    if not hasattr(user, "_leadsite_team_ids"):
        _load_access(user)
    return user._leadsite_team_ids


def permission_names(user) -> set[str]:
    """The user's permissions, own and through groups, as "app_label.codename"
    (read with the groups; accounts.backends.ModelBackend answers has_perm from it)."""
    if not hasattr(user, "_leadsite_perms"):
        _load_access(user)
    return user._leadsite_perms


def is_administrator(user) -> bool:
    return user.is_active and (user.is_superuser or ADMINISTRATOR in _group_names(user))


def is_manager(user) -> bool:
    return user.is_active and SALES_MANAGER in _group_names(user)


def is_privacy_officer(user) -> bool:
    """Privacy officers and administrators: the privacy pages (access exports,
    erasure, legal holds) are theirs."""
    return user.is_active and (
        is_administrator(user) or PRIVACY_OFFICER in _group_names(user)
    )


def business_unit_subtree_ids(root_id) -> list[int]:
    """Ids of a business unit and all units below it (the BU table is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in BusinessUnit.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [root_id]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found


def _unit_parents(user) -> dict[int, int | None]:
    """Every business unit's parent, read once per request with the user's groups
    (accounts.sql's "unit" rows): cached on the user object, which lives as long
    as the request."""
    if not hasattr(user, "_leadsite_bu_parents") and user.pk is not None:
        _load_access(user)
    if not hasattr(user, "_leadsite_bu_parents"):
        user._leadsite_bu_parents = dict(
            BusinessUnit.objects.values_list("pk", "parent_id")
        )
    return user._leadsite_bu_parents


def unit_subtree_ids(user) -> list[int]:
    """The user's business unit and every unit below it, read once per request."""
    if not hasattr(user, "_leadsite_bu_ids"):
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in _unit_parents(user).items():
            children.setdefault(parent_id, []).append(pk)
        found, stack = [], [user.business_unit_id]
        while stack:
            pk = stack.pop()
            found.append(pk)
            stack.extend(children.get(pk, []))
        user._leadsite_bu_ids = found
    return user._leadsite_bu_ids


def unit_and_ancestor_ids(user) -> list[int]:
    """The user's business unit and those above it (the same read per request)."""
    parents = _unit_parents(user)
    found, pk = [], user.business_unit_id
    while pk is not None and pk not in found:
        found.append(pk)
        pk = parents.get(pk)
    return found


@dataclass(frozen=True)
class Scope:
    """A user's record scope as data: everything (ALL), nothing (NONE: an inactive
    or anonymous user), the records of some business units (UNITS: `values` are
    the unit ids) or of an owner (OWNER: `values` are the user's id, then the ids
    of the user's teams). `q` is the one predicate every gate applies."""

    ALL, NONE, UNITS, OWNER = "all", "none", "units", "owner"

    kind: str
    values: tuple[int, ...] = ()

    @property
    def shape(self) -> tuple[str, int]:
        """What the predicate's SQL text depends on besides the values."""
        return self.kind, len(self.values)

    def q(self, *, prefix: str = "") -> Q | None:
        """The Q that limits owned records to the scope; None means no limit.

        `prefix` reaches the owned record through a relation (e.g. "lead__")."""
        if self.kind == Scope.ALL:
            return None
        if self.kind == Scope.NONE:
            return Q(pk__in=[])
        if self.kind == Scope.UNITS:
            return Q(**{f"{prefix}business_unit_id__in": list(self.values)})
        user_id, *teams = self.values
        return Q(**{f"{prefix}owner_user_id": user_id}) | Q(
            **{f"{prefix}owner_team_id__in": teams}
        )


def scope_of(user) -> Scope:
    """The user's record scope (see the module's docstring)."""
    if is_administrator(user):
        return Scope(Scope.ALL)
    if not user.is_authenticated or not user.is_active:
        return Scope(Scope.NONE)
    if not scope_goes_by_owner(user):
        return Scope(Scope.UNITS, tuple(unit_subtree_ids(user)))
    return Scope(Scope.OWNER, (user.pk, *team_ids(user)))


def scope_q(user, *, prefix: str = "") -> Q | None:
    """The Q that limits owned records to the user's scope; None means no limit.

    `prefix` reaches the owned record through a relation (e.g. "lead__").
    """
    return scope_of(user).q(prefix=prefix)


def scope_goes_by_owner(user) -> bool:
    """Whether scope_q limits `user` by the records' owners (a rep, a manager
    without a unit, an inactive user) rather than by business unit or not at all
    (a manager, an administrator): who may read owner-less summary rows."""
    if is_administrator(user):
        return False
    return not (
        user.is_authenticated
        and user.is_active
        and is_manager(user)
        and user.business_unit_id
    )


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """The single gate: `queryset` narrowed to the records `user` may see.

    Works for every owned model (Lead, Account, Contact, Opportunity). Records outside
    the result are treated as missing (404) by views.
    """
    q = scope_q(user)
    return queryset if q is None else queryset.filter(q)


# --- What filters and forms ask the gate ----------------------------------------------
# Choices in filters and forms follow the same rules as the records: the business
# units a user's records can be in, and the people and teams a user may give records to.


def visible_business_units(user) -> QuerySet:
    """Business units in the user's scope: all for administrators, the subtree for
    managers, the own unit for everyone else (by name)."""
    qs = BusinessUnit.objects.order_by("name")
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        return qs.filter(pk__in=unit_subtree_ids(user))
    return qs.filter(pk=user.business_unit_id)


def assignable_users(user) -> QuerySet:
    """Active users `user` may give records to: everyone for administrators, the
    business unit subtree for managers, the own business unit (and self) for reps."""
    qs = User.objects.filter(is_active=True).order_by(
        "first_name", "last_name", "username"
    )
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        return qs.filter(business_unit_id__in=unit_subtree_ids(user))
    return qs.filter(
        Q(pk=user.pk) | Q(business_unit_id=user.business_unit_id)
        if user.business_unit_id
        else Q(pk=user.pk)
    )


def assignable_teams(user) -> QuerySet:
    """Teams `user` may give records to (the rule of assignable_users, plus the
    user's own teams)."""
    qs = Team.objects.order_by("name")
    if is_administrator(user):
        return qs
    if is_manager(user) and user.business_unit_id:
        return qs.filter(business_unit_id__in=unit_subtree_ids(user))
    condition = Q(members=user)
    if user.business_unit_id:
        condition |= Q(business_unit_id=user.business_unit_id)
    return qs.filter(condition).distinct()


def mine_q(user, *, prefix: str = "") -> Q:
    """ "Mine" in every app and view: records the user owns personally.

    Team-owned records are the team's queue (the lead list's "Unassigned" view);
    they are in the user's scope but not "mine".
    """
    return Q(**{f"{prefix}owner_user": user})


def may_see_changes(user) -> bool:
    """Managers and administrators see the Changes tab (a record's field history)."""
    return is_administrator(user) or is_manager(user)


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
