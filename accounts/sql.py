"""The accounts app's hand-written SQL: only statements measured to matter on a hot
read (README, "Performance", "Hand-written SQL"). Each has a test that it returns
what the ORM version returns (tests/test_account_sql.py). Everything else is ORM.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from accounts.models import Team, User


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


def user_access_rows(user_id: int) -> list[tuple[str, str]]:
    """What the gates ask of a user, in one round trip: ("group", name),
    ("team", team id as text) and ("perm", "app_label.codename") rows, the
    permissions own and through groups (a permission may come twice)."""
    connection = connections[router.db_for_read(User)]
    with connection.cursor() as cursor:
        cursor.execute(_access_sql(connection), [user_id] * 4)
        return cursor.fetchall()
