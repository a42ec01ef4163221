"""Consent per person and purpose: the purposes administrators define, the purposes
a capture form asks for (with its own wording and version), the append-only log of
every consent event, and each person's current state per purpose (for fast checks
before an email goes out).

A person is a lead or a contact (exactly one of the two foreign keys is set)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact
from leads.models.capture import CaptureForm
from leads.models.imports import ImportBatch
from leads.models.lifecycle import Lead


class ConsentPurpose(models.Model):
    """What a person may agree to be contacted for ("Newsletter", "Sales
    follow-up"). Administrators keep them in the Django admin; switched off, not
    deleted: the consent log keeps naming them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_(
            "A short fixed name for imports, the API and capture form fields "
            "(e.g. newsletter)."
        ),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What the person agrees to, as users recording consent see it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")

    def __str__(self):
        return self.name


class ConsentStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Double opt-in: asked on a capture form, not yet confirmed by the link sent to
    # the person. Does not count as given.
    PENDING = "pending", _("Awaiting confirmation")


class ConsentMethod(models.TextChoices):
    CAPTURE_FORM = "capture_form", _("Capture form")
    DOUBLE_OPT_IN = "double_opt_in", _("Double opt-in confirmation")
    IMPORT = "import", _("Import")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")


# What a user records on a record page (the other methods are the system's own).
USER_METHODS = [ConsentMethod.PHONE, ConsentMethod.EMAIL, ConsentMethod.IN_PERSON]


def person_constraint(name):
    """Exactly one of lead and contact is set."""
    return models.CheckConstraint(
        condition=Q(lead__isnull=False, contact__isnull=True)
        | Q(lead__isnull=True, contact__isnull=False),
        name=name,
        violation_error_message=_("Consent belongs to exactly one lead or contact."),
    )


class PersonFields(models.Model):
    """A lead or a contact (person_constraint)."""

    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    method = models.CharField(_("method"), max_length=16, choices=ConsentMethod.choices)

    class Meta:
        abstract = True

    @property
    def person(self):
        return self.lead if self.lead_id else self.contact


class CaptureFormPurpose(models.Model):
    """A purpose a capture form asks consent for: an optional checkbox with the
    form's own wording. Change the version whenever the wording changes; each
    consent keeps the wording and version the visitor saw."""

    capture_form = models.ForeignKey(
        CaptureForm,
        verbose_name=_("capture form"),
        on_delete=models.CASCADE,
        related_name="consent_purposes",
    )
    purpose = models.ForeignKey(
        ConsentPurpose,
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    wording = models.TextField(
        _("wording"), help_text=_("The exact text beside the checkbox.")
    )
    version = models.CharField(
        _("version"),
        max_length=30,
        help_text=_("E.g. 2025-01 or v2; change it whenever the wording changes."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("consent asked on a capture form")
        verbose_name_plural = _("consents asked on the capture form")
        constraints = [
            models.UniqueConstraint(
                fields=["capture_form", "purpose"],
                name="capture_form_purpose_once",
                violation_error_message=_("The form already asks for this purpose."),
            )
        ]

    def __str__(self):
        return f"{self.capture_form}: {self.purpose} ({self.version})"

    @property
    def field_name(self) -> str:
        """The submission's checkbox (and the JSON capture's key)."""
        return f"consent_{self.purpose.code}"


class ConsentEvent(PersonFields):
    """One entry of the consent log: given, withdrawn or awaiting confirmation,
    when, how and by whom (no user: the person themselves on a public form or
    link). Append-only: rows are added, never changed."""

    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    capture_form = models.ForeignKey(
        CaptureForm,
        verbose_name=_("capture form"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    wording = models.TextField(_("wording"), blank=True)
    wording_version = models.CharField(_("wording version"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # A double opt-in confirmation: the pending event it confirms (once).
    confirms = models.OneToOneField(
        "self",
        verbose_name=_("confirms"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="confirmation",
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent log")
        constraints = [person_constraint("consentevent_one_person")]
        indexes = [
            models.Index(fields=["lead", "purpose"], name="consent_event_lead"),
            models.Index(fields=["contact", "purpose"], name="consent_event_contact"),
        ]

    def __str__(self):
        return f"{self.purpose}: {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("The consent log is append-only."))
        super().save(*args, **kwargs)


class ConsentState(PersonFields):
    """A person's current consent for one purpose: the latest event's status,
    method and time. `unconfirmed_at`: a double opt-in left unconfirmed past
    LEADSITE_CONSENT_CONFIRMATION_DAYS (set by the daily job)."""

    since = models.DateTimeField(_("since"))
    event = models.ForeignKey(
        ConsentEvent,
        verbose_name=_("latest event"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    confirmation_sent_at = models.DateTimeField(
        _("confirmation email sent"), null=True, blank=True
    )
    unconfirmed_at = models.DateTimeField(
        _("flagged unconfirmed"), null=True, blank=True
    )

    class Meta:
        ordering = ["purpose__name"]
        verbose_name = _("consent state")
        verbose_name_plural = _("consent states")
        constraints = [
            person_constraint("consentstate_one_person"),
            models.UniqueConstraint(
                fields=["lead", "purpose"],
                condition=Q(lead__isnull=False),
                name="consentstate_lead_purpose_once",
            ),
            models.UniqueConstraint(
                fields=["contact", "purpose"],
                condition=Q(contact__isnull=False),
                name="consentstate_contact_purpose_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "since"], name="consent_state_status"),
        ]

    def __str__(self):
        return f"{self.purpose}: {self.get_status_display()}"

    @property
    def unconfirmed(self) -> bool:
        return self.status == ConsentStatus.PENDING and self.unconfirmed_at is not None
