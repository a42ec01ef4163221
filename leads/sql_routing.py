"""Routing's hand-written SQL: the statements leads.selectors.routing.situation and
leads.services.routing run for every routed lead (README, "Performance",
"Hand-written SQL"). Short statements on small tables, which the ORM took longer
to build than the database takes to run them. Each has a test that it returns what
the ORM version returns (tests/test_sql.py, tests/test_sql_routing.py).

- active_rules_and_units: the active rules with their target teams and the
  business-unit tree, in one statement (a UNION ALL);
- business_unit_rows: the unit tree alone (a rule set given its rules);
- team_rule_rows: a team rule's round-robin turn with the team's members, locking
  the rule's row;
- candidate_users: the users a decision may pick, locking their rows.

The two locking reads keep their lock clause here: the ORM's
select_for_update(of=("self",)) locks the same rows, but built by the ORM these
reads cost routing more than they are allowed to. SQLite has neither row locks nor
FOR UPDATE: there the statements run without the clause, as the ORM's would.
"""

from django.db import connection, connections, router
from django.db.models.expressions import Col

from accounts.models import BusinessUnit, Team, User
from leads.models import RoutingRule

UNITS_TABLE = BusinessUnit._meta.db_table
RULES_TABLE = RoutingRule._meta.db_table
TEAMS_TABLE = Team._meta.db_table
MEMBERS_TABLE = Team.members.through._meta.db_table
USERS_TABLE = User._meta.db_table
# What routing reads of a user: eligibility, name, unit (not the password hash),
# and the language and time zone the new owner's notification is written in.
CANDIDATE_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "is_active",
    "business_unit",
    "lead_capacity",
    "available_for_leads",
    "unavailable_until",
    "language",
    "time_zone",
)
_CANDIDATE_COLUMNS = ", ".join(
    User._meta.get_field(name).column for name in ("id", *CANDIDATE_FIELDS)
)
_UNIT_COLUMNS = ("id", "parent_id", "default_owner_id", "name")
_RULE_FIELDS = RoutingRule._meta.concrete_fields
_TEAM_FIELDS = Team._meta.concrete_fields


def business_unit_rows() -> list[tuple[int, int | None, int | None, str]]:
    """(id, parent id, default owner id, name) of every business unit."""
    with connections[router.db_for_read(BusinessUnit)].cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_UNIT_COLUMNS)} FROM {UNITS_TABLE}"  # noqa: S608
        )
        return cursor.fetchall()


def _rules_and_units_sql() -> str:
    """A row per business unit ('u', its four columns, then NULLs), then a row per
    active rule ('r', four NULLs, the rule's columns, its target team's)."""
    qn = connection.ops.quote_name
    rule_columns = [f"r.{qn(f.column)}" for f in _RULE_FIELDS]
    team_columns = [f"t.{qn(f.column)}" for f in _TEAM_FIELDS]
    rest = len(rule_columns) + len(team_columns)
    units = ", ".join(
        ["'u'", *(f"u.{qn(c)}" for c in _UNIT_COLUMNS), *(["NULL"] * rest)]
    )
    rules = ", ".join(
        ["'r'", *(["NULL"] * len(_UNIT_COLUMNS)), *rule_columns, *team_columns]
    )
    active = qn(RoutingRule._meta.get_field("is_active").column)
    return (
        f"SELECT {units} FROM {UNITS_TABLE} u"  # noqa: S608
        f" UNION ALL SELECT {rules} FROM {RULES_TABLE} r"
        f" LEFT JOIN {TEAMS_TABLE} t ON t.id = r.target_team_id"
        f" WHERE r.{active}"
    )


_SQL: dict = {}  # (alias, vendor) -> (sql, rule converters, team converters)


def _converters(model, fields):
    """Per field, the converters the ORM applies to its value as read (a JSON
    column's text, SQLite's booleans and dates)."""
    result = []
    for field in fields:
        col = Col(model._meta.db_table, field)
        result.append(
            connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        )
    return result


def _convert(values, converters):
    out = []
    for value, functions in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, None, connection)
        out.append(value)
    return out


def active_rules_and_units() -> tuple[list[RoutingRule], list[tuple]]:
    """(the active rules, unordered, each with its target team loaded, as
    RoutingRule.objects.filter(is_active=True).select_related("target_team");
    the business_unit_rows), in one statement."""
    key = (connection.alias, connection.vendor)
    if key not in _SQL:
        _SQL[key] = (
            _rules_and_units_sql(),
            _converters(RoutingRule, _RULE_FIELDS),
            _converters(Team, _TEAM_FIELDS),
        )
    sql, rule_converters, team_converters = _SQL[key]
    rule_names = [f.attname for f in _RULE_FIELDS]
    team_names = [f.attname for f in _TEAM_FIELDS]
    width = len(_UNIT_COLUMNS) + 1
    rules, units = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    for row in rows:
        if row[0] == "u":
            units.append(tuple(row[1:width]))
            continue
        values = row[width : width + len(rule_names)]
        rule = RoutingRule.from_db(
            connection.alias, rule_names, _convert(values, rule_converters)
        )
        team = None
        if rule.target_team_id is not None:
            team_values = row[width + len(rule_names) :]
            team = Team.from_db(
                connection.alias, team_names, _convert(team_values, team_converters)
            )
        RoutingRule.target_team.field.set_cached_value(rule, team)
        rules.append(rule)
    return rules, units


def team_rule_rows(rule_ids, *, lock: bool) -> list[tuple[int, int | None, int | None]]:
    """(rule id, round-robin cursor, member id) for the rules `rule_ids` (team
    rules): a row per member of the rule's target team, one with member None for
    a team without members. With `lock`, the rules' rows are locked until the
    transaction ends: the rules' only, not the teams' or their membership rows
    (leads.services.locks: the lock order)."""
    sql = (
        f"SELECT r.id, r.last_assigned_user_id, m.user_id FROM {RULES_TABLE} r"  # noqa: S608
        f" LEFT JOIN {MEMBERS_TABLE} m ON m.team_id = r.target_team_id"
        f" WHERE r.id IN ({', '.join(['%s'] * len(rule_ids))})"
    )
    if lock and connection.features.has_select_for_update:
        # OF r: the outer join's member rows stay unlocked (PostgreSQL refuses to
        # lock the nullable side of an outer join anyway).
        sql += " FOR UPDATE OF r"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(rule_ids))
        return cursor.fetchall()


def candidate_users(ids, *, username: str, lock: bool) -> dict[int, User]:
    """id -> user for the users `ids` and the one named `username` (when set), in
    id order, with the fields routing reads (CANDIDATE_FIELDS; the rest load on
    use). With `lock`, their rows are locked until the transaction ends, in id
    order (leads.services.locks: the lock order), on the connection that writes."""
    where, params = [], []
    if ids:
        where.append(f"id IN ({', '.join(['%s'] * len(ids))})")
        params += sorted(ids)
    if username:
        where.append("username = %s")
        params.append(username)
    if not where:
        return {}
    sql = (
        f"SELECT {_CANDIDATE_COLUMNS} FROM {USERS_TABLE}"  # noqa: S608
        f" WHERE {' OR '.join(where)} ORDER BY id"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE OF " + USERS_TABLE
    users = User.objects.raw(
        sql, params, using=connection.alias if lock else router.db_for_read(User)
    )
    return {user.pk: user for user in users}
