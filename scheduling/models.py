from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """One due time of a periodic job that a scheduler has handled: its task queued
    for the worker, or joined to the job's previous run still waiting in the queue.
    Unique per job and due time, so several schedulers queue each run once."""

    job = models.CharField(
        _("job"), max_length=100, help_text=_("The job's name in settings.")
    )
    due_at = models.DateTimeField(
        _("due at"), help_text=_("The time its schedule named.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    task_id = models.CharField(
        _("task id"),
        max_length=64,
        blank=True,
        help_text=_("The task result (worker queue) that runs it."),
    )
    joined = models.BooleanField(
        _("joined"),
        default=False,
        help_text=_(
            "The job's previous run was still waiting in the queue: it runs "
            "for this time too, and nothing more was queued."
        ),
    )

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-due_at", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "due_at"], name="scheduling_one_run_per_due_time"
            )
        ]

    def __str__(self):
        return gettext("%(job)s at %(time)s") % {
            "job": self.job,
            "time": date_format(
                timezone.localtime(self.due_at), "SHORT_DATETIME_FORMAT"
            ),
        }
