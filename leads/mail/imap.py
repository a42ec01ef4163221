"""The IMAP side of an inbound alias (standard library imaplib): log in, list the
unseen messages by UID, fetch one without marking it (BODY.PEEK[]), mark it \\Seen.
The caller marks a message only once it has stored it, so a poll that dies half-way
fetches the unmarked rest, and the one it stored but did not mark, again next time
(the store's Message-ID check makes that one a no-op). No database here."""

import imaplib
import re
import ssl
from dataclasses import dataclass

IMAP_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError)


class MailboxError(Exception):
    """The server refused, or the connection failed: the sentence says which."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"
    tls: bool = True
    # A CA bundle to trust instead of the system's (a private server's own CA).
    ca_file: str | None = None
    timeout: float = 30.0


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(result, what: str):
    status, data = result
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(
            "utf-8", errors="replace"
        )
        raise MailboxError(f"{what} refused: {detail or status}")
    return data


class Mailbox:
    """One session with an IMAP folder: `with Mailbox(settings) as box:`."""

    def __init__(self, settings: MailboxSettings):
        self.settings = settings
        self.conn = None

    def __enter__(self):
        s = self.settings
        try:
            if s.tls:
                context = ssl.create_default_context(cafile=s.ca_file or None)
                self.conn = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=context, timeout=s.timeout
                )
            else:
                # Plain IMAP: only where the alias says so (a local test server).
                self.conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
            _ok(self.conn.login(s.username, s.password), "Login")
            _ok(self.conn.select(_quoted(s.folder)), f"Opening {s.folder}")
        except IMAP_ERRORS as error:
            self._close()
            raise MailboxError(f"{s.host}:{s.port}: {error}") from error
        except MailboxError:
            self._close()
            raise
        return self

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self):
        if self.conn is None:
            return
        try:
            if self.conn.state == "SELECTED":
                self.conn.close()
            self.conn.logout()
        except IMAP_ERRORS:
            pass
        self.conn = None

    def unseen(self) -> list[str]:
        """UIDs of the folder's unseen messages, oldest first."""
        data = _ok(self.conn.uid("SEARCH", "UNSEEN"), "Search")
        uids = b" ".join(d for d in data if d).split()
        return sorted((u.decode() for u in uids), key=int)

    def fetch(self, uid: str) -> bytes | None:
        """The message's bytes, leaving it unseen; None when it is gone."""
        data = _ok(self.conn.uid("FETCH", uid, "(BODY.PEEK[])"), "Fetch")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_seen(self, uid: str) -> None:
        _ok(self.conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "Marking seen")

    def flags(self, uid: str) -> set[str]:
        """The message's flags (tests and diagnostics)."""
        data = _ok(self.conn.uid("FETCH", uid, "(FLAGS)"), "Fetch flags")
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
        match = re.search(r"FLAGS \(([^)]*)\)", text)
        return set(match.group(1).split()) if match else set()
