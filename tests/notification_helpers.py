"""Helpers the notification tests share (tests/test_notifications*.py)."""

import contextlib
import datetime
import socket

from aiosmtpd.controller import Controller

from leads.models import LeadSource
from notifications.models import Notification
from tests import factories

WEB = [{"field": "source", "op": "in", "value": [LeadSource.WEB]}]
H = datetime.timedelta(hours=1)
M = datetime.timedelta(minutes=1)


def told(user, kind=None):
    """The user's notifications (of `kind`), oldest first."""
    found = Notification.objects.filter(user=user).order_by("created_at", "id")
    return list(found.filter(kind=kind) if kind else found)


def web_lead(owner, **kwargs):
    return factories.LeadFactory(
        owner_user=owner,
        business_unit=owner.business_unit,
        source=LeadSource.WEB,
        **kwargs,
    )


def to_user_rule(user, **kwargs):
    return factories.RoutingRuleFactory(
        name=kwargs.pop("name", "Web to one"),
        conditions=kwargs.pop("conditions", WEB),
        target_user=user,
        **kwargs,
    )


# --- A real SMTP server for the tests that send mail (aiosmtpd) ------------------------


class SmtpCollector:
    """An aiosmtpd handler keeping every envelope it accepts (.messages); while
    .refuse is set it answers the DATA with a temporary failure instead."""

    def __init__(self):
        self.messages = []
        self.refuse = ""

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.messages.append(envelope)
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_server():
    """Run a real SMTP server on 127.0.0.1; yields (collector, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    collector = SmtpCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    """Point Django's SMTP backend at 127.0.0.1:`port`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def free_port() -> int:
    """A local port nobody listens on (a refused connection)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
