"""Forms for email from the record: compose (a template picked, subject and body
with placeholders), the template admin's form, the sender's signature. Input
validation only; leads/services/emails.py does the writes."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.services.profile import SIGNATURE_MAX_LENGTH
from leads.models import EmailTemplate
from leads.selectors.consent import list_active_purposes
from leads.selectors.emails import PLACEHOLDERS, list_active_templates
from leads.services.emails import check_placeholders
from leads.submissions import SubmissionTokenField


def _placeholder_help() -> str:
    return gettext("Placeholders: %(placeholders)s") % {
        "placeholders": ", ".join(
            f"{{{{ {name} }}}} ({meaning})" for name, meaning in PLACEHOLDERS.items()
        )
    }


# Worded in the language of the page that shows it.
PLACEHOLDER_HELP = lazy(_placeholder_help, str)()


def _check(form, *names):
    """Errors beside the fields whose text names an unknown placeholder."""
    texts = {name: form.cleaned_data.get(name) or "" for name in names}
    try:
        check_placeholders(**texts)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error(field, messages)


class TemplateChoiceForm(forms.Form):
    """The compose page's template picker (GET: fills subject and body)."""

    template = forms.TypedChoiceField(coerce=int, required=False, label=_("Template"))

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        templates = list_active_templates() if templates is None else templates
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = [("", _("— No template —"))] + [
            (t.pk, t.name) for t in templates
        ]


class ComposeEmailForm(forms.Form):
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=PLACEHOLDER_HELP,
    )
    submission_token = SubmissionTokenField()
    # Consent (leads.services.consent): an email for a purpose goes only to a
    # person who gave consent to it; a template's purpose is the default.
    purpose = forms.ModelChoiceField(
        label=_("Purpose"),
        queryset=None,
        required=False,
        empty_label=_("— None (a reply, a personal message) —"),
        help_text=_(
            "Newsletters and marketing need the person's consent to the purpose."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        purposes = list_active_purposes()
        if purposes.exists():
            self.fields["purpose"].queryset = purposes
        else:
            del self.fields["purpose"]

    def clean(self):
        data = super().clean()
        _check(self, "subject", "body")
        return data


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body", "purpose", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}
        help_texts = {
            "body": PLACEHOLDER_HELP,
            "subject": _("Placeholders work here too."),
        }

    def clean(self):
        data = super().clean()
        _check(self, "subject", "body")
        return data


class SignatureForm(forms.Form):
    signature = forms.CharField(
        label=_("Signature"),
        required=False,
        max_length=SIGNATURE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Ends the emails you send from a record, where a template says "
            "{{ signature }}. Empty: your name."
        ),
    )
