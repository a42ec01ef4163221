"""Authentication backends."""

from django.contrib.auth import backends

from accounts.permissions import permission_names


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, answering from the permissions read with the user's
    groups and teams (accounts.permissions.permission_names: one query a request
    for all three) instead of two permission queries of its own. Superusers and
    the per-object API behave as in Django."""

    def get_all_permissions(self, user_obj, obj=None):
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or obj is not None
            or user_obj.is_superuser
        ):
            return super().get_all_permissions(user_obj, obj)
        return permission_names(user_obj)
