"""Forms for account, contact and opportunity pages: input validation and widgets.

Every choice of a related record is limited to the records the user may see (the
scope gate), so an id typed into a tampered request is a form error, not a leak.
"""

import datetime
from urllib.parse import urlencode

from django import forms
from django.forms.models import ModelChoiceIterator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import (
    ADDRESS_FIELDS,
    MONEY,
    OPPORTUNITY_LOST_REASONS,
    TYPICAL_PROBABILITY,
    Account,
    Contact,
    Opportunity,
    OpportunityStatus,
    SalesStage,
    TokenScope,
)
from leadsite.core.forms import (
    BusinessDateField,
    KeepStoredChoicesMixin,
    formfield_callback,
    keep_stored_choices,
)
from leadsite.core.versioning import VersionField, carry_version


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _is_pk(value) -> bool:
    """A value that can be a primary key: ASCII digits within a 64-bit integer
    (a tampered "²" or 20-digit id must not reach the database)."""
    text = str(value or "")
    return text.isascii() and text.isdigit() and int(text) < 2**63


class Combobox(forms.Select):
    """The one record picker (static/js/combobox.js turns it into an accessible
    combobox): renders the chosen record and the first few choices only, and, with
    `url_name`, searches that autocomplete endpoint (scoped to the user's records)
    as the user types. Validation still uses the field's whole (scoped) queryset.
    Without JavaScript it is a plain select."""

    template_name = "partials/combobox.html"
    initial_limit = 50

    def __init__(self, url_name=None, *, params=None, attrs=None, placeholder=""):
        super().__init__(attrs=attrs)
        self.url_name = url_name
        self.params = params or {}
        self.placeholder = placeholder

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        url = reverse(self.url_name) if self.url_name else ""
        if url and self.params:
            url = f"{url}?{urlencode(self.params)}"
        context["widget"]["autocomplete_url"] = url
        context["widget"]["placeholder"] = self.placeholder
        return context

    def _limited_choices(self, iterator, value):
        field = iterator.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        rows = list(iterator.queryset[: self.initial_limit])
        shown = {str(row.pk) for row in rows}
        missing = [v for v in value if _is_pk(v) and str(v) not in shown]
        if missing:
            rows += list(iterator.queryset.filter(pk__in=missing))
        for row in rows:
            yield iterator.choice(row)

    def optgroups(self, name, value, attrs=None):
        if not isinstance(self.choices, ModelChoiceIterator):
            return super().optgroups(name, value, attrs)
        original = self.choices
        self.choices = list(self._limited_choices(original, value))
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = original

    def _render(self, template_name, context, renderer=None):
        # The partial lives in the project templates, which the default form
        # renderer does not search.
        return mark_safe(render_to_string(template_name, context))


class FieldsetsMixin:
    """`fieldsets` = [(legend, [field names], css class)] for grouped rendering."""

    fieldsets: list[tuple[str, list[str], str]] = []

    def grouped_fields(self):
        return [
            (legend, [self[name] for name in names], css)
            for legend, names, css in self.fieldsets
        ]


class ScopedModelForm(KeepStoredChoicesMixin, FieldsetsMixin, forms.ModelForm):
    version = VersionField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        carry_version(self)
        if "description" in self.fields:
            self.fields["description"].widget.attrs["rows"] = 4


def _use_autocomplete(field, url_name):
    # Before the queryset is set: assigning it hands the choices to the widget.
    field.widget = Combobox(url_name)
    field.widget.is_required = field.required


def _account_field(field, user, *, exclude_pk=None):
    qs = selectors.list_accounts(user=user).order_by("name", "pk")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    _use_autocomplete(field, "accounts:account-autocomplete")
    field.queryset = qs


def _contact_field(field, user):
    _use_autocomplete(field, "accounts:contact-autocomplete")
    field.queryset = selectors.list_contacts(user=user).order_by(
        "last_name", "first_name", "pk"
    )


class AccountForm(ScopedModelForm):
    fieldsets = [
        (
            _("Account"),
            [
                "name",
                "account_number",
                "parent_account",
                "primary_contact",
                "is_partner",
            ],
            "form-grid",
        ),
        (_("Contact details"), ["phone", "email", "website"], "form-grid"),
        (
            _("Company profile"),
            ["industry", "annual_revenue", "number_of_employees"],
            "form-grid",
        ),
        (_("Address"), ADDRESS_FIELDS, "form-grid"),
        (_("About"), ["description"], ""),
    ]

    class Meta:
        model = Account
        formfield_callback = formfield_callback
        fields = [
            "name",
            "account_number",
            "parent_account",
            "primary_contact",
            "is_partner",
            "phone",
            "email",
            "website",
            "industry",
            "annual_revenue",
            "number_of_employees",
            *ADDRESS_FIELDS,
            "description",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _account_field(self.fields["parent_account"], user, exclude_pk=self.instance.pk)
        _contact_field(self.fields["primary_contact"], user)
        keep_stored_choices(self)


class ContactForm(ScopedModelForm):
    fieldsets = [
        (
            _("Person"),
            ["salutation", "first_name", "last_name", "job_title", "account"],
            "form-grid",
        ),
        (
            _("Contact details"),
            ["email", "business_phone", "mobile_phone", "do_not_email"],
            "form-grid",
        ),
        (_("Address"), ADDRESS_FIELDS, "form-grid"),
        (_("About"), ["description"], ""),
    ]

    class Meta:
        formfield_callback = formfield_callback
        model = Contact
        fields = [
            "salutation",
            "first_name",
            "last_name",
            "job_title",
            "account",
            "email",
            "business_phone",
            "mobile_phone",
            "do_not_email",
            *ADDRESS_FIELDS,
            "description",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _account_field(self.fields["account"], user)
        keep_stored_choices(self)


class OpportunityForm(ScopedModelForm):
    fieldsets = [
        (_("Opportunity"), ["name", "account", "contact"], "form-grid"),
        (
            _("Forecast"),
            [
                "estimated_value",
                "estimated_close_date",
                "sales_stage",
                "close_probability",
            ],
            "form-grid",
        ),
        (_("About"), ["description"], ""),
    ]

    class Meta:
        formfield_callback = formfield_callback
        model = Opportunity
        fields = [
            "name",
            "account",
            "contact",
            "estimated_value",
            "estimated_close_date",
            "sales_stage",
            "close_probability",
            "description",
        ]
        widgets = {
            "estimated_close_date": DateInput,
            "close_probability": forms.NumberInput(attrs={"max": 100, "step": 1}),
        }
        help_texts = {
            "account": _("The customer: an account, a contact, or both."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        _account_field(self.fields["account"], user)
        _contact_field(self.fields["contact"], user)
        keep_stored_choices(self)
        # Built per form, in the active language (the stage names are translated).
        self.fields["close_probability"].help_text = gettext(
            "0–100. Usual: %(stages)s."
        ) % {
            "stages": ", ".join(
                f"{stage.label} {percent} %"
                for stage, percent in TYPICAL_PROBABILITY.items()
            )
        }

    def clean(self):
        cleaned = super().clean()
        if (
            "account" not in self.errors
            and "contact" not in self.errors
            and not cleaned.get("account")
            and not cleaned.get("contact")
        ):
            self.add_error(
                "account", gettext("Choose the customer: an account or a contact.")
            )
        return cleaned


class WinOpportunityForm(FieldsetsMixin, forms.Form):
    fieldsets = [(_("Outcome"), ["actual_value", "actual_close_date"], "form-grid")]

    actual_value = forms.DecimalField(
        label=_("Actual revenue"),
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )
    actual_close_date = BusinessDateField(
        label=_("Actual close date"), initial=timezone.localdate, widget=DateInput
    )


class LoseOpportunityForm(FieldsetsMixin, forms.Form):
    fieldsets = [(_("Outcome"), ["reason", "description"], "")]

    reason = forms.TypedChoiceField(
        label=_("Status reason"),
        choices=[("", _("Choose a reason…"))]
        + [(int(r), OpportunityStatus(r).label) for r in OPPORTUNITY_LOST_REASONS],
        coerce=int,
    )
    description = forms.CharField(
        label=_("Why was it lost?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OpportunityProductForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=0, max_digits=12, decimal_places=2, initial=1
    )
    price_per_unit = forms.DecimalField(
        label=_("Price per unit"),
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        required=False,
        help_text=_("Empty: the catalog price."),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = selectors.list_active_products()


class ApiTokenForm(forms.Form):
    """A new personal API token: its name, scope and optional last day."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Website sync”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ
    )
    expires_on = forms.DateField(
        required=False,
        widget=DateInput(),
        label=_("Expires on"),
        help_text=_("The last day it works. Leave empty for no expiry."),
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError(gettext("Choose a day after today."))
        return day

    def expires_at(self):
        """The end of the chosen day (midnight after it, local time), or None."""
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        midnight = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time()
        )
        return timezone.make_aware(midnight)


class OpportunityMoveForm(forms.Form):
    """A card moved on the opportunity board: to a stage (its value), or "won" /
    "lost" (the outcome pages), with the version the card was drawn at."""

    to = forms.ChoiceField(
        choices=[(str(s.value), s.label) for s in SalesStage]
        + [("won", _("Close as won…")), ("lost", _("Close as lost…"))],
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


# The saved views' and the user's own settings' forms.
from accounts.forms.profile import UserSettingsForm  # noqa: E402
from accounts.forms.saved_views import RenameSavedViewForm, SavedViewForm  # noqa: E402

__all__ = ["RenameSavedViewForm", "SavedViewForm", "UserSettingsForm"]
