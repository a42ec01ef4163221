"""The inbound alias's admin form: the IMAP password is write-only (never shown;
left blank, the stored one stays)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import MailAlias


class MailAliasForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Write-only: leave blank to keep the stored password."),
    )

    class Meta:
        model = MailAlias
        fields = [
            "address",
            "business_unit",
            "capture_form",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_tls",
        ]

    def clean_imap_password(self):
        password = self.cleaned_data.get("imap_password") or ""
        if not password and self.instance.pk:
            return self.instance.imap_password
        return password

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("business_unit") and cleaned.get("capture_form"):
            raise forms.ValidationError(
                _("An alias belongs to a business unit or a capture form, not both.")
            )
        if cleaned.get("imap_host") and not cleaned.get("imap_username"):
            self.add_error("imap_username", _("A mailbox to poll needs its user name."))
        return cleaned
