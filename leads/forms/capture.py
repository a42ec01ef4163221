"""Forms for capture: the public visitor form, and the manager's capture-form editor."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import BusinessUnit
from accounts.permissions import business_unit_subtree_ids, is_administrator
from leads.forms.consent import CaptureConsentFieldsMixin
from leads.models import Campaign, CaptureForm, Lead
from leads.models.capture import CAPTURE_DEFAULT_FIELDS, CAPTURE_OPTIONAL_FIELDS

HONEYPOT = "homepage"


class CaptureSubmissionForm(forms.Form):
    """What a visitor fills in: last name, email, message, the fields the capture
    form shows, consent when asked, and a honeypot field people never see."""

    last_name = forms.CharField(label=_("Last name"), max_length=50)
    email = forms.EmailField(label=_("Email"), max_length=254)
    message = forms.CharField(
        label=_("How can we help?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )

    def __init__(self, *args, capture_form: CaptureForm, **kwargs):
        super().__init__(*args, **kwargs)
        shown = [
            n for n in CAPTURE_OPTIONAL_FIELDS if n in (capture_form.fields_shown or [])
        ]
        for name in shown:
            model_field = Lead._meta.get_field(name)
            self.fields[name] = forms.CharField(
                label=capfirst(model_field.verbose_name),
                max_length=model_field.max_length,
                required=False,
            )
        first = ["first_name"] if "first_name" in shown else []
        self.order = (
            first + ["last_name", "email"] + [n for n in shown if n not in first]
        )
        self.order.append("message")
        # Consent per purpose (leads.models.consent): optional boxes, each with the
        # form's own wording.
        self.consent_items = list(
            capture_form.consent_purposes.select_related("purpose").filter(
                purpose__is_active=True
            )
        )
        for item in self.consent_items:
            self.fields[item.field_name] = forms.BooleanField(
                label=item.wording, required=False
            )
            self.order.append(item.field_name)
        if capture_form.consent_text:
            self.fields["consent"] = forms.BooleanField(
                label=capture_form.consent_text,
                error_messages={
                    "required": _("Please tick this box to send the form.")
                },
            )
            self.order.append("consent")
        self.fields[HONEYPOT] = forms.CharField(
            required=False,
            label=_("Leave this empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields["email"].widget.attrs.update(
            autocomplete="email", inputmode="email"
        )
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")
        if "first_name" in self.fields:
            self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        for name in ("business_phone", "mobile_phone"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    autocomplete="tel", inputmode="tel"
                )

    def visible(self):
        return [self[name] for name in self.order]

    def invalid(self):
        """The shown fields with an error, in page order (the error summary)."""
        return [field for field in self.visible() if field.errors]

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def ticked_consents(self) -> list:
        """The capture form's consent purposes the visitor ticked."""
        return [
            item
            for item in self.consent_items
            if self.cleaned_data.get(item.field_name)
        ]

    def lead_data(self) -> dict:
        skipped = {HONEYPOT, "consent"} | {i.field_name for i in self.consent_items}
        data = {k: v for k, v in self.cleaned_data.items() if k not in skipped}
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


class CaptureFormEditForm(CaptureConsentFieldsMixin, forms.ModelForm):
    fields_shown = forms.MultipleChoiceField(
        label=_("Optional fields shown"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (name, capfirst(Lead._meta.get_field(name).verbose_name))
            for name in CAPTURE_OPTIONAL_FIELDS
        ],
        help_text=_("Last name, email and message are always shown."),
    )

    class Meta:
        model = CaptureForm
        fields = [
            "name",
            "business_unit",
            "campaign",
            "default_source",
            "topic",
            "title",
            "intro_text",
            "fields_shown",
            "consent_text",
            "double_opt_in",
            "thank_you_text",
            "redirect_url",
            "is_active",
        ]
        widgets = {
            "intro_text": forms.Textarea(attrs={"rows": 2}),
            "consent_text": forms.Textarea(attrs={"rows": 2}),
            "thank_you_text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new form starts with what website forms usually ask; an existing
            # one keeps its choice.
            self.initial["fields_shown"] = list(CAPTURE_DEFAULT_FIELDS)
        units = BusinessUnit.objects.order_by("name")
        if not is_administrator(user):
            units = units.filter(
                pk__in=business_unit_subtree_ids(user.business_unit_id)
            )
        self.fields["business_unit"].queryset = units
        self.fields["campaign"].queryset = Campaign.objects.filter(is_active=True)
        self.add_consent_fields(self.instance)

    def clean(self):
        cleaned = super().clean()
        self.clean_consent_fields(cleaned)
        return cleaned

    def model_data(self) -> dict:
        """The capture form's own fields (the consent choices apart)."""
        names = self.consent_names()
        return {k: v for k, v in self.cleaned_data.items() if k not in names}
