"""Saving a list's query as a view, and renaming one (accounts.services.saved_views)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.filters import normalise_query
from accounts.models import SavedView, Visibility
from accounts.permissions import is_administrator
from accounts.services.saved_views import sharing_choices


class SavedViewForm(forms.Form):
    """Save a list's current query as a view: a name, who else sees it (only the
    choices the user may share with, services.saved_views.sharing_choices) and
    whether the list opens on it."""

    name = forms.CharField(label=_("Name"), max_length=80)
    share_with = forms.ChoiceField(label=_("Who sees it"))
    make_default = forms.BooleanField(required=False, label=_("Open the list on it"))
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, params, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = params
        teams, units = sharing_choices(user=user)
        self.teams = {f"team:{team.pk}": team for team in teams}
        self.units = {f"unit:{unit.pk}": unit for unit in units}
        choices = [(Visibility.PERSONAL.value, gettext("Only me"))]
        choices += [
            (key, gettext("Team %(team)s") % {"team": team})
            for key, team in self.teams.items()
        ]
        choices += [
            (key, gettext("%(unit)s and below") % {"unit": unit})
            for key, unit in self.units.items()
        ]
        if is_administrator(user):
            choices.append((Visibility.EVERYONE.value, gettext("Everyone")))
        self.fields["share_with"].choices = choices
        self.fields["share_with"].initial = Visibility.PERSONAL.value

    def clean_query(self):
        query = normalise_query(self.cleaned_data["query"], self.params)
        if len(query) > SavedView._meta.get_field("query").max_length:
            raise forms.ValidationError(gettext("These filters are too long to save."))
        return query

    def sharing(self) -> dict:
        """visibility, team and business_unit for services.saved_views.save_view."""
        key = self.cleaned_data["share_with"]
        if key in self.teams:
            return {"visibility": Visibility.TEAM, "team": self.teams[key]}
        if key in self.units:
            return {
                "visibility": Visibility.BUSINESS_UNIT,
                "business_unit": self.units[key],
            }
        return {"visibility": key}


class RenameSavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
