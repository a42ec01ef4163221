"""The accounts app's hand-written SQL: only statements measured to matter on a hot
read (README, "Performance", "Hand-written SQL"). Each has a test that it returns
what the ORM version returns (tests/test_account_sql.py). Everything else is ORM.
"""

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.utils import timezone

from accounts.models import ApiToken, BusinessUnit, Team, User

# Rows other apps read on every page, carried in the same round trip (see
# register_access_part): kind -> build(connection) -> (SQL selecting (kind, text)
# rows, the parameters' names: "user" or "now").
ACCESS_PARTS: dict[str, Callable] = {}


def register_access_part(kind: str, build: Callable) -> None:
    """Adds rows of `kind` to the access statement (from an app's ready(): the
    notifications bell's unread count): what every page reads, in one round trip."""
    ACCESS_PARTS[kind] = build


def _api_token_part(connection):
    qn = connection.ops.quote_name
    return (
        f"SELECT 'api_token', '1' WHERE EXISTS (SELECT 1 FROM"  # noqa: S608
        f" {qn(ApiToken._meta.db_table)} t WHERE t.user_id = %s"
        " AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s))",
        ["user", "now"],
    )


def _unit_part(connection):
    # Every business unit with its parent (a short table): the scope gate's tree.
    return (
        "SELECT 'unit', CAST(u.id AS VARCHAR(20)) || ':' ||"  # noqa: S608
        " COALESCE(CAST(u.parent_id AS VARCHAR(20)), '')"
        f" FROM {connection.ops.quote_name(BusinessUnit._meta.db_table)} u",
        [],
    )


register_access_part("api_token", _api_token_part)
register_access_part("unit", _unit_part)


def _access_sql(connection) -> str:
    qn = connection.ops.quote_name
    user_groups = qn(User.groups.through._meta.db_table)
    user_perms = qn(User.user_permissions.through._meta.db_table)
    group_perms = qn(Group.permissions.through._meta.db_table)
    members = qn(Team.members.through._meta.db_table)
    perm, ctype = qn(Permission._meta.db_table), qn(ContentType._meta.db_table)
    perm_name = "ct.app_label || '.' || p.codename"
    perm_from = f"{perm} p JOIN {ctype} ct ON ct.id = p.content_type_id"
    # Kept as SQL: read on every request, one round trip instead of four ORM
    # queries (see README, Performance).
    return (
        f"SELECT 'group', g.name FROM {qn(Group._meta.db_table)} g"  # noqa: S608
        f" JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = %s"
        " UNION ALL"
        f" SELECT 'team', CAST(m.team_id AS VARCHAR(20)) FROM {members} m"
        " WHERE m.user_id = %s"
        " UNION ALL"
        f" SELECT 'perm', {perm_name} FROM {perm_from}"
        f" JOIN {user_perms} up ON up.permission_id = p.id WHERE up.user_id = %s"
        " UNION ALL"
        f" SELECT 'perm', {perm_name} FROM {perm_from}"
        f" JOIN {group_perms} gp ON gp.permission_id = p.id"
        f" JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s"
    )


def user_access_rows(user_id: int, *, parts=True) -> list[tuple[str, str]]:
    """What the gates ask of a user, in one round trip: ("group", name),
    ("team", team id as text) and ("perm", "app_label.codename") rows, the
    permissions own and through groups (a permission may come twice); with
    `parts`, the registered ACCESS_PARTS' rows as well: ("api_token", "1") when
    the user holds a usable token, ("unit", "id:parent id") per business unit and
    the other apps' (the bell's ("unread", count))."""
    connection = connections[router.db_for_read(User)]
    sql, params = _access_sql(connection), [user_id] * 4
    if parts:
        values = {"user": user_id, "now": timezone.now()}
        for build in ACCESS_PARTS.values():
            part, names = build(connection)
            sql += f" UNION ALL {part}"
            params += [values[name] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
