"""Lead scoring, stored: the frequency tables the model learns from, each lead's
score, the administrator's settings and the rebuild runs.

The arithmetic is leads.scoring (pure); what a lead's (field, value) pairs are is
leads.selectors.scoring (SQL expressions, one definition for the counts and the
scores); the writes are leads.services.scoring.

A score lives in its own table, one row per lead, not on the lead: a rescoring
(every open lead, nightly) then writes a narrow table, without the lead's version,
its change history or the source report's triggers moving.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leads.models.choices import LeadState
from leads.scoring import words
from leads.scoring.grades import GradeThresholds
from leads.scoring.model import ScoringSettings

# The engine's sentences in the active language, decimals with its mark.
words.install(translate=gettext, decimal_mark=lambda: get_format("DECIMAL_SEPARATOR"))

ORGANISATION_SCOPE = 0  # ScoreCount.scope of the whole organisation's table


class ScoreCount(models.Model):
    """One (field, value) of one scope's frequency table: how many closed leads
    with that value were qualified and how many disqualified. Scope 0 is the
    organisation, any other scope the id of the business unit owning the leads.
    The totals of a scope are its row ("*", "*")."""

    scope = models.PositiveIntegerField(_("scope"))
    field = models.CharField(_("field"), max_length=40)
    value = models.CharField(_("value"), max_length=200)
    qualified = models.PositiveIntegerField(_("qualified"), default=0)
    disqualified = models.PositiveIntegerField(_("disqualified"), default=0)

    class Meta:
        verbose_name = _("score count")
        verbose_name_plural = _("score counts")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "field", "value"], name="score_count_once"
            )
        ]

    def __str__(self):
        return f"{self.scope} {self.field}={self.value}: {self.qualified}/{self.disqualified}"


TOTAL = ("*", "*")  # the (field, value) of a scope's totals row


class LeadScore(models.Model):
    """A lead's score: the model's (None: not enough data yet), the pinned one
    if a person pinned it, and `score`, the one shown and sorted by (the pin, else
    the model's). `factors` holds the three to five values that move the model's
    score most, as [field, value, words, log likelihood ratio]; `history` the
    score of each of the last eight nightly rebuilds, oldest first (the trend)."""

    lead = models.OneToOneField(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="score",
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    model_score = models.PositiveSmallIntegerField(
        _("model score"), null=True, blank=True
    )
    scope = models.CharField(_("scope"), max_length=12, blank=True)
    factors = models.JSONField(_("factors"), default=list, blank=True)
    history = models.JSONField(_("history"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)
    pinned_score = models.PositiveSmallIntegerField(
        _("pinned score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    pin_reason = models.CharField(_("pin reason"), max_length=300, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pinned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)
    # Copies of the lead's owner and state, written only by the triggers of leads
    # 0018_lead_score_owner (with the lead's insert and whenever either changes),
    # so that a user's best open leads are the first rows of one index.
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead's owner user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        editable=False,
        related_name="+",
    )
    state = models.PositiveSmallIntegerField(
        _("lead's state"),
        choices=LeadState.choices,
        # In the database too: a row an older release inserts without it is valid.
        db_default=LeadState.OPEN,
        editable=False,
    )

    class Meta:
        verbose_name = _("lead score")
        verbose_name_plural = _("lead scores")
        indexes = [
            # The grade filter (a score range). The list sorted by score reads
            # lead_score_desc on PostgreSQL (score DESC NULLS LAST, lead_id DESC;
            # leads 0009_lead_score_rows: SQLite has no NULLS LAST in an index).
            models.Index(fields=["score"], name="lead_score"),
            # "Call these first" (the home page): a user's open leads, best
            # first, are this index's first rows whatever the user's count.
            models.Index(
                fields=["owner_user", "-score", "-lead"],
                condition=Q(state=LeadState.OPEN),
                name="lead_score_owner_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__lte=100)
                & Q(model_score__lte=100)
                & Q(pinned_score__lte=100),
                name="lead_score_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(pinned_score__isnull=True) | ~Q(pin_reason=""),
                name="lead_score_pin_has_reason",
                violation_error_message=_("Say why the score is pinned."),
            ),
        ]

    def __str__(self):
        return gettext("Score of lead %(lead)s: %(score)s") % {
            "lead": self.lead_id,
            "score": self.score,
        }

    @property
    def pinned(self) -> bool:
        return self.pinned_score is not None

    @property
    def week_ago(self) -> int | None:
        """The score the trend compares with: the oldest of the nightly scores kept
        (history holds [day, score] of the last eight days: a week before the
        newest), None while none is older than today."""
        if not self.history:
            return None
        day, score = self.history[0]
        return score if day < timezone.localdate().isoformat() else None


def _percent(verbose_name, default, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=help_text,
    )


class ScoringConfig(models.Model):
    """The administrator's scoring settings: one row (pk 1)."""

    grade_a = _percent(_("grade a"), 75, _("Lowest score of an A lead."))
    grade_b = _percent(_("grade b"), 50, _("Lowest score of a B lead."))
    grade_c = _percent(_("grade c"), 25, _("Lowest score of a C lead (below it: D)."))
    min_closed = models.PositiveIntegerField(
        _("min closed"),
        default=200,
        validators=[MinValueValidator(1)],
        help_text=_("Closed leads needed before the model gives a number."),
    )
    min_each = models.PositiveIntegerField(
        _("min each"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_("Qualified and disqualified leads needed, each."),
    )
    min_unit_closed = models.PositiveIntegerField(
        _("min unit closed"),
        default=200,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Closed leads a business unit needs to be scored from its own "
            "leads; below it, the organisation's are used."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_a__gt=models.F("grade_b"))
                & Q(grade_b__gt=models.F("grade_c")),
                name="scoring_grades_decrease",
                violation_error_message=_("Thresholds decrease: A above B above C."),
            )
        ]

    def __str__(self):
        return gettext("Scoring settings")

    @property
    def thresholds(self) -> GradeThresholds:
        return GradeThresholds(self.grade_a, self.grade_b, self.grade_c)

    @property
    def model_settings(self) -> ScoringSettings:
        return ScoringSettings(
            min_closed=self.min_closed,
            min_each=self.min_each,
            min_unit_closed=self.min_unit_closed,
        )


class RebuildStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScoreRebuild(models.Model):
    """One full rebuild: the tables recounted, then every open lead rescored."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the nightly run."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RebuildStatus.choices,
        default=RebuildStatus.QUEUED,
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    total = models.PositiveIntegerField(
        _("total"), default=0, help_text=_("Open leads to rescore.")
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    closed_counted = models.PositiveIntegerField(_("closed counted"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("score rebuild")
        verbose_name_plural = _("score rebuilds")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One rebuild queued or running at a time.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status__in=["queued", "running"]),
                name="score_rebuild_one_at_a_time",
            )
        ]

    def __str__(self):
        return gettext("Score rebuild %(id)s (%(status)s)") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def percent(self) -> int:
        if self.status == RebuildStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
