"""Accounts' and contacts' phones as digits (issue 19): stored generated columns
(leadsite.core.phones.PhoneDigits) that the database fills for existing rows as it adds
them and keeps on every write, with btree indexes for same-number lookups. They
replace the indexes on the formatted phone columns (only exact matches used them).
On PostgreSQL, trigram indexes serve the searches' "contains" and "ends with", and
contact_mobile_phone (0002_h7, the qualify page's exact mobile match) goes.
"""

from django.db import migrations, models

import leadsite.core.phones

TRIGRAM_INDEXES = [
    ("account_phone_digits_trgm", "accounts_account", "phone_digits"),
    ("contact_phone_digits_trgm", "accounts_contact", "business_phone_digits"),
    ("contact_mobile_digits_trgm", "accounts_contact", "mobile_phone_digits"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin ({column} gin_trgm_ops)"
        )
    schema_editor.execute("DROP INDEX IF EXISTS contact_mobile_phone")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS contact_mobile_phone ON accounts_contact "
        "(mobile_phone)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_history_industry"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="account",
            name="accounts_ac_phone_f1755d_idx",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="accounts_co_busines_5ed9b6_idx",
        ),
        migrations.AddField(
            model_name="account",
            name="phone_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=leadsite.core.phones.PhoneDigits("phone"),
                output_field=models.CharField(max_length=50),
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="business_phone_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=leadsite.core.phones.PhoneDigits("business_phone"),
                output_field=models.CharField(max_length=50),
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="mobile_phone_digits",
            field=models.GeneratedField(
                db_persist=True,
                expression=leadsite.core.phones.PhoneDigits("mobile_phone"),
                output_field=models.CharField(max_length=50),
            ),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["phone_digits"], name="account_phone_digits"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["business_phone_digits"], name="contact_phone_digits"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["mobile_phone_digits"], name="contact_mobile_digits"
            ),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
