"""Where leads come from: campaigns and public capture forms."""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    MONEY,
    BusinessUnit,
)
from leads.models.choices import LeadSource
from leadsite.core.dates import business_date_check, validate_business_date


class Campaign(models.Model):
    """A marketing effort leads can come from; its cost feeds cost-per-lead."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    source = models.PositiveSmallIntegerField(
        _("source"), choices=LeadSource.choices, null=True, blank=True
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    start_date = models.DateField(
        _("start date"), null=True, blank=True, validators=[validate_business_date]
    )
    end_date = models.DateField(
        _("end date"), null=True, blank=True, validators=[validate_business_date]
    )
    cost = models.DecimalField(
        _("actual cost"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__gte=0) | Q(cost__isnull=True),
                name="campaign_cost_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="campaign_period_ordered",
                violation_error_message=_("A campaign cannot end before it starts."),
            ),
            business_date_check("campaign", "start_date"),
            business_date_check("campaign", "end_date"),
        ]

    def __str__(self):
        return self.name


# Lead fields a capture form may show besides last name, email and message.
CAPTURE_OPTIONAL_FIELDS = [
    "salutation",
    "first_name",
    "job_title",
    "company_name",
    "business_phone",
    "mobile_phone",
    "website",
    "city",
    "country",
]
# What a new capture form shows besides those: what a website's contact form
# usually asks.
CAPTURE_DEFAULT_FIELDS = ["first_name", "company_name", "business_phone"]
# The heading visitors see when the form has no title (its name is internal).
CAPTURE_DEFAULT_TITLE = _("Contact us")


def redirect_allowed(url: str) -> bool:
    """A path on this site, or http(s) on a host in LEADSITE_CAPTURE_REDIRECT_HOSTS."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in set(
        getattr(settings, "LEADSITE_CAPTURE_REDIRECT_HOSTS", [])
    )


def new_capture_token():
    return secrets.token_urlsafe(16)


class CaptureForm(models.Model):
    """A public web form whose submissions become leads."""

    name = models.CharField(_("name"), max_length=128)
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_capture_token
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        verbose_name=_("business unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    default_source = models.PositiveSmallIntegerField(
        _("default source"), choices=LeadSource.choices, default=LeadSource.WEB
    )
    fields_shown = models.JSONField(
        _("fields shown"),
        default=list,
        blank=True,
        help_text=_("Lead field names shown besides last name, email and message."),
    )
    thank_you_text = models.TextField(
        _("thank you text"), default="Thank you, we will be in touch soon."
    )
    is_active = models.BooleanField(_("is active"), default=True)
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Heading shown to visitors."),
    )
    intro_text = models.TextField(
        _("intro text"), blank=True, help_text=_("Shown above the fields.")
    )
    consent_text = models.TextField(
        _("consent text"),
        blank=True,
        help_text=_("When set, visitors must tick a box with this text to submit."),
    )
    redirect_url = models.CharField(
        _("redirect url"),
        max_length=500,
        blank=True,
        help_text=_(
            "After submitting, send visitors here instead of the thank-you "
            "text: a path on this site (/thanks/) or an https:// URL on a host "
            "listed in LEADSITE_CAPTURE_REDIRECT_HOSTS."
        ),
    )
    topic = models.CharField(
        _("topic"),
        max_length=300,
        blank=True,
        help_text=_("Topic of the leads it creates (default: 'Web enquiry: <name>')."),
    )
    # Consent (leads.models.consent): the purposes it asks are its consent_purposes.
    double_opt_in = models.BooleanField(
        _("double opt-in"),
        default=False,
        help_text=_(
            "Consent ticked on this form counts only once the visitor confirms it "
            "through the link emailed to them."
        ),
    )

    class Meta:
        verbose_name = _("capture form")
        verbose_name_plural = _("capture forms")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("capture", args=[self.token])

    @property
    def public_title(self):
        """The heading visitors see: the title, never the internal name."""
        return self.title.strip() or CAPTURE_DEFAULT_TITLE

    def clean(self):
        if self.redirect_url and not redirect_allowed(self.redirect_url):
            raise ValidationError(
                {
                    "redirect_url": gettext(
                        "Use a path on this site (starting with /) or an http(s) "
                        "URL on a host in LEADSITE_CAPTURE_REDIRECT_HOSTS."
                    )
                }
            )
        unknown = set(self.fields_shown or []) - set(CAPTURE_OPTIONAL_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "fields_shown": gettext("Not a capture field: %(fields)s.")
                    % {"fields": ", ".join(sorted(unknown))}
                }
            )


class CaptureSubmission(models.Model):
    """One accepted submission of a capture form. The unique fingerprint per
    10-minute bucket makes a repeated or simultaneous identical POST land on the
    same row (and the same lead) instead of creating a second lead."""

    capture_form = models.ForeignKey(
        CaptureForm,
        verbose_name=_("capture form"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    bucket = models.BigIntegerField(
        _("bucket"), help_text=_("Submission time // 600 seconds.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("capture submission")
        verbose_name_plural = _("capture submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["capture_form", "fingerprint", "bucket"],
                name="capture_submission_once",
            )
        ]

    def __str__(self):
        return f"{self.capture_form_id}:{self.fingerprint[:8]}@{self.bucket}"


class PossibleDuplicate(models.Model):
    """A lead that came in (capture or import) looking like an existing lead or
    contact: kept as a lead, flagged with a link for its owner to check."""

    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="possible_duplicates",
    )
    matched_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("matched lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    matched_contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("matched contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=100)
    origin = models.CharField(_("origin"), max_length=10)  # capture or import
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(matched_lead__isnull=False)
                | Q(matched_contact__isnull=False),
                name="possible_duplicate_has_match",
            )
        ]

    def __str__(self):
        return f"Lead {self.lead_id} may duplicate {self.matched_lead_id or self.matched_contact_id}"
