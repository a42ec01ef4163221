"""Btree indexes on the reversed phone digit columns of accounts and contacts
(PostgreSQL only), for "ends with" as a prefix match of the reversed digits (see
leads/migrations/0014_phone_suffix_indexes.py)."""

from django.db import migrations

INDEXES = [
    ("account_phone_digits_rev", "accounts_account", "phone_digits"),
    ("contact_business_phone_digits_rev", "accounts_contact", "business_phone_digits"),
    ("contact_mobile_phone_digits_rev", "accounts_contact", "mobile_phone_digits"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"((reverse({column}::text)) text_pattern_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_export_log")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
