"""Reading one raw inbound message (RFC 5322 bytes): who sent it, to whom, its
subject, its text, its attachments, the thread it answers, and whether a machine
sent it (an auto-reply or a bounce). Pure: no models, no database, no settings."""

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.utils.translation import gettext

MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
# Precedence values that mark mail nobody wrote by hand (RFC 3834 and practice).
MACHINE_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
# Where a message's recipients may be named: the envelope's copies first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMail:
    """What the services need of one message."""

    message_id: str
    sender_name: str
    sender_address: str
    sender_header: str
    recipients: list[str]
    to_header: str
    subject: str
    text: str
    in_reply_to: str
    references: list[str]
    size: int
    attachments: list[Attachment] = field(default_factory=list)
    # "auto_reply", "bounce" or "" (a person wrote it), and why.
    machine: str = ""
    machine_reason: str = ""


def synthetic_message_id(raw: bytes) -> str:
    """A stable Message-ID for a message that has none: the same bytes fetched or
    posted twice get the same one."""
    return f"<{hashlib.sha256(raw).hexdigest()}@inbound.leadsite.invalid>"


def message_ids(value: str) -> list[str]:
    """The <...> ids in a Message-ID, In-Reply-To or References header, in order."""
    return MESSAGE_ID_RE.findall(value or "")


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        # A header the parser cannot make sense of counts as absent.
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _addresses(message, name: str) -> list[tuple[str, str]]:
    values = []
    try:
        values = message.get_all(name) or []
    except (ValueError, IndexError, TypeError):
        return []
    return [
        (name_, address.strip().lower())
        for name_, address in getaddresses([str(value) for value in values])
        if "@" in address
    ]


class _Text(HTMLParser):
    """An HTML part's text, for a message without a plain one."""

    SKIP = {"script", "style", "head"}
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return content if part.get_content_subtype() == "plain" else html_text(content)


def _body_and_attachments(message) -> tuple[str, list[Attachment]]:
    body = message.get_body(preferencelist=("plain", "html"))
    text = _part_text(body).strip() if body is not None else ""
    attachments = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        content = part.get_payload(decode=True) or b""
        attachments.append(
            Attachment(
                filename=filename or "attachment",
                content_type=part.get_content_type(),
                content=content,
            )
        )
    return text, attachments


def machine_kind(message, *, return_path: str | None = None) -> tuple[str, str]:
    """("bounce" | "auto_reply" | "", the reason): a delivery report, a message from
    the mailer daemon or with an empty return path is a bounce; Auto-Submitted
    (other than "no"), X-Autoreply, X-Autorespond or a bulk/junk/list/auto_reply
    Precedence marks an auto-reply."""
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        report = (message.get_param("report-type") or "").lower()
        if report == "delivery-status":
            return "bounce", gettext("a delivery status report")
    sender = parseaddr(_header(message, "From"))[1].lower()
    if sender.partition("@")[0] in BOUNCE_SENDERS:
        return "bounce", gettext("from %(sender)s") % {"sender": sender}
    if return_path is None:
        return_path = message.get("Return-Path")
    if return_path is not None and str(return_path).strip() in ("", "<>"):
        return "bounce", gettext("an empty return path")
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply", f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(message, name):
            return "auto_reply", f"{name}: {_header(message, name)}"
    precedence = _header(message, "Precedence").lower()
    if precedence in MACHINE_PRECEDENCE:
        return "auto_reply", f"Precedence: {precedence}"
    return "", ""


def parse_message(
    raw: bytes, *, recipient: str = "", return_path: str | None = None
) -> InboundMail:
    """Read `raw`. `recipient`: the envelope recipient when the transport knows it
    (a provider's post); `return_path`: the envelope sender, "" for a bounce's
    empty one (None: read the Return-Path header)."""
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    ids = message_ids(_header(message, "Message-ID"))
    sender_name, sender_address = "", ""
    senders = _addresses(message, "From")
    if senders:
        sender_name, sender_address = senders[0]
    recipients = [recipient.strip().lower()] if recipient else []
    for name in RECIPIENT_HEADERS:
        recipients += [
            address
            for _, address in _addresses(message, name)
            if address not in recipients
        ]
    text, attachments = _body_and_attachments(message)
    machine, reason = machine_kind(message, return_path=return_path)
    return InboundMail(
        message_id=ids[0] if ids else synthetic_message_id(raw),
        sender_name=" ".join(sender_name.split()),
        sender_address=sender_address,
        sender_header=_header(message, "From"),
        recipients=recipients,
        to_header=_header(message, "To"),
        subject=_header(message, "Subject"),
        text=text,
        in_reply_to=(message_ids(_header(message, "In-Reply-To")) or [""])[0],
        references=message_ids(_header(message, "References")),
        size=len(raw),
        attachments=attachments,
        machine=machine,
        machine_reason=reason,
    )


def reply_token(recipients: list[str], reply_address: str) -> str:
    """The token of the first recipient of the form LOCAL+TOKEN@DOMAIN, where
    LOCAL@DOMAIN is `reply_address`; "" when none is."""
    local, _, domain = reply_address.strip().lower().rpartition("@")
    if not local or not domain:
        return ""
    pattern = re.compile(
        rf"^{re.escape(local)}\+([A-Za-z0-9_-]{{8,64}})@{re.escape(domain)}$",
        re.IGNORECASE,
    )
    for address in recipients:
        match = pattern.match(address.strip())
        if match:
            return match.group(1)
    return ""


def split_name(name: str, address: str) -> tuple[str, str]:
    """(first name, last name) from a display name; with none, the last name is
    the address's local part."""
    name = " ".join((name or "").replace('"', " ").split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip()[:50], last.strip()[:50] or address[:50]
    first, _, last = name.rpartition(" ")
    if not last:
        return "", (name or address.partition("@")[0] or address)[:50]
    return first[:50], last[:50]


def parse_rate(value: str) -> tuple[int, int]:
    """("20/h" | "100/d" | "5/m" | "30/10m") -> (count, seconds); count 0: off."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", value or "")
    if not match:
        raise ValueError(f"A rate is COUNT/PERIOD, such as 20/h, not {value!r}.")
    count, times, unit = match.groups()
    return int(count), int(times or 1) * units[unit]


def cut_text(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to `limit` characters (and whether it was)."""
    if len(text) <= limit:
        return text, False
    return text[:limit], True
