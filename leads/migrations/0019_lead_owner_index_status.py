"""The index of a user's leads by state and date (lead_owner_state_created) also
carries each lead's status (PostgreSQL only; SQLite has no INCLUDE): the home page
counts a user's open leads and, with a FILTER, the New ones among them (capped at
10,000, leads.selectors.leads.open_and_new_counts), and the status was read from
the table, one page per lead: 78 ms for 10,000 of them at ten million leads. From
the index alone both counts read about a hundred index pages.

Built CONCURRENTLY under a new name, then swapped for the old one (dropped
CONCURRENTLY, the new one renamed), so writes to the leads go on while app servers
serve (docs/scale-out.md); a build interrupted earlier leaves an invalid index of
the new name, dropped first.
"""

from django.db import migrations

NAME = "lead_owner_state_created"
BUILDING = f"{NAME}_new"
KEY = "owner_user_id, state, created_at DESC, id DESC"


def _rebuild(schema_editor, include):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [
        f"DROP INDEX CONCURRENTLY IF EXISTS {BUILDING}",
        f"CREATE INDEX CONCURRENTLY {BUILDING} ON leads_lead ({KEY}){include}",
        f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}",
        f"ALTER INDEX {BUILDING} RENAME TO {NAME}",
    ]:
        schema_editor.execute(sql)


def with_status(apps, schema_editor):
    _rebuild(schema_editor, " INCLUDE (status)")


def without_status(apps, schema_editor):
    _rebuild(schema_editor, "")


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY run outside a transaction
    dependencies = [("leads", "0018_lead_score_owner")]

    operations = [migrations.RunPython(with_status, without_status)]
