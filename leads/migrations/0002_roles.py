"""Create the three roles as groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REP_MODELS = {
    "leads": ["lead", "leadaccount", "leadcontact", "leadproduct", "activity", "note", "attachment"],
    "accounts": ["account", "contact", "opportunity", "opportunityproduct"],
}
READ_ONLY = {"leads": ["campaign", "captureform"], "accounts": ["product", "team", "businessunit"]}
MANAGER_EXTRA = {
    "leads": ["routingrule", "campaign", "captureform"],
}


def codenames(models_by_app, actions):
    return [
        (app, f"{action}_{model}")
        for app, models in models_by_app.items()
        for model in models
        for action in actions
    ]


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; make them now (historical app
    # configs have no models_module, which create_permissions requires).
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        return [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in pairs
        ]

    rep = codenames(REP_MODELS, ["view", "add", "change"]) + codenames(READ_ONLY, ["view"])
    manager = (
        rep
        + codenames(REP_MODELS, ["delete"])
        + codenames(MANAGER_EXTRA, ["view", "add", "change", "delete"])
        + [("leads", "view_leadassignment")]
    )
    administrator = list(
        Permission.objects.filter(
            content_type__app_label__in=["leads", "accounts", "auth", "django_fsm_log"]
        ).values_list("content_type__app_label", "codename")
    )
    for name, pairs in [
        ("Sales rep", rep),
        ("Sales manager", manager),
        ("Administrator", administrator),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms(sorted(set(pairs))))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Sales rep", "Sales manager", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_fsm_log", "0004_add_source_state"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
