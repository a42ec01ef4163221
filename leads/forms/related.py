"""Forms for the timeline (notes, activities, attachments), lead links, product
interests and the merge page. Input validation only; services do the writes."""

from decimal import Decimal

from django import forms
from django.db.models import Q

from accounts.forms import Combobox
from accounts.models import Account, Contact, Product
from leads.attachments import (
    ALLOWED_DESCRIPTION,
    ALLOWED_TYPES,
    TEXT_TYPES,
    check_upload,
    max_upload_size,
)
from leads.models import ActivityKind, Direction, Lead, Note
from leads.submissions import SubmissionTokenField
from leadsite.forms import EMPTY_LABEL, BusinessDateTimeField, QuickSelect
from leadsite.permissions import visible_to

# Suggestions rendered before the user searches; the search box (autocomplete) finds
# the rest, and the field accepts any record in the user's scope.
PICK_LIST_LIMIT = 25


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class NoteForm(forms.ModelForm):
    submission_token = SubmissionTokenField()

    class Meta:
        model = Note
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ActivityKind.choices,
        initial=ActivityKind.PHONE_CALL,
        widget=QuickSelect,
    )
    subject = forms.CharField(max_length=200)
    direction = forms.ChoiceField(
        choices=[("", "—"), *Direction.choices],
        required=False,
        widget=QuickSelect,
        help_text="Calls and emails.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    due_at = BusinessDateTimeField(
        label="Due", required=False, widget=DateTimeLocalInput(), help_text="Tasks."
    )
    start_at = BusinessDateTimeField(
        label="Start",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Appointments.",
    )
    end_at = BusinessDateTimeField(
        label="End",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Appointments.",
    )
    completed = forms.BooleanField(
        label="Already done (log as completed)", required=False
    )
    submission_token = SubmissionTokenField()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (ActivityKind.PHONE_CALL, ActivityKind.EMAIL) and not data.get(
            "direction"
        ):
            self.add_error(
                "direction", "Say whether the call or email was incoming or outgoing."
            )
        if kind == ActivityKind.APPOINTMENT:
            start, end = data.get("start_at"), data.get("end_at")
            if not start and "start_at" not in self.errors:
                self.add_error("start_at", "An appointment needs a start time.")
            elif start and end and end < start:
                self.add_error("end_at", "An appointment cannot end before it starts.")
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField()
    submission_token = SubmissionTokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extensions = sorted(
            {e for exts in ALLOWED_TYPES.values() for e in exts} | set(TEXT_TYPES)
        )
        self.fields["file"].widget.attrs["accept"] = ",".join(
            f".{e}" for e in extensions
        )
        limit_mib = max_upload_size() / (1024 * 1024)
        self.fields[
            "file"
        ].help_text = f"Up to {limit_mib:g} MiB. {ALLOWED_DESCRIPTION}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.checked = check_upload(upload)
        return upload


class _PickForm(forms.Form):
    """Pick one record the user may see; the queryset is the source of truth. The
    rendered options are suggestions for this lead (records that look like it,
    not yet linked); the search box finds any other."""

    field_name = ""
    model = None
    link_relation = ""
    label_fields = ()

    def __init__(self, *args, user, lead: Lead | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.field_name]
        field.queryset = visible_to(user, self.model.objects.all())
        if lead is not None and not self.is_bound:
            match = self.suggested_for(lead)
            options = (
                field.queryset.filter(match)
                .exclude(**{self.link_relation: lead})
                .only(*self.label_fields)
                if match is not None
                else []
            )
            field.widget.choices = [
                ("", field.empty_label),
                *((obj.pk, self.label_for(obj)) for obj in options[:PICK_LIST_LIMIT]),
            ]

    def suggested_for(self, lead) -> Q | None:
        """The records that look like `lead` (an indexed match), or None."""
        raise NotImplementedError

    def label_for(self, obj):
        return str(obj)


class LinkAccountForm(_PickForm):
    field_name = "account"
    model = Account
    link_relation = "lead_links__lead"
    label_fields = ("name",)

    account = forms.ModelChoiceField(
        queryset=Account.objects.none(),
        empty_label=EMPTY_LABEL,
        widget=Combobox(
            "accounts:account-autocomplete", placeholder="Search accounts by name"
        ),
    )

    def suggested_for(self, lead):
        company = (lead.company_name or "").strip()
        # The name's prefix index answers this (account_name_upper_prefix).
        return Q(name__istartswith=company) if company else None


class LinkContactForm(_PickForm):
    field_name = "contact"
    model = Contact
    link_relation = "lead_links__lead"
    label_fields = ("first_name", "last_name", "email")

    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        empty_label=EMPTY_LABEL,
        widget=Combobox(
            "accounts:contact-autocomplete", placeholder="Search contacts by name"
        ),
    )

    def suggested_for(self, lead):
        match = Q()
        if lead.email:
            match |= Q(email__iexact=lead.email)
        if lead.last_name:
            match |= Q(last_name=lead.last_name)
        return match or None

    def label_for(self, obj):
        return f"{obj} ({obj.email})" if obj.email else str(obj)


class InterestForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True),
        empty_label=EMPTY_LABEL,
        widget=QuickSelect,
    )
    quantity = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, initial=Decimal("1")
    )
    note = forms.CharField(max_length=500, required=False)


def _lead_choices_label(lead: Lead) -> str:
    return f"#{lead.pk} {lead}"


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _non_empty_side(lead_a: Lead, lead_b: Lead, name: str) -> str:
    """The master's side ("a"), unless its value is empty and B's is not: a merge
    keeps what is known rather than A's blank over B's company name."""
    attname = Lead._meta.get_field(name).attname
    if _is_empty(getattr(lead_a, attname)) and not _is_empty(getattr(lead_b, attname)):
        return "b"
    return "a"


class MergeLeadsForm(forms.Form):
    """Master choice plus one radio per differing field ("a" or "b": whose value wins)."""

    master = forms.ChoiceField(widget=forms.RadioSelect, label="Master lead (survives)")

    def __init__(self, *args, lead_a: Lead, lead_b: Lead, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_a, self.lead_b = lead_a, lead_b
        self.fields["master"].choices = [
            ("a", _lead_choices_label(lead_a)),
            ("b", _lead_choices_label(lead_b)),
        ]
        self.fields["master"].initial = "a"
        self.differing = fields
        for name in fields:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                choices=[("a", "A"), ("b", "B")],
                widget=forms.RadioSelect,
                initial=_non_empty_side(lead_a, lead_b, name),
                label=Lead._meta.get_field(name).verbose_name,
            )

    def merge_arguments(self) -> dict:
        """master, subordinate and field_values for merge_leads (after is_valid)."""
        leads = {"a": self.lead_a, "b": self.lead_b}
        master_key = self.cleaned_data["master"]
        sub_key = "b" if master_key == "a" else "a"
        field_values = {}
        for name in self.differing:
            chosen = self.cleaned_data[f"pick_{name}"]
            if chosen != master_key:
                field = Lead._meta.get_field(name)
                field_values[name] = getattr(leads[chosen], field.attname)
        return {
            "master": leads[master_key],
            "subordinate": leads[sub_key],
            "field_values": field_values,
        }
