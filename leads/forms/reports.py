import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import BusinessUnit
from accounts.permissions import (
    assignable_teams,
    assignable_users,
    business_unit_subtree_ids,
    is_administrator,
    is_manager,
)
from leads.models import Campaign, LeadSource
from leads.reports import ALL
from leadsite.core.forms import QuickSelect

PERIODS = [
    ("all", _("All time")),
    ("month", _("This month")),
    ("90days", _("Last 90 days")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom range")),
]
PRESETS = ["month", "90days", "quarter", "year"]
# The report table's column groups (the page shows one; the CSV has them all).
COLUMN_GROUPS = [
    ("outcomes", _("Outcomes")),
    ("revenue", _("Revenue")),
    ("speed", _("Speed")),
    ("cost", _("Cost")),
]
DEFAULT_COLUMNS = "outcomes"
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 12, 31)


def period_dates(period, today):
    """(first, last) local days of a preset period; None for an open end."""
    if period == "month":
        return today.replace(day=1), today
    if period == "90days":
        return today - datetime.timedelta(days=89), today
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    return None, None


def applied_period(form, cleaned, start_name, end_name):
    """(period, first day, last day) a report applies: a preset's own days (dates
    sent with it are replaced); dates without a preset (or with "All time") are a
    custom range; no dates at all is all time. An end before the start is an error
    beside the end date."""
    period = cleaned.get("period") or "all"
    start, end = cleaned.get(start_name), cleaned.get(end_name)
    if period in PRESETS:
        start, end = period_dates(period, timezone.localdate())
    elif start or end:
        period = "custom"
    else:
        period = "all"
    if start and end and start > end:
        form.add_error(end_name, _("The end date is before the start date."))
    return period, start, end


class BoundedDateField(forms.DateField):
    """A date between 1900 and 2200: anything else is a form error, never a 500."""

    widget = forms.DateInput(
        attrs={"type": "date", "min": "1900-01-01", "max": "2200-12-31"}
    )

    def to_python(self, value):
        try:
            day = super().to_python(value)
        except OverflowError as exc:
            raise forms.ValidationError(
                _("Enter a date between 1900 and 2200.")
            ) from exc
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(_("Enter a date between 1900 and 2200."))
        return day


def _business_units(user):
    units = BusinessUnit.objects.order_by("name")
    if is_administrator(user):
        return units
    if is_manager(user) and user.business_unit_id:
        return units.filter(pk__in=business_unit_subtree_ids(user.business_unit_id))
    return units.filter(pk=user.business_unit_id)


class SourceReportForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        choices=PERIODS,
        required=False,
        initial="all",
        widget=QuickSelect,
    )
    created_from = BoundedDateField(label=_("Created from"), required=False)
    created_to = BoundedDateField(label=_("Created to"), required=False)
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.none(),
        required=False,
        empty_label=_("Any"),
        label=_("Business unit (and below)"),
        widget=QuickSelect,
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=_("Any"),
        label=_("Owning team"),
        widget=QuickSelect,
    )
    owner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=_("Anyone"),
        label=_("Owner"),
        widget=QuickSelect,
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    baseline = forms.ChoiceField(
        choices=[
            (ALL, _("All other sources")),
            *[(str(code), name) for code, name in LeadSource.choices],
        ],
        required=False,
        label=_("Compare with"),
        widget=QuickSelect,
    )
    # Which column group the table shows: kept by the filter form as a hidden field
    # and set by the group links; an unknown value shows the default group.
    columns = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_unit"].queryset = _business_units(user)
        self.fields["team"].queryset = assignable_teams(user)
        self.fields["owner"].queryset = assignable_users(user)

    def clean_columns(self):
        columns = self.cleaned_data.get("columns")
        return columns if columns in dict(COLUMN_GROUPS) else DEFAULT_COLUMNS

    def clean(self):
        """The period applied: a preset's own days (dates sent with it are replaced);
        dates without a preset (or with "All time") are a custom range; no dates at
        all is all time. A valid form then shows what it applied: the Period box
        names it and the date boxes hold its first and last day."""
        cleaned = super().clean()
        period, start, end = applied_period(self, cleaned, "created_from", "created_to")
        cleaned.update(
            period=period,
            created_from=start,
            created_to=end,
            baseline=cleaned.get("baseline") or ALL,
        )
        if not self.errors:
            self._show_applied(cleaned)
        return cleaned

    def _show_applied(self, cleaned):
        # Widgets render the bound data: without this, dates given with "All time"
        # (or no period) left the box on "All time", and a preset showed stale dates.
        start, end = cleaned["created_from"], cleaned["created_to"]
        data = self.data.copy()
        data[self.add_prefix("period")] = cleaned["period"]
        data[self.add_prefix("created_from")] = start.isoformat() if start else ""
        data[self.add_prefix("created_to")] = end.isoformat() if end else ""
        data[self.add_prefix("columns")] = cleaned.get("columns") or DEFAULT_COLUMNS
        self.data = data

    @property
    def period_ranges(self) -> dict:
        """Each preset's (first, last) day as ISO dates, for the page's script that
        fills the date boxes when a preset is picked."""
        today = timezone.localdate()
        return {
            period: [day.isoformat() for day in period_dates(period, today)]
            for period in PRESETS
        }

    def report_filters(self, business_unit_ids) -> dict:
        """Keyword arguments of source_performance_report for the cleaned data."""
        data = self.cleaned_data
        unit = data.get("business_unit")
        return {
            "created_from": data["created_from"],
            "created_to": data["created_to"],
            "business_unit_ids": business_unit_ids(unit.pk) if unit else None,
            "team": data.get("team"),
            "owner": data.get("owner"),
            "campaign": data.get("campaign"),
            "baseline": data["baseline"],
        }
