"""One webhook pass now: fan out waiting events and send due deliveries.

The worker runs passes by itself (each change, retry and hold queues one); the
scheduler (`manage.py run_scheduler`) queues the same pass every five minutes as the
sweep that sends anything whose wake-up was lost, such as a change committed just
before its process died. This command runs one by hand."""

from django.core.management.base import BaseCommand

from webhooks.tasks import run_pass


class Command(BaseCommand):
    help = "Fan out waiting webhook events and send the deliveries that are due."

    def handle(self, *args, **options):
        result = run_pass()
        self.stdout.write(
            f"{result.dispatched} events fanned out, {result.sent} attempts, "
            f"{result.delivered} delivered."
        )
