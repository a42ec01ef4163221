"""Inbound mail by a provider's webhook: Mailgun's inbound route ("forward" to
`/inbound/email/mailgun/`), through django-anymail.

Anymail's view checks the post's signature (HMAC-SHA256 of timestamp + token with
ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]) and answers 400 to an unsigned or wrongly
signed post; this view also refuses a replay (a timestamp further than
LEADSITE_INBOUND_WEBHOOK_MAX_AGE from now, or a token already stored with a
message). A valid post reaches anymail's `inbound` signal, and the receiver below
hands the message to receive_message. No login, no CSRF token: the signature is
the credential. Without a signing key configured the address answers 404.
"""

import time

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import inbound
from anymail.utils import get_anymail_setting
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.dispatch import receiver
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

from leads.selectors.inbound import alias_for_address, webhook_token_seen
from leads.services.inbound import receive_message


class MailgunInboundView(MailgunInboundWebhookView):
    def run_validators(self, request):
        # The signature first: an unsigned post is refused before anything is read.
        super().run_validators(request)
        try:
            timestamp = int(request.POST.get("timestamp", ""))
        except ValueError:
            raise AnymailWebhookValidationFailure("Bad timestamp.") from None
        max_age = getattr(settings, "LEADSITE_INBOUND_WEBHOOK_MAX_AGE", 900)
        if abs(time.time() - timestamp) > max_age:
            raise AnymailWebhookValidationFailure("A stale or replayed post.")
        if webhook_token_seen(request.POST.get("token", "")):
            raise AnymailWebhookValidationFailure("A replayed post.")


def _configured() -> bool:
    key = get_anymail_setting(
        "webhook_signing_key", esp_name="Mailgun", default=None, allow_bare=False
    )
    return bool(key)


_view = MailgunInboundView.as_view()


@csrf_exempt
@login_not_required
def mailgun_inbound(request, *args, **kwargs):
    if not _configured():
        raise Http404("Inbound mail by Mailgun is not configured.")
    return _view(request, *args, **kwargs)


@receiver(inbound, sender=MailgunInboundView, dispatch_uid="leads.inbound.mailgun")
def store_inbound(sender, event, esp_name, **kwargs):
    """One posted message: its envelope recipient names the alias; stored (or
    found stored) by its Message-ID."""
    message = event.message
    recipient = message.envelope_recipient or ""
    receive_message(
        raw=message.as_bytes(),
        transport="webhook",
        alias=alias_for_address(recipient),
        recipient=recipient,
        return_path=message.envelope_sender,
        webhook_token=event.event_id,
    )
