"""Forms for imports: the upload, then the column mapping and options."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import assignable_users
from leads.imports import REQUIRED_FIELDS, TARGETS
from leads.models import DuplicateMode
from leads.selectors.consent import consent_import_targets


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            "CSV (UTF-8 or Windows-1252; comma, semicolon or tab) or .xlsx. "
            "The first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )


class ImportOptionsForm(forms.Form):
    """One choice per column of the file (col_0, col_1, ...), then the options."""

    duplicate_mode = forms.ChoiceField(
        label=_("Rows that match an existing lead (same lead ID or email)"),
        choices=DuplicateMode.choices,
        widget=forms.RadioSelect,
    )
    owner = forms.ModelChoiceField(
        label=_("Owner of the imported leads"),
        queryset=None,
        required=False,
        empty_label=_("Route by the rules"),
    )

    fill_subject = forms.CharField(
        label=_("Topic where no column gives one"),
        required=False,
        max_length=300,
        help_text=_(
            "A text (“Imported lead”) or a template: “{company_name}”, "
            "“{first_name} {last_name} – {company_name}”."
        ),
    )
    fill_last_name = forms.CharField(
        label=_("Last Name where no column gives one"),
        required=False,
        max_length=300,
        help_text=_(
            "A text or a template, e.g. “{company_name}” for leads that are "
            "a company only."
        ),
    )

    def __init__(self, *args, batch, user, **kwargs):
        initial = {
            "duplicate_mode": batch.duplicate_mode,
            "owner": batch.owner_user_id,
            **{f"fill_{name}": text for name, text in batch.fills.items()},
            **{
                f"col_{i}": batch.mapping.get(str(i), "")
                for i in range(len(batch.headers))
            },
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["owner"].queryset = assignable_users(user)
        self.columns = []
        # The lead's fields, then consent to each purpose (leads.selectors.consent).
        targets = list(TARGETS) + consent_import_targets()
        for index, header in enumerate(batch.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or gettext("Column %(number)s") % {"number": index + 1},
                choices=targets,
                required=False,
            )
            self.columns.append(name)

    def column_fields(self):
        return [self[name] for name in self.columns]

    def clean(self):
        cleaned = super().clean()
        seen = {}
        for name in self.columns:
            target = cleaned.get(name)
            if not target:
                continue
            if target in seen:
                self.add_error(
                    name,
                    gettext("Also chosen for column '%(column)s'.")
                    % {"column": self.fields[seen[target]].label},
                )
            seen[target] = name
        if "full_name" in seen:
            seen.setdefault("last_name", "full_name")
        for required, label in REQUIRED_FIELDS.items():
            if required not in seen and not cleaned.get(f"fill_{required}"):
                self.add_error(
                    f"fill_{required}",
                    gettext(
                        "Map a column to %(field)s, or give a text or template "
                        "here: every lead needs one."
                    )
                    % {"field": label},
                )
        return cleaned

    def fill_fields(self):
        return [self[f"fill_{name}"] for name in ("subject", "last_name")]

    def fills(self):
        return {
            name: self.cleaned_data[f"fill_{name}"]
            for name in REQUIRED_FIELDS
            if self.cleaned_data.get(f"fill_{name}")
        }

    def mapping(self):
        return {
            name.removeprefix("col_"): self.cleaned_data[name]
            for name in self.columns
            if self.cleaned_data.get(name)
        }
