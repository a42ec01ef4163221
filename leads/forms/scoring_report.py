from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.permissions import visible_business_units
from leads.forms.reports import PERIODS, BoundedDateField, applied_period
from leadsite.core.forms import QuickSelect


class ScoringReportForm(forms.Form):
    """The backtest's filters: the source report's period and business unit, by
    close day instead of creation day, and the cut-off."""

    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIODS,
        required=False,
        initial="all",
        widget=QuickSelect,
    )
    closed_from = BoundedDateField(label=_("Closed from"), required=False)
    closed_to = BoundedDateField(label=_("Closed to"), required=False)
    business_unit = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=_("Any"),
        label=_("Business unit (and below)"),
        widget=QuickSelect,
    )
    # Empty: the report picks the day the last quarter of the closed leads begins.
    cutoff = BoundedDateField(label=_("Cut-off"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = visible_business_units(user)

    def clean(self):
        """The period as the source report applies it (a preset's own days, else
        the dates, else all time); the cut-off after the period's first day and
        not after its last (its default is chosen by the report). A valid form
        shows what it applied."""
        cleaned = super().clean()
        period, start, end = applied_period(self, cleaned, "closed_from", "closed_to")
        cutoff = cleaned.get("cutoff")
        if cutoff and start and cutoff <= start:
            self.add_error("cutoff", _("Pick a day after the period's first day."))
        elif cutoff and end and cutoff > end:
            self.add_error("cutoff", _("Pick a day within the period."))
        cleaned.update(period=period, closed_from=start, closed_to=end)
        if not self.errors:
            data = self.data.copy()
            data["period"] = period
            data["closed_from"] = start.isoformat() if start else ""
            data["closed_to"] = end.isoformat() if end else ""
            self.data = data
        return cleaned

    def report_filters(self, business_unit_ids) -> dict:
        """Keyword arguments of scoring_backtest for the cleaned data."""
        data = self.cleaned_data
        unit = data.get("business_unit")
        return {
            "start": data["closed_from"],
            "end": data["closed_to"],
            "business_unit_ids": business_unit_ids(unit.pk) if unit else None,
            "cutoff": data.get("cutoff"),
        }
