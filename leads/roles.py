"""The roles as Django groups and the model permissions each holds.

The roles data migration made the groups once; models added since then need their
permissions too, so ``sync_roles`` runs after every ``migrate`` (post_migrate, see
leads.apps) and brings each group's permissions up to this definition. Administrators
hold every permission of our apps.
"""

from django.contrib.auth.management import create_permissions

from accounts.permissions import (
    ADMINISTRATOR,
    PRIVACY_OFFICER,
    SALES_MANAGER,
    SALES_REP,
)

REP_MODELS = {
    "leads": [
        "lead",
        "leadaccount",
        "leadcontact",
        "leadproduct",
        "activity",
        "note",
        "attachment",
    ],
    "accounts": ["account", "contact", "opportunity", "opportunityproduct"],
}
READ_ONLY = {
    "leads": [
        "campaign",
        "captureform",
        # Consent purposes are the administrators'; the log and states are
        # written by the consent services only.
        "consentpurpose",
        "captureformpurpose",
        "consentevent",
        "consentstate",
    ],
    "accounts": ["product", "team", "businessunit", "stagestep"],
}
MANAGER_EXTRA = {
    "leads": ["routingrule", "campaign", "captureform", "captureformpurpose"]
}
MANAGER_VIEW = {"leads": ["leadassignment"]}
ADMIN_APPS = [
    "leads",
    "accounts",
    "webhooks",
    "notifications",
    "auth",
    "django_fsm_log",
    "privacy",
]
# The privacy officer holds every permission of these apps (legal holds, the access
# and erasure logs), and none of the sales apps'.
PRIVACY_APPS = ["privacy"]


def _codenames(models_by_app, actions):
    return {
        (app, f"{action}_{model}")
        for app, models in models_by_app.items()
        for model in models
        for action in actions
    }


def role_permissions() -> dict[str, set[tuple[str, str]] | None]:
    """(app_label, codename) pairs per role; None means every permission of
    ADMIN_APPS."""
    rep = _codenames(REP_MODELS, ["view", "add", "change"]) | _codenames(
        READ_ONLY, ["view"]
    )
    manager = (
        rep
        | _codenames(REP_MODELS, ["delete"])
        | _codenames(MANAGER_EXTRA, ["view", "add", "change", "delete"])
        | _codenames(MANAGER_VIEW, ["view"])
    )
    return {SALES_REP: rep, SALES_MANAGER: manager, ADMINISTRATOR: None}


def sync_roles(apps) -> None:
    """Create the role groups if missing and set their permissions to the
    definition above (`apps`: the global registry or a migration's)."""
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, pairs in role_permissions().items():
        if pairs is None:
            perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
        else:
            query = Permission.objects.none()
            for app, codename in pairs:
                query = query | Permission.objects.filter(
                    content_type__app_label=app, codename=codename
                )
            perms = query
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(list(perms))
    group, _ = Group.objects.get_or_create(name=PRIVACY_OFFICER)
    group.permissions.set(
        list(Permission.objects.filter(content_type__app_label__in=PRIVACY_APPS))
    )


def sync_roles_after_migrate(sender, apps=None, using="default", **kwargs):
    if using != "default":
        return
    if apps is None:  # a flush (transactional tests) sends no app registry
        from django.apps import apps
    sync_roles(apps)
