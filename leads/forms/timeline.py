"""Forms that add to a record's timeline: notes, activities, attachments. Input
validation only; leads/services/timeline.py does the writes."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leads.attachments import (
    ALLOWED_DESCRIPTION,
    ALLOWED_TYPES,
    TEXT_TYPES,
    check_upload,
    max_upload_size,
)
from leads.models import ActivityKind, Direction, Note
from leads.submissions import SubmissionTokenField
from leadsite.core.forms import BusinessDateTimeField, QuickSelect


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
        label=_("Kind"),
        choices=ActivityKind.choices,
        initial=ActivityKind.PHONE_CALL,
        widget=QuickSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", "—"), *Direction.choices],
        required=False,
        widget=QuickSelect,
        help_text=_("Calls and emails."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    due_at = BusinessDateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Tasks."),
    )
    start_at = BusinessDateTimeField(
        label=_("Start"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Appointments."),
    )
    end_at = BusinessDateTimeField(
        label=_("End"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Appointments."),
    )
    completed = forms.BooleanField(
        label=_("Already done (log as completed)"), required=False
    )
    submission_token = SubmissionTokenField()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (ActivityKind.PHONE_CALL, ActivityKind.EMAIL) and not data.get(
            "direction"
        ):
            self.add_error(
                "direction",
                _("Say whether the call or email was incoming or outgoing."),
            )
        if kind == ActivityKind.APPOINTMENT:
            start, end = data.get("start_at"), data.get("end_at")
            if not start and "start_at" not in self.errors:
                self.add_error("start_at", _("An appointment needs a start time."))
            elif start and end and end < start:
                self.add_error(
                    "end_at", _("An appointment cannot end before it starts.")
                )
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
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
        self.fields["file"].help_text = _("Up to %(size)s MiB. %(types)s.") % {
            "size": f"{limit_mib:g}",
            "types": ALLOWED_DESCRIPTION,
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.checked = check_upload(upload)
        return upload


def timeline_forms(record) -> dict:
    """The add URLs of a record's timeline; a GET on each is its form, loaded when
    the page's disclosure opens. Only the note form is drawn with the page (open
    when the timeline is empty)."""
    record_type = record._meta.model_name
    args = [record_type, record.pk]
    return {
        # Complete/cancel come back here, also for lead items on an opportunity.
        "timeline_return_url": record.get_absolute_url(),
        "note_form": NoteForm(auto_id=f"id_note_{record_type}_%s"),
        "timeline_urls": {
            "note": reverse("leads:add-note", args=args),
            "activity": reverse("leads:add-activity", args=args),
            "attachment": reverse("leads:add-attachment", args=args),
            "email": reverse("leads:compose-email", args=args),
        },
    }
