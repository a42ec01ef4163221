"""Saved views: a list's query string (filters, sort) kept under a name, personal
or shared, and each user's default view per list.

A view is only a query string: the list applies its viewer's own record scope,
whoever saved or shared the view, so a view never shows more than its viewer may see.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ListKind(models.TextChoices):
    """The lists a view can be saved for (value: the list's URL name)."""

    LEADS = "leads", _("Leads")
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    OPPORTUNITIES = "opportunities", _("Opportunities")


LIST_URL_NAMES = {
    ListKind.LEADS: "leads:list",
    ListKind.ACCOUNTS: "accounts:account-list",
    ListKind.CONTACTS: "accounts:contact-list",
    ListKind.OPPORTUNITIES: "accounts:opportunity-list",
}


class Visibility(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    TEAM = "team", _("A team")
    BUSINESS_UNIT = "unit", _("A business unit")
    EVERYONE = "everyone", _("Everyone")


class SavedView(models.Model):
    """A named query string of one list, seen by its owner and by the people it is
    shared with (a team, a business unit and the units below it, or everyone)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=80)
    list_kind = models.CharField(_("list"), max_length=20, choices=ListKind.choices)
    query = models.CharField(
        _("query"),
        max_length=2000,
        blank=True,
        help_text=_("The list's query string: its known parameters only, no page."),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PERSONAL,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
    )
    business_unit = models.ForeignKey(
        "accounts.BusinessUnit",
        verbose_name=_("business unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(
        _("updated at"), default=timezone.now, editable=False
    )

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_kind", "name"],
                name="saved_view_name_unique_per_owner_and_list",
                violation_error_message=_("You already have a view of this name."),
            ),
            models.CheckConstraint(
                condition=Q(visibility=Visibility.TEAM, team__isnull=False)
                | (~Q(visibility=Visibility.TEAM) & Q(team__isnull=True)),
                name="saved_view_team_iff_shared_with_team",
            ),
            models.CheckConstraint(
                condition=Q(
                    visibility=Visibility.BUSINESS_UNIT, business_unit__isnull=False
                )
                | (
                    ~Q(visibility=Visibility.BUSINESS_UNIT)
                    & Q(business_unit__isnull=True)
                ),
                name="saved_view_unit_iff_shared_with_unit",
            ),
        ]
        indexes = [
            models.Index(
                fields=["list_kind", "visibility"], name="saved_view_list_visibility"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def shared_with(self) -> str:
        """Who else sees the view, in words."""
        if self.visibility == Visibility.TEAM:
            return gettext("Team %(team)s") % {"team": self.team}
        if self.visibility == Visibility.BUSINESS_UNIT:
            return gettext("%(unit)s and below") % {"unit": self.business_unit}
        return self.get_visibility_display()


class DefaultView(models.Model):
    """The view a user's list opens on when its URL carries no query (one per user
    and list)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    list_kind = models.CharField(_("list"), max_length=20, choices=ListKind.choices)
    view = models.ForeignKey(
        SavedView, verbose_name=_("view"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("default view")
        verbose_name_plural = _("default views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_kind"], name="default_view_one_per_user_and_list"
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.view}"
