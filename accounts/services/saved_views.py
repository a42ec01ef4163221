"""Writes for saved list views: save, rename, delete, and each user's default view
per list. Who may share with whom is decided here (sharing_choices): a rep keeps
views personal, a manager shares with a team or business unit of their scope, an
administrator with any team, unit or everyone."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.models import (
    BusinessUnit,
    DefaultView,
    ListKind,
    SavedView,
    Team,
    User,
    Visibility,
)
from accounts.permissions import (
    assignable_teams,
    is_administrator,
    is_manager,
    visible_business_units,
)
from accounts.selectors import get_saved_view
from leadsite.core.services import service
from leadsite.core.validation import full_clean

NOT_YOURS = gettext_lazy("Only the person who saved a view renames or deletes it.")


def sharing_choices(*, user: User) -> tuple[QuerySet[Team], QuerySet[BusinessUnit]]:
    """The teams and business units `user` may share a view with: none for a rep,
    those of the manager's scope (the unit and below) for a manager, all for an
    administrator (who alone may also share with everyone)."""
    if not (is_administrator(user) or is_manager(user)):
        return Team.objects.none(), BusinessUnit.objects.none()
    return assignable_teams(user), visible_business_units(user)


def _refuse_unless_may_share(
    *, by: User, visibility: str, team: Team | None, business_unit: BusinessUnit | None
) -> None:
    if visibility == Visibility.PERSONAL:
        return
    if visibility == Visibility.EVERYONE:
        if not is_administrator(by):
            raise PermissionDenied(
                gettext("Only administrators share views with everyone.")
            )
        return
    teams, units = sharing_choices(user=by)
    if visibility == Visibility.TEAM:
        if team is None or not teams.filter(pk=team.pk).exists():
            raise PermissionDenied(gettext("You cannot share views with that team."))
    elif visibility == Visibility.BUSINESS_UNIT:
        if business_unit is None or not units.filter(pk=business_unit.pk).exists():
            raise PermissionDenied(
                gettext("You cannot share views with that business unit.")
            )


@service
@transaction.atomic
def save_view(
    *,
    by: User,
    list_kind: str,
    name: str,
    query: str,
    visibility: str = Visibility.PERSONAL,
    team: Team | None = None,
    business_unit: BusinessUnit | None = None,
    make_default: bool = False,
) -> SavedView:
    """Save `query` (a list's normalised query string, accounts.forms) as a view of
    `by`, shared as `visibility` says if `by` may share so (PermissionDenied if
    not); ValidationError if `by` already has a view of that name for the list.
    With `make_default` the list opens on it when its URL carries no query."""
    _refuse_unless_may_share(
        by=by, visibility=visibility, team=team, business_unit=business_unit
    )
    view = SavedView(
        owner=by,
        list_kind=ListKind(list_kind),
        name=name.strip(),
        query=query,
        visibility=visibility,
        team=team if visibility == Visibility.TEAM else None,
        business_unit=business_unit if visibility == Visibility.BUSINESS_UNIT else None,
    )
    full_clean(view)
    view.save()
    if make_default:
        set_default_view(view=view, by=by)
    return view


@service
@transaction.atomic
def rename_saved_view(*, view: SavedView, name: str, by: User) -> SavedView:
    """Rename one of `by`'s own views (PermissionDenied for anyone else's)."""
    if view.owner_id != by.pk:
        raise PermissionDenied(str(NOT_YOURS))
    view.name = name.strip()
    view.updated_at = timezone.now()
    full_clean(view)
    view.save(update_fields=["name", "updated_at"])
    return view


@service
@transaction.atomic
def delete_saved_view(*, view: SavedView, by: User) -> None:
    """Delete one of `by`'s own views; it stops being anyone's default (the default
    rows go with it, on delete cascade)."""
    if view.owner_id != by.pk:
        raise PermissionDenied(str(NOT_YOURS))
    view.delete()


@service
@transaction.atomic
def set_default_view(*, view: SavedView, by: User) -> DefaultView:
    """Make `view` (one `by` may open, own or shared) the view `by`'s list opens on
    when its URL carries no query, in place of any earlier default of that list."""
    try:
        get_saved_view(user=by, pk=view.pk)
    except SavedView.DoesNotExist:
        raise PermissionDenied(gettext("You cannot see that view.")) from None
    default, _ = DefaultView.objects.update_or_create(
        user=by, list_kind=view.list_kind, defaults={"view": view}
    )
    return default


@service
@transaction.atomic
def clear_default_view(*, list_kind: str, by: User) -> None:
    """The list opens on its own default again (no saved view)."""
    DefaultView.objects.filter(user=by, list_kind=list_kind).delete()
