from django.db import models


class ScheduledRun(models.Model):
    """One due time of a periodic job that a scheduler has handled: its task queued
    for the worker, or joined to the job's previous run still waiting in the queue.
    Unique per job and due time, so several schedulers queue each run once."""

    job = models.CharField(max_length=100, help_text="The job's name in settings.")
    due_at = models.DateTimeField(help_text="The time its schedule named.")
    created_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The task result (worker queue) that runs it.",
    )
    joined = models.BooleanField(
        default=False,
        help_text="The job's previous run was still waiting in the queue: it runs "
        "for this time too, and nothing more was queued.",
    )

    class Meta:
        ordering = ["-due_at", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "due_at"], name="scheduling_one_run_per_due_time"
            )
        ]

    def __str__(self):
        return f"{self.job} at {self.due_at:%Y-%m-%d %H:%M}"
