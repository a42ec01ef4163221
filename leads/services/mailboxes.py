"""Polling the IMAP mailboxes of the inbound aliases (the worker's `poll_mailboxes`
task, every two minutes: settings.LEADSITE_SCHEDULES).

Per alias: log in over TLS, list the unseen messages, and for each one fetch it
without marking it, store it (receive_message, which commits), and only then mark
it \\Seen. A worker killed between the two leaves the stored message unseen; the
next poll fetches it again and the store, finding its Message-ID, writes nothing
before marking it. A message that fails to store stays unseen for the next poll,
and the alias's last_error says why.
"""

from dataclasses import dataclass, field

from django.conf import settings

from leads.mail.imap import Mailbox, MailboxError, MailboxSettings
from leads.models import MailAlias
from leads.selectors.inbound import aliases_to_poll
from leads.services.inbound import receive_message, record_poll


@dataclass
class PollResult:
    stored: int = 0
    repeated: int = 0
    errors: list[str] = field(default_factory=list)


def mailbox_settings(alias: MailAlias) -> MailboxSettings:
    return MailboxSettings(
        host=alias.imap_host,
        port=alias.imap_port,
        username=alias.imap_username,
        password=alias.imap_password,
        folder=alias.imap_folder or "INBOX",
        tls=alias.imap_tls,
        ca_file=getattr(settings, "LEADSITE_IMAP_CA_FILE", "") or None,
        timeout=float(getattr(settings, "LEADSITE_IMAP_TIMEOUT", 30)),
    )


def poll_alias(*, alias: MailAlias, limit: int | None = None) -> PollResult:
    """Take up to `limit` (LEADSITE_IMAP_BATCH) unseen messages of the alias's
    mailbox, each stored then marked seen; record the poll on the alias."""
    limit = limit or int(getattr(settings, "LEADSITE_IMAP_BATCH", 50))
    result = PollResult()
    try:
        with Mailbox(mailbox_settings(alias)) as box:
            for uid in box.unseen()[:limit]:
                raw = box.fetch(uid)
                if raw is None:
                    continue
                try:
                    received = receive_message(raw=raw, transport="imap", alias=alias)
                except Exception as error:  # noqa: BLE001 - the next message goes on
                    result.errors.append(f"message {uid}: {error!r}"[:500])
                    continue
                if received.new:
                    result.stored += 1
                else:
                    result.repeated += 1
                box.mark_seen(uid)
    except MailboxError as error:
        result.errors.append(str(error))
    record_poll(alias=alias, error="\n".join(result.errors))
    return result


def poll_mailboxes() -> dict[str, PollResult]:
    """Poll every active alias that has a mailbox; address -> what its poll did."""
    return {alias.address: poll_alias(alias=alias) for alias in aliases_to_poll()}
