"""Inbound mail in tests: raw messages as mail clients send them, and a private
Dovecot IMAP server (Debian's dovecot-imapd, installed by .ci/run) on a free
loopback port, with its own config, a passwd-file user, a maildir in a temp dir,
and TLS with a self-signed certificate made for the run (openssl)."""

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER, IMAP_PASSWORD = "inbox", "inbox-secret"


def build_mail(
    *,
    sender="Jane Doe <jane@customer.example>",
    to="sales@inbound.example.com",
    subject="Pricing for 40 seats",
    body="Hello, could you send me your prices?",
    message_id: str | None = "",
    headers: dict | None = None,
    attachments=(),
) -> bytes:
    """A message's bytes. message_id "" makes one; None leaves it out."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    if message_id is not None:
        message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=filename
        )
    return message.as_bytes()


def bounce_mail(*, original_message_id: str) -> bytes:
    """A delivery status report from the mailer daemon, as MTAs send them."""
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.customer.example>"
    report["To"] = "sales@inbound.example.com"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.customer.example")
    report.set_content("Your message could not be delivered.")
    report.add_attachment(
        "Reporting-MTA: dns; mx.customer.example\n\nFinal-Recipient: rfc822; x@y\n"
        "Action: failed\nStatus: 5.1.1\n",
        subtype="delivery-status",
    )
    report.replace_header("Content-Type", "multipart/report")
    report.set_param("report-type", "delivery-status")
    report["In-Reply-To"] = original_message_id
    return report.as_bytes()


def dovecot_missing_reason() -> str | None:
    if not os.path.exists(DOVECOT):
        return "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)"
    if not shutil.which("openssl"):
        return "openssl is not installed (needed for the test server's certificate)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    host: str
    port: int
    ca_file: str
    username: str = IMAP_USER
    password: str = IMAP_PASSWORD

    def client(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=self.ca_file)
        conn = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=10)
        conn.login(self.username, self.password)
        conn.select("INBOX")
        return conn

    def deliver(self, *messages: bytes) -> None:
        """Put messages in the inbox, unseen (IMAP APPEND, as a delivery agent
        would leave them in the maildir)."""
        conn = self.client()
        try:
            for raw in messages:
                status, _ = conn.append("INBOX", "", None, raw)
                assert status == "OK"
        finally:
            conn.logout()

    def flags(self) -> list[set[str]]:
        """Each message's flags, in order."""
        conn = self.client()
        try:
            _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        finally:
            conn.logout()
        found = []
        for item in data:
            if isinstance(item, bytes) and b"FLAGS (" in item:
                inner = item.split(b"FLAGS (")[1].split(b")")[0]
                found.append(set(inner.decode().split()))
        return found


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain
disable_plaintext_auth = yes
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, gid): Dovecot's own accounts when run
    as root (Debian's package makes them), else the current user for everything."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


@contextlib.contextmanager
def dovecot_server():
    """A running private Dovecot with one user and an empty inbox; stopped and
    removed after. Its directory is its own (not pytest's tmp_path, whose parents
    Dovecot's unprivileged processes may not enter)."""
    root = Path(tempfile.mkdtemp(prefix="leadsite-dovecot-"))
    try:
        with _running(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _running(root: Path):
    for name in ("run", "state", "mail"):
        (root / name).mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(root / "key.pem"),
            "-out",
            str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    login_user, internal_user, uid, gid = _users()
    home = root / "mail" / IMAP_USER
    home.mkdir(exist_ok=True)
    os.chown(home, uid, gid)
    (root / "passwd").write_text(f"{IMAP_USER}:{IMAP_PASSWORD}:{uid}:{gid}::{home}::\n")
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root, port=port, login_user=login_user, internal_user=internal_user
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(host="127.0.0.1", port=port, ca_file=str(root / "cert.pem"))
    try:
        _wait_until_listening(process, server, root)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_until_listening(process, server: Dovecot, root: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (
                (root / "dovecot.log").read_text()
                if (root / "dovecot.log").exists()
                else ""
            )
            raise RuntimeError(
                f"dovecot exited: {process.stderr.read().decode()}\n{log}"
            )
        try:
            with socket.create_connection((server.host, server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not start listening within 30 s")
