"""Summary rows behind the lead-source report (derived data, never edited by hand).

Database triggers append the UTC creation day of every lead touched by a write on
leads, their opportunities or their activities to SourceReportDirty;
leads.reports.summary.refresh_source_summary() recomputes exactly those days (in the
report read when they are few, else in a background task: leads.reports.freshness,
whose bookkeeping is SourceReportState). No service has to call anything, and a write path nobody thought of
(admin, import, raw SQL) is covered too. The triggers (leads migration
0006_source_report_triggers, PostgreSQL and SQLite; tests/test_source_report_triggers.py
checks they are all there):

    report_dirty_leads_lead_insert, report_dirty_leads_lead_update,
    report_dirty_leads_lead_delete, report_dirty_accounts_opportunity_update,
    report_dirty_accounts_opportunity_delete, report_dirty_leads_activity_insert,
    report_dirty_leads_activity_update, report_dirty_leads_activity_delete,
    report_dirty_accounts_stagevisit_insert, report_dirty_accounts_stagevisit_update,
    report_dirty_accounts_stagevisit_delete (migration 0017_stage_days_summary: the
    stage visits behind SourceReportStage)

Foreign keys here carry no database constraint and no cascade: a summary row never
blocks deleting a user, team, unit or campaign, and the trigger on that delete (the
lead rows it changes) marks the day for recomputation.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY


def _loose_fk(model, verbose_name):
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )


KEY = ["source", "campaign", "business_unit", "owner_user", "owner_team"]
# The owner columns of a unit roll-up (no user or team has this id; 0 is "none").
ALL_OWNERS = -1


class SummaryKey(models.Model):
    """The report's dimensions: source, campaign and the record-scope columns (0, not
    NULL, for "none", so keys compare with plain equality), and
    the stretch of creation days a row covers: one local day (level DAY), or a
    roll-up of a whole month (MONTH) or year (YEAR) starting on `period`.

    UNIT_DAY, UNIT_MONTH and UNIT_YEAR are the same periods summed over every owner
    of a business unit (owner_user and owner_team hold ALL_OWNERS): what the report
    of a manager or an administrator reads when it is not narrowed to an owner or a
    team, a few hundred rows a day however many leads and owners there are (the
    per-owner rows grew to one for almost every lead of a day)."""

    DAY, MONTH, YEAR = 0, 1, 2
    UNIT_DAY, UNIT_MONTH, UNIT_YEAR = 3, 4, 5
    # The per-owner level each unit level sums, and back.
    UNIT_LEVEL = {DAY: UNIT_DAY, MONTH: UNIT_MONTH, YEAR: UNIT_YEAR}

    period = models.DateField(_("period"))
    level = models.PositiveSmallIntegerField(_("level"), default=DAY)
    source = models.PositiveSmallIntegerField(_("source"), null=True)
    campaign = _loose_fk("leads.Campaign", _("campaign"))
    business_unit = _loose_fk("accounts.BusinessUnit", _("business unit"))
    owner_user = _loose_fk("accounts.User", _("owner user"))
    owner_team = _loose_fk("accounts.Team", _("owner team"))

    class Meta:
        abstract = True


class SourceReportDay(SummaryKey):
    """Counts and sums of the leads created in one period with one key."""

    created = models.IntegerField(_("created"), default=0)
    open = models.IntegerField(_("open"), default=0)
    qualified = models.IntegerField(_("qualified"), default=0)
    lost = models.IntegerField(_("lost"), default=0)
    cannot_contact = models.IntegerField(_("cannot contact"), default=0)
    no_longer_interested = models.IntegerField(_("no longer interested"), default=0)
    canceled = models.IntegerField(_("canceled"), default=0, help_text=_("Not merged."))
    merged = models.IntegerField(_("merged"), default=0)
    won_leads = models.IntegerField(_("won leads"), default=0)
    opportunities_lost = models.IntegerField(_("opportunities lost"), default=0)
    opportunities_open = models.IntegerField(_("opportunities open"), default=0)
    won_revenue = models.DecimalField(_("won revenue"), **MONEY, default=0)
    pipeline = models.DecimalField(_("pipeline"), **MONEY, default=0)
    worked = models.IntegerField(
        _("worked"), default=0, help_text=_("Leads with a completed activity.")
    )
    worked_within_24h = models.IntegerField(_("worked within 24h"), default=0)

    class Meta:
        verbose_name = _("source report day")
        verbose_name_plural = _("source report days")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "period", *KEY],
                name="report_day_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["business_unit", "level", "period"], name="report_day_bu"
            ),
        ]

    def __str__(self):
        return f"{self.period} source {self.source}: {self.created} leads"


class SourceReportHistogram(SummaryKey):
    """How many leads of one key took `bucket` whole days to qualify (metric 1) or
    whole hours to their first completed activity (metric 2)."""

    QUALIFY_DAYS = 1
    FIRST_WORK_HOURS = 2

    metric = models.PositiveSmallIntegerField(_("metric"))
    bucket = models.IntegerField(_("bucket"))
    count = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("source report histogram")
        verbose_name_plural = _("source report histograms")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "period", *KEY, "metric", "bucket"],
                name="report_hist_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["business_unit", "level", "period"], name="report_hist_bu"
            ),
        ]

    def __str__(self):
        return f"{self.period} metric {self.metric} bucket {self.bucket}: {self.count}"


class SourceReportStage(SummaryKey):
    """Time spent in one sales stage by the leads created in one period with one key:
    Qualify from creation to qualification (qualified leads), Develop, Propose and
    Close in the stage visits of their opportunities. A visit still open counts up
    to the moment of reading: its start is summed here, "now" is applied then
    (leads.reports.stages)."""

    stage = models.PositiveSmallIntegerField(_("stage"))
    finished = models.IntegerField(
        _("finished"), default=0, help_text=_("Qualified leads or left stage visits.")
    )
    finished_seconds = models.FloatField(
        _("finished seconds"), default=0, help_text=_("Their summed durations.")
    )
    open = models.IntegerField(
        _("open"), default=0, help_text=_("Stage visits not left yet.")
    )
    open_since = models.FloatField(
        _("open since"),
        default=0,
        help_text=_("Their summed starts, in seconds since 1970-01-01 UTC."),
    )

    class Meta:
        verbose_name = _("source report stage")
        verbose_name_plural = _("source report stages")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "period", *KEY, "stage"],
                name="report_stage_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["business_unit", "level", "period"], name="report_stage_bu"
            ),
        ]

    def __str__(self):
        return f"{self.period} stage {self.stage}: {self.finished} + {self.open}"


class SourceReportDirty(models.Model):
    """A UTC day whose summary rows must be recomputed (written by triggers)."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("source report dirty")
        verbose_name_plural = _("source report dirtys")

    def __str__(self):
        return str(self.day)


class SourceReportState(models.Model):
    """The summary's one bookkeeping row (pk 1): when its figures were last brought
    up to date, and the background refresh a report read queued (at most one) with
    the days it has to recompute. Locked by every refresh (one at a time)."""

    refreshed_at = models.DateTimeField(
        _("refreshed at"),
        null=True,
        help_text=_("The figures include every change made before this time."),
    )
    queued_at = models.DateTimeField(
        _("queued at"),
        null=True,
        help_text=_("A background refresh waits or runs since this time."),
    )
    pending_days = models.PositiveIntegerField(_("pending days"), default=0)
    pending_from = models.DateField(_("pending from"), null=True)
    pending_to = models.DateField(_("pending to"), null=True)

    class Meta:
        verbose_name = _("source report state")
        verbose_name_plural = _("source report states")

    def __str__(self):
        return f"summary as of {self.refreshed_at}"
