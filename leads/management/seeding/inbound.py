"""Demo data for receiving mail: one inbound alias, for the North business unit,
that receives by a provider's webhook only (no IMAP mailbox). Idempotent."""

from leads.models import MailAlias

DEMO_ALIAS = "sales-north@inbound.example.com"


def build_inbound(ctx):
    """The demo's inbound alias: mail to it that answers no thread becomes a lead
    of North (routed as a captured lead)."""
    unit = ctx.units.get("North") or next(iter(ctx.units.values()))
    MailAlias.objects.get_or_create(
        address=DEMO_ALIAS, defaults={"business_unit": unit, "is_active": True}
    )
