"""Apply the retention policy now, or count what it would do.

    python manage.py apply_retention [--dry-run]

The scheduler runs it nightly (settings.LEADSITE_SCHEDULES, "apply_retention");
administrators set the periods on /privacy/retention/. A real run writes a row to
the retention log (RetentionRun); a dry run changes nothing and writes nothing.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from privacy.models import RetentionKind, RunTrigger
from privacy.selectors import retention as reading
from privacy.services import retention


class Command(BaseCommand):
    help = "Apply the retention policy (or, with --dry-run, count what would go)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count per kind what a run would remove, changing nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            counts = reading.preview_retention()
        else:
            counts = retention.apply_retention(trigger=RunTrigger.COMMAND).counts
        if not counts:
            self.stdout.write(_("No retention period is set: everything is kept."))
            return
        line = (
            _("%(kind)s: %(done)s to go, %(held)s held")
            if dry_run
            else _("%(kind)s: %(done)s done, %(held)s held")
        )
        for kind, numbers in counts.items():
            self.stdout.write(line % {"kind": RetentionKind(kind).label, **numbers})
        if dry_run:
            self.stdout.write(self.style.SUCCESS(_("Dry run: nothing was changed.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Retention applied.")))
