"""Summary rows behind the lead-source report (derived data, never edited by hand).

Database triggers append the UTC creation day of every lead touched by a write on
leads, their opportunities or their activities to SourceReportDirty;
leads.reports.summary.refresh_source_summary() recomputes exactly those days before a
report reads. No service has to call anything, and a write path nobody thought of
(admin, import, raw SQL) is covered too. The triggers (leads migration
0006_source_report_triggers, PostgreSQL and SQLite; tests/test_source_report_triggers.py
checks they are all there):

    report_dirty_leads_lead_insert, report_dirty_leads_lead_update,
    report_dirty_leads_lead_delete, report_dirty_accounts_opportunity_update,
    report_dirty_accounts_opportunity_delete, report_dirty_leads_activity_insert,
    report_dirty_leads_activity_update, report_dirty_leads_activity_delete

Foreign keys here carry no database constraint and no cascade: a summary row never
blocks deleting a user, team, unit or campaign, and the trigger on that delete (the
lead rows it changes) marks the day for recomputation.
"""

from django.db import models

from accounts.models import MONEY


def _loose_fk(model):
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )


KEY = ["source", "campaign", "business_unit", "owner_user", "owner_team"]


class SummaryKey(models.Model):
    """The report's dimensions: source, campaign and the record-scope columns (0, not
    NULL, for "none", so keys compare with plain equality), and
    the stretch of creation days a row covers: one local day (level DAY), or a
    roll-up of a whole month (MONTH) or year (YEAR) starting on `period`."""

    DAY, MONTH, YEAR = 0, 1, 2

    period = models.DateField()
    level = models.PositiveSmallIntegerField(default=DAY)
    source = models.PositiveSmallIntegerField(null=True)
    campaign = _loose_fk("leads.Campaign")
    business_unit = _loose_fk("accounts.BusinessUnit")
    owner_user = _loose_fk("accounts.User")
    owner_team = _loose_fk("accounts.Team")

    class Meta:
        abstract = True


class SourceReportDay(SummaryKey):
    """Counts and sums of the leads created in one period with one key."""

    created = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    lost = models.IntegerField(default=0)
    cannot_contact = models.IntegerField(default=0)
    no_longer_interested = models.IntegerField(default=0)
    canceled = models.IntegerField(default=0, help_text="Not merged.")
    merged = models.IntegerField(default=0)
    won_leads = models.IntegerField(default=0)
    opportunities_lost = models.IntegerField(default=0)
    opportunities_open = models.IntegerField(default=0)
    won_revenue = models.DecimalField(**MONEY, default=0)
    pipeline = models.DecimalField(**MONEY, default=0)
    worked = models.IntegerField(
        default=0, help_text="Leads with a completed activity."
    )
    worked_within_24h = models.IntegerField(default=0)

    class Meta:
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

    metric = models.PositiveSmallIntegerField()
    bucket = models.IntegerField()
    count = models.IntegerField()

    class Meta:
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


class SourceReportDirty(models.Model):
    """A UTC day whose summary rows must be recomputed (written by triggers)."""

    day = models.DateField()

    def __str__(self):
        return str(self.day)
