"""LeadSite settings for mail (sending and receiving), notifications, outbound
webhooks and the periodic jobs; leadsite/settings.py imports them. Configured by
environment variables, as the rest (README.md, "Configuration")."""

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
}

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

# --- Notifications (notifications/) -------------------------------------------------
# The site's address as emails link to it (e.g. https://crm.example.com, no trailing
# slash); empty: emails name pages by their path only.
LEADSITE_SITE_URL = env("LEADSITE_SITE_URL", default="").rstrip("/")
# A lead's owner is warned this many minutes before a routing rule's response time
# runs out and the lead is re-routed.
LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES = env.int(
    "LEADSITE_NOTIFICATIONS_DEADLINE_WARNING_MINUTES", default=60
)
