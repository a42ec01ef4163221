"""Indexes the qualify page's lookups need at a million leads (PostgreSQL only).

- account/contact UPPER(email): the duplicate match compares emails case-blind
  (UPPER(email) = UPPER(...)); the plain email index cannot serve that.
- account UPPER(name) text_pattern_ops: "same company name" also matches a
  normalised prefix (UPPER(name) LIKE 'JONES%').
- contact mobile_phone: "same phone" matches the mobile number too.
- (business_unit_id, modified_at DESC) on accounts and contacts: the "100 most
  recently modified" pickers of a manager read the top of this index instead of
  sorting the business unit's rows.
- (business_unit_id, name) on accounts, (business_unit_id, last_name, first_name)
  on contacts: the lead page's "link an account/contact" pickers (first 25 by
  name in a manager's scope) and the account and contact lists.
- (business_unit_id, created_at DESC) on opportunities: the opportunity list of a
  manager, newest first, reads 50 index entries.

SQLite: nothing (its planner does without at demo sizes).
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
    ("contact_mobile_phone", "accounts_contact", "(mobile_phone)"),
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
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, columns in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_h4_integrity")]

    operations = [migrations.RunPython(create, drop)]
