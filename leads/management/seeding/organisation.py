"""Business units, teams and users with their roles.

Small (the default): Contoso with North and South, two teams, ten users. Large (a
seed of LARGE_ORG_FROM leads or more, or --org large): five business units, twenty
teams and two hundred users, so a million leads spread over owners as in a real
sales organisation. Both keep the demo logins admin, manager, rep and rep2.
"""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import BusinessUnit, Team, User
from accounts.permissions import (
    ADMINISTRATOR,
    PRIVACY_OFFICER,
    SALES_MANAGER,
    SALES_REP,
)

LARGE_ORG_FROM = 100_000  # leads
LARGE_USERS = 200
# (username, first, last, role, business unit, team)
USERS = [
    ("admin", "Alex", "Morgan", ADMINISTRATOR, "Contoso", None),
    ("manager", "Maria", "Garcia", SALES_MANAGER, "North", None),
    ("manager2", "Henrik", "Larsen", SALES_MANAGER, "South", None),
    ("rep", "Ravi", "Patel", SALES_REP, "North", "North Sales"),
    ("rep3", "Tom", "Becker", SALES_REP, "North", "North Sales"),
    ("rep4", "Grace", "Okafor", SALES_REP, "North", "North Sales"),
    ("rep2", "Sofia", "Rossi", SALES_REP, "South", "South Sales"),
    ("rep5", "Lena", "Novak", SALES_REP, "South", "South Sales"),
    ("rep6", "Omar", "Haddad", SALES_REP, "South", "South Sales"),
    # Answers access requests and erasures (the privacy pages); owns no leads.
    ("privacy", "Priya", "Shah", PRIVACY_OFFICER, "Contoso", None),
]
LARGE_MANAGERS = [
    ("manager3", "Aiko", "Tanaka", SALES_MANAGER, "East", None),
    ("manager4", "Diego", "Alvarez", SALES_MANAGER, "West", None),
]
SMALL_UNITS = ["North", "South"]  # below Contoso
LARGE_UNITS = ["North", "South", "East", "West"]
TEAM_KINDS = ["Sales", "Inside Sales", "Enterprise", "Partner Sales"]
DEFAULT_OWNERS = {"Contoso": "admin", "North": "manager", "South": "manager2"}
LARGE_DEFAULT_OWNERS = {"East": "manager3", "West": "manager4"}


def _team_names(units):
    return [(f"{unit} {kind}", unit) for unit in units for kind in TEAM_KINDS]


def build_organisation(ctx, *, password, large):
    """Units, teams and users (looked up by name first: idempotent); fills
    ctx.units, ctx.teams, ctx.users and the weighted owner list."""
    root, _ = BusinessUnit.objects.get_or_create(name="Contoso")
    units = {"Contoso": root}
    for name in LARGE_UNITS if large else SMALL_UNITS:
        units[name] = BusinessUnit.objects.get_or_create(
            name=name, defaults={"parent": root}
        )[0]
    team_units = (
        _team_names(["Contoso", *LARGE_UNITS])
        if large
        else [("North Sales", "North"), ("South Sales", "South")]
    )
    teams = {
        name: Team.objects.get_or_create(
            name=name, defaults={"business_unit": units[unit]}
        )[0]
        for name, unit in team_units
    }
    people = list(USERS)
    if large:
        people += LARGE_MANAGERS
        team_list = list(teams)
        unit_of = dict(team_units)
        for n in range(7, 7 + LARGE_USERS - len(people)):
            first, last = ctx.pick_name()
            team = team_list[(n - 7) % len(team_list)]
            people.append((f"rep{n}", first, last, SALES_REP, unit_of[team], team))
    groups = {
        name: Group.objects.get(name=name)
        for name in (SALES_REP, SALES_MANAGER, ADMINISTRATOR, PRIVACY_OFFICER)
    }
    usernames = [person[0] for person in people]
    existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    hashed = None
    for username, first, last, role, unit, team in people:
        user = existing.get(username)
        if user is None:
            # One hash for all demo users: the hasher is slow on purpose.
            hashed = hashed or make_password(password)
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@contoso.example",
                business_unit=units[unit],
                # The privacy officer keeps legal holds in the admin too.
                is_staff=role in (ADMINISTRATOR, PRIVACY_OFFICER),
                is_superuser=username == "admin",
                password=hashed,
            )
            user.groups.add(groups[role])
            if team:
                teams[team].members.add(user)
        ctx.users[username] = user
    defaults = {**DEFAULT_OWNERS, **(LARGE_DEFAULT_OWNERS if large else {})}
    for unit_name, username in defaults.items():
        unit = units[unit_name]
        if unit.default_owner_id is None:
            unit.default_owner = ctx.users[username]
            unit.save(update_fields=["default_owner"])
    ctx.units, ctx.teams = units, teams
    ctx.people = people
    # Who owns what: reps and managers themselves, plus every team.
    ctx.owners = [
        (ctx.users[username], None, units[unit], 10 if role == SALES_REP else 3)
        for username, _f, _l, role, unit, _t in people
        if role not in (ADMINISTRATOR, PRIVACY_OFFICER)
    ]
    ctx.owners += [(None, team, team.business_unit, 4) for team in teams.values()]
    ctx.admin_id = ctx.users["admin"].pk
    members = {}
    for team_id, user_id in Team.members.through.objects.filter(
        team__in=teams.values()
    ).values_list("team_id", "user_id"):
        members.setdefault(team_id, []).append(user_id)
    ctx.team_member_ids = {
        team.pk: sorted(members.get(team.pk, [])) or [ctx.admin_id]
        for team in teams.values()
    }
