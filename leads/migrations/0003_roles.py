"""The three roles (Sales rep, Sales manager, Administrator) as groups with their
model permissions, as leads.roles defines them.

leads.apps also runs sync_roles after every migrate (post_migrate), so models added
later reach the groups without a migration of their own.
"""

from django.db import migrations

from accounts.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP
from leads.roles import sync_roles


def create_roles(apps, schema_editor):
    sync_roles(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[SALES_REP, SALES_MANAGER, ADMINISTRATOR]
    ).delete()
    if schema_editor.connection.vendor == "postgresql":
        # The delete's deferred foreign-key checks must run before the table is
        # dropped by the next reverse step (PostgreSQL refuses to drop a table
        # with trigger events pending).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0002_business_date_range"),
        ("accounts", "0002_business_date_range"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_fsm_log", "0004_add_source_state"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
