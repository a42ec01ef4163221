"""Indexes Django's Meta.indexes cannot express, for the pages at a million rows
(PostgreSQL only; SQLite gets nothing: its planner does without them at demo sizes).

The qualify page's duplicate lookups:
- account/contact UPPER(email): the match compares emails case-blind
  (UPPER(email) = UPPER(...)); the plain email index cannot serve that.
- account UPPER(name) text_pattern_ops: "same company name" also matches a
  normalised prefix (UPPER(name) LIKE 'JONES%').
The pickers and lists of a manager's business unit:
- (business_unit_id, modified_at DESC) on accounts and contacts: the "100 most
  recently modified" pickers read the top of this index instead of sorting the unit.
- (business_unit_id, name) on accounts, (business_unit_id, last_name, first_name)
  on contacts: the lead page's "link an account/contact" pickers (first 25 by name)
  and the account and contact lists.
- (business_unit_id, created_at DESC) on opportunities: the opportunity list, newest
  first, reads 50 index entries.
- opportunity_bu_state_totals, covering (estimated_value, close_probability): the
  opportunity list's totals of a unit's open, won or lost deals read this index alone.
The phones' digit columns (generated, accounts.models.customers):
- GIN trigram indexes serve the searches' "contains" and "ends with" (the btree
  indexes in Meta serve "same number").
"""

from django.db import migrations

INDEXES = [
    ("account_email_upper", "accounts_account", "(UPPER(email::text))"),
    ("contact_email_upper", "accounts_contact", "(UPPER(email::text))"),
    (
        "account_name_upper_prefix",
        "accounts_account",
        "(UPPER(name::text) text_pattern_ops)",
    ),
    ("account_bu_modified", "accounts_account", "(business_unit_id, modified_at DESC)"),
    ("contact_bu_modified", "accounts_contact", "(business_unit_id, modified_at DESC)"),
    ("account_bu_name", "accounts_account", "(business_unit_id, name)"),
    (
        "contact_bu_name",
        "accounts_contact",
        "(business_unit_id, last_name, first_name)",
    ),
    (
        "opportunity_bu_created",
        "accounts_opportunity",
        "(business_unit_id, created_at DESC)",
    ),
    (
        "opportunity_bu_state_totals",
        "accounts_opportunity",
        "(business_unit_id, state) INCLUDE (estimated_value, close_probability)",
    ),
    (
        "account_phone_digits_trgm",
        "accounts_account",
        "USING gin (phone_digits gin_trgm_ops)",
    ),
    (
        "contact_phone_digits_trgm",
        "accounts_contact",
        "USING gin (business_phone_digits gin_trgm_ops)",
    ),
    (
        "contact_mobile_digits_trgm",
        "accounts_contact",
        "USING gin (mobile_phone_digits gin_trgm_ops)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_business_date_range")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
