"""LeadSite settings for mail (sending and receiving), notifications, outbound
webhooks and the periodic jobs; leadsite/settings.py imports them. Configured by
environment variables, as the rest (README.md, "Configuration")."""

import json
import os

import environ

env = environ.Env()

# --- Sending email -------------------------------------------
# EMAIL_URL (django-environ): smtp://user:password@host:25, smtp+tls://...:587
# (STARTTLS), smtp+ssl://...:465, consolemail:// (printed: the default),
# filemail:///path/to/dir, memorymail://, dummymail://. Quote the user and password
# (%40 for @). DJANGO_EMAIL_BACKEND, when set, still names the backend.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default=_email["EMAIL_BACKEND"])
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LeadSite <leadsite@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


# Providers through django-anymail, by configuration alone: name the backend with
# DJANGO_EMAIL_BACKEND (anymail.backends.mailgun.EmailBackend, ...postmark...,
# ...amazon_ses..., ...) and give its settings as ANYMAIL_<NAME> variables, which
# become ANYMAIL["<NAME>"]: ANYMAIL_MAILGUN_API_KEY=... ANYMAIL_MAILGUN_SENDER_DOMAIN=...
# true/false (yes/no, on/off) become booleans, a value starting with { or [ is JSON.
def _anymail_value(raw: str):
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if raw.lstrip()[:1] in ("{", "["):
        return json.loads(raw)
    return raw


ANYMAIL = {
    name.removeprefix("ANYMAIL_"): _anymail_value(value)
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and len(name) > len("ANYMAIL_")
}

# --- Email from the record (leads/services/emails.py, README "Email — sending") ------
# Replies come back to LOCAL+TOKEN@DOMAIN of this address (each message's own
# unguessable token, which the inbound side matches); the Message-ID's domain.
LEADSITE_REPLY_ADDRESS = env("LEADSITE_REPLY_ADDRESS", default="replies@localhost")
LEADSITE_MESSAGE_ID_DOMAIN = env(
    "LEADSITE_MESSAGE_ID_DOMAIN",
    default=LEADSITE_REPLY_ADDRESS.rpartition("@")[2] or "localhost",
)
# Retries of a failed send: base × 2^(n−1) seconds after the n-th failure, at most
# the maximum; after the last attempt the email is Failed (with the reason) until
# someone presses "Try again". A refusal by the server (5xx, an address refused) is
# not tried again.
LEADSITE_EMAIL_MAX_ATTEMPTS = env.int("LEADSITE_EMAIL_MAX_ATTEMPTS", default=5)
LEADSITE_EMAIL_RETRY_BASE_SECONDS = env.float(
    "LEADSITE_EMAIL_RETRY_BASE_SECONDS", default=60.0
)
LEADSITE_EMAIL_RETRY_MAX_SECONDS = env.float(
    "LEADSITE_EMAIL_RETRY_MAX_SECONDS", default=3600.0
)

# Periodic jobs: `manage.py run_scheduler` (scheduling/) queues each job's task for
# the worker at the times its cron expression names (minute hour day month weekday,
# in TIME_ZONE), once however many schedulers run; a time missed is caught up once.
LEADSITE_SCHEDULES = {
    "reroute_overdue": {"cron": "*/15 * * * *", "task": "leads.tasks.reroute_overdue"},
    # The sweep: sends whatever a lost wake-up left waiting (webhooks/tasks.py).
    "deliver_webhooks": {
        "cron": "*/5 * * * *",
        "task": "webhooks.tasks.deliver_webhooks",
    },
    # Nightly: each lead's trend compares its nightly scores a week apart.
    "rebuild_scores": {
        "cron": "0 2 * * *",
        "task": "leads.tasks.scheduled_score_rebuild",
    },
    # Notifications: reminders (activities due, response deadlines coming up) and
    # the emails waiting to go at once; the daily digest email.
    "notification_reminders": {
        "cron": "*/15 * * * *",
        "task": "notifications.tasks.send_reminders",
    },
    "notification_digest": {
        "cron": "0 7 * * *",
        "task": "notifications.tasks.send_digest",
    },
    # Email from the record: sends what a lost task or a dead worker left queued.
    "send_queued_emails": {
        "cron": "*/5 * * * *",
        "task": "leads.tasks.send_queued_emails",
    },
    # Receiving: the inbound aliases' IMAP mailboxes (leads/services/mailboxes.py).
    "poll_mailboxes": {
        "cron": "*/2 * * * *",
        "task": "leads.tasks.poll_mailboxes",
    },
    # Consent: double opt-ins left unconfirmed past LEADSITE_CONSENT_CONFIRMATION_DAYS
    # are flagged on their record (leads/services/consent.py).
    "flag_unconfirmed_consents": {
        "cron": "30 3 * * *",
        "task": "leads.tasks.flag_unconfirmed_consents",
    },
    # The source report's summary: days a bulk load or a busy spell left marked,
    # recomputed by the worker (a report read queues it at once when it finds them).
    "refresh_source_report": {
        "cron": "*/10 * * * *",
        "task": "leads.reports.freshness.refresh_source_report",
    },
    # Imports whose worker died mid-way go on in another (leads.tasks.resume_stalled).
    "resume_stalled_imports": {
        "cron": "* * * * *",
        "task": "leads.tasks.resume_stalled",
    },
    # Privacy: the retention policy, applied nightly (privacy/services/retention.py).
    "apply_retention": {
        "cron": "0 4 * * *",
        "task": "privacy.tasks.apply_retention",
    },
}

# --- Consent (leads/services/consent.py, README "Privacy — consent") ---------------
# A double opt-in link works for this many days; a consent still unconfirmed after
# them is flagged by the daily job.
LEADSITE_CONSENT_CONFIRMATION_DAYS = env.int(
    "LEADSITE_CONSENT_CONFIRMATION_DAYS", default=7
)

# --- Receiving email (leads/services/inbound.py, README "Email — receiving") -------
# Per sender, at most COUNT messages per PERIOD (20/h, 100/d, 5/10m; 0/h: no
# limit); the rest are logged and dropped (floods, mail loops).
LEADSITE_INBOUND_RATE_PER_SENDER = env(
    "LEADSITE_INBOUND_RATE_PER_SENDER", default="20/h"
)
# A message over this many bytes keeps its text (cut) and a note of what was dropped.
LEADSITE_INBOUND_MAX_SIZE = env.int(
    "LEADSITE_INBOUND_MAX_SIZE", default=10 * 1024 * 1024
)
# A provider's signed inbound post older (or newer) than this many seconds is
# refused as a replay, as is a post whose token was seen before.
LEADSITE_INBOUND_WEBHOOK_MAX_AGE = env.int(
    "LEADSITE_INBOUND_WEBHOOK_MAX_AGE", default=900
)
# IMAP: a CA bundle to trust instead of the system's (a private server's own CA);
# seconds to wait for the server; messages taken per alias per poll.
LEADSITE_IMAP_CA_FILE = env("LEADSITE_IMAP_CA_FILE", default="")
LEADSITE_IMAP_TIMEOUT = env.float("LEADSITE_IMAP_TIMEOUT", default=30.0)
LEADSITE_IMAP_BATCH = env.int("LEADSITE_IMAP_BATCH", default=50)

# --- Outbound webhooks (webhooks/, README "Webhooks") -------------------------------
# Receivers on private, loopback or link-local addresses are refused unless this is
# on (tests and local receivers only).
LEADSITE_WEBHOOKS_ALLOW_PRIVATE = env.bool(
    "LEADSITE_WEBHOOKS_ALLOW_PRIVATE", default=False
)
# Seconds to connect, and again to read the answer, per attempt.
LEADSITE_WEBHOOKS_TIMEOUT = env.float("LEADSITE_WEBHOOKS_TIMEOUT", default=5.0)
# Retries: base × 2^(n−1) seconds after the n-th failure, at most the maximum; a
# delivery gives up after the last attempt (15 attempts span about a day).
LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS = env.float(
    "LEADSITE_WEBHOOKS_RETRY_BASE_SECONDS", default=10.0
)
LEADSITE_WEBHOOKS_RETRY_MAX_SECONDS = env.float(
    "LEADSITE_WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 3600.0
)
LEADSITE_WEBHOOKS_MAX_ATTEMPTS = env.int("LEADSITE_WEBHOOKS_MAX_ATTEMPTS", default=15)
# A subscription with nothing but failures for this long is paused, its owner told.
LEADSITE_WEBHOOKS_PAUSE_AFTER_HOURS = env.float(
    "LEADSITE_WEBHOOKS_PAUSE_AFTER_HOURS", default=24.0
)
# After "Rotate secret", deliveries are signed with the old secret too for this long.
LEADSITE_WEBHOOKS_SECRET_OVERLAP_HOURS = env.float(
    "LEADSITE_WEBHOOKS_SECRET_OVERLAP_HOURS", default=24.0
)

# --- Privacy: retention and the export log (privacy/, README "Privacy") -------------
# A read through an API list (lead, account, contact, opportunity) is logged as an
# export once it has returned this many rows, in one page or following `next` links.
LEADSITE_EXPORT_LOG_API_ROWS = env.int("LEADSITE_EXPORT_LOG_API_ROWS", default=500)
# Records a retention run handles per transaction.
LEADSITE_RETENTION_BATCH = env.int("LEADSITE_RETENTION_BATCH", default=1000)

# --- Notifications (notifications/) -------------------------------------------------
# The site's address as emails link to it (e.g. https://crm.example.com, no trailing
# slash); empty: emails name pages by their path only.
LEADSITE_SITE_URL = env("LEADSITE_SITE_URL", default="").rstrip("/")
# A lead's owner is warned this many minutes before a routing rule's response time
# runs out and the lead is re-routed.
LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES = env.int(
    "LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES", default=60
)
