"""Duplicate rules: which existing records a new or changed one may not resemble,
how the resemblance is measured and what happens then (allow, warn, block); and the
scans that check the existing data against the published rules."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class DuplicateAction(models.TextChoices):
    ALLOW = "allow", _("Allow (no check)")
    WARN = "warn", _("Warn and ask to confirm")
    BLOCK = "block", _("Block")


# Strongest first: a write matched by rules of several actions gets the first.
ACTION_STRENGTH = {
    DuplicateAction.BLOCK: 2,
    DuplicateAction.WARN: 1,
    DuplicateAction.ALLOW: 0,
}


class DuplicateMethod(models.TextChoices):
    EXACT = "exact", _("Exactly equal")
    IEXACT = "iexact", _("Equal, ignoring case")
    EMAIL = "email", _("Same email (normalised)")
    PHONE = "phone", _("Same phone number (its digits)")
    COMPANY = "company", _("Same company name (normalised)")
    PREFIX = "prefix", _("Same first N characters")
    FUZZY = "fuzzy", _("Similar (trigram similarity at least the threshold)")


# How describe_condition words a method within a sentence.
METHOD_PHRASES = {
    DuplicateMethod.EXACT: _("exactly equal"),
    DuplicateMethod.IEXACT: _("equal, ignoring case"),
    DuplicateMethod.EMAIL: _("same email (normalised)"),
    DuplicateMethod.PHONE: _("same phone number (its digits)"),
    DuplicateMethod.COMPANY: _("same company name (normalised)"),
}


class DuplicateRecordType(models.TextChoices):
    LEAD = "lead", _("Leads")


# The lead fields a rule may compare ("phone": the business or the mobile phone),
# each with the methods that make sense for it. Every one is indexed for its
# methods (leads 0004_postgresql_search_indexes, Lead.Meta, 0011 for fuzzy).
DUPLICATE_FIELDS = {
    "email": _("Email"),
    "phone": _("Phone (business or mobile)"),
    "last_name": _("Last name"),
    "first_name": _("First name"),
    "company_name": _("Company"),
    "subject": _("Topic"),
}
_TEXT_METHODS = [
    DuplicateMethod.EXACT,
    DuplicateMethod.IEXACT,
    DuplicateMethod.PREFIX,
    DuplicateMethod.FUZZY,
]
FIELD_METHODS = {
    "email": [DuplicateMethod.EMAIL, *_TEXT_METHODS],
    "phone": [DuplicateMethod.PHONE],
    "last_name": _TEXT_METHODS,
    "first_name": _TEXT_METHODS,
    "company_name": [DuplicateMethod.COMPANY, *_TEXT_METHODS],
    "subject": _TEXT_METHODS,
}
MIN_THRESHOLD, MAX_PREFIX = 0.3, 50
# The checks before rules existed, seeded as published rules by leads 0011 (and
# checked as they are where no rule of the type exists at all, e.g. a flushed
# test database): (name, conditions), each a warning.
DEFAULT_RULES = [
    ("same email", [{"field": "email", "method": "email", "parameter": None}]),
    ("same phone", [{"field": "phone", "method": "phone", "parameter": None}]),
    (
        "same company and last name",
        [
            {"field": "last_name", "method": "iexact", "parameter": None},
            {"field": "company_name", "method": "company", "parameter": None},
        ],
    ),
]


def clean_condition(condition) -> dict:
    """A condition as stored ({"field", "method", "parameter"}), or a
    ValidationError saying what is wrong with it."""
    if not isinstance(condition, dict):
        raise ValidationError(
            gettext("A condition names a field, a method and a parameter.")
        )
    name, method = condition.get("field"), condition.get("method")
    if name not in FIELD_METHODS:
        raise ValidationError(
            gettext("“%(field)s” is not a field a rule can compare.") % {"field": name}
        )
    if method not in FIELD_METHODS[name]:
        raise ValidationError(
            gettext("%(field)s cannot be compared by “%(method)s”.")
            % {"field": DUPLICATE_FIELDS[name], "method": method}
        )
    parameter = condition.get("parameter")
    if method == DuplicateMethod.PREFIX:
        try:
            parameter = int(parameter)
        except (TypeError, ValueError):
            parameter = 0
        if not 1 <= parameter <= MAX_PREFIX:
            raise ValidationError(
                gettext("“Same first N characters” needs N from 1 to %(maximum)s.")
                % {"maximum": MAX_PREFIX}
            )
    elif method == DuplicateMethod.FUZZY:
        try:
            parameter = round(float(parameter), 2)
        except (TypeError, ValueError):
            parameter = 0
        if not MIN_THRESHOLD <= parameter <= 1:
            raise ValidationError(
                gettext(
                    "A similarity threshold is from %(minimum)s to 1 "
                    "(1: the same trigrams)."
                )
                % {"minimum": localize(MIN_THRESHOLD)}
            )
    else:
        parameter = None
    return {"field": name, "method": method, "parameter": parameter}


def describe_condition(condition: dict) -> str:
    """ "Last name: equal, ignoring case"; "Company: similar (≥ 0.6)"."""
    label = DUPLICATE_FIELDS.get(condition["field"], condition["field"])
    method = condition["method"]
    if method == DuplicateMethod.PREFIX:
        how = gettext("same first %(count)s characters") % {
            "count": condition["parameter"]
        }
    elif method == DuplicateMethod.FUZZY:
        how = gettext("similar (≥ %(threshold)s)") % {
            "threshold": localize(condition["parameter"])
        }
    else:
        how = METHOD_PHRASES[method]
    return gettext("%(field)s: %(method)s") % {"field": label, "method": how}


class DuplicateRule(models.Model):
    """A way two records of one type count as duplicates: its conditions must all
    hold (AND). Published rules are checked on every write of that type; the
    action says what happens to a write that matches."""

    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("Shown beside each match, e.g. “same email”."),
    )
    record_type = models.CharField(
        _("record type"),
        max_length=10,
        choices=DuplicateRecordType.choices,
        default=DuplicateRecordType.LEAD,
    )
    business_unit = models.ForeignKey(
        "accounts.BusinessUnit",
        verbose_name=_("business unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Checks records of this unit and below; empty: everyone's."),
    )
    conditions = models.JSONField(
        _("conditions"),
        default=list,
        help_text=_("[{field, method, parameter}], joined by AND."),
    )
    action = models.CharField(
        _("action"),
        max_length=5,
        choices=DuplicateAction.choices,
        default=DuplicateAction.WARN,
    )
    exclude_closed = models.BooleanField(
        _("exclude closed records"),
        default=False,
        help_text=_(
            "Compare only with open records (not qualified, disqualified "
            "or merged ones)."
        ),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published rules are checked.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    modified_at = models.DateTimeField(
        _("modified at"), default=timezone.now, editable=False
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("duplicate rule")
        verbose_name_plural = _("duplicate rules")
        ordering = ["record_type", "name", "pk"]
        indexes = [
            models.Index(
                fields=["record_type", "is_published"], name="duprule_type_pub"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("leads:duplicate-rule-edit", args=[self.pk])

    def clean(self):
        if not self.conditions:
            raise ValidationError(
                {"conditions": gettext("A rule needs at least one condition.")}
            )
        errors = []
        for condition in self.conditions:
            try:
                clean_condition(condition)
            except ValidationError as error:
                errors += error.messages
        if errors:
            raise ValidationError({"conditions": errors})

    @property
    def is_fuzzy(self) -> bool:
        return any(c["method"] == DuplicateMethod.FUZZY for c in self.conditions)

    @property
    def condition_texts(self) -> list[str]:
        return [describe_condition(c) for c in self.conditions]


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class DuplicateScan(models.Model):
    """One check of the existing data against the published rules; its groups are
    the records that match each other by one rule."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(
        _("created at"), default=timezone.now, editable=False
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ScanStatus.choices, default=ScanStatus.QUEUED
    )
    rules_total = models.PositiveIntegerField(_("rules total"), default=0)
    rules_done = models.PositiveIntegerField(_("rules done"), default=0)
    records_total = models.PositiveIntegerField(
        _("records total"),
        default=0,
        help_text=_("Records the rule being checked goes through."),
    )
    records_done = models.PositiveIntegerField(_("records done"), default=0)
    group_count = models.PositiveIntegerField(_("group count"), default=0)
    notes = models.JSONField(
        _("notes"), default=list, blank=True, help_text=_("Rules skipped, and why.")
    )

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return gettext("Duplicate scan #%(id)s") % {"id": self.pk}

    def get_absolute_url(self):
        return reverse("leads:duplicate-scan", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (ScanStatus.DONE, ScanStatus.FAILED)

    @property
    def percent(self) -> int:
        if not self.rules_total:
            return 100 if self.is_finished else 0
        share = self.records_done / self.records_total if self.records_total else 0
        return min(100, int(100 * (self.rules_done + share) / self.rules_total))


class DuplicateGroup(models.Model):
    """Records a scan found to match each other by one rule (at most
    GROUP_IDS_KEPT ids kept; `size` counts them all)."""

    GROUP_IDS_KEPT = 100

    scan = models.ForeignKey(
        DuplicateScan,
        verbose_name=_("scan"),
        on_delete=models.CASCADE,
        related_name="groups",
    )
    rule = models.ForeignKey(
        DuplicateRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    rule_name = models.CharField(_("rule name"), max_length=100)
    record_ids = models.JSONField(_("record ids"), default=list)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("duplicate group")
        verbose_name_plural = _("duplicate groups")
        ordering = ["-size", "pk"]
        indexes = [models.Index(fields=["scan", "-size", "id"], name="dupgroup_scan")]

    def __str__(self):
        return ngettext(
            "%(rule)s: %(count)s record", "%(rule)s: %(count)s records", self.size
        ) % {"rule": self.rule_name, "count": self.size}
