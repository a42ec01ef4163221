"""LeadSite settings: one module, configured by environment variables.

Production differs from development only in the values of the variables read here
(see README.md, "Configuration").
"""

import sys
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-dev-only-key-change-me-in-production",
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_fsm",
    "django_fsm_log",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "leads",
    "webhooks",
    "scheduling",
    "notifications",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: oversized or unreadable uploads.
    "leadsite.core.middleware.RequestBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language ...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ... unless the signed-in user chose one; and the user's time zone.
    "leadsite.core.middleware.UserLocaleMiddleware",
    # Cache-Control: private, no-store on every signed-in response.
    "leadsite.core.middleware.PrivatePagesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Deadlocks and lock/statement timeouts: a "try again" page, not a 500.
    "leadsite.core.middleware.TransientDatabaseErrorMiddleware",
]

ROOT_URLCONF = "leadsite.urls"
WSGI_APPLICATION = "leadsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE and LANGUAGES (<html lang>, the language switcher).
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "notifications.context_processors.notifications",
            ],
        },
    },
    # The tables a page repeats by the hundred and the badges they share
    # (leadsite/core/jinja.py): templates/jinja2/, rendered by Jinja2.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        # gettext through Django's catalogs: {{ _("...") }}, {% trans %}.
        "OPTIONS": {"environment": "leadsite.core.jinja.environment"},
    },
]

# SQLite file by default; DATABASE_URL=postgres://... for PostgreSQL.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"].setdefault(
    "CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0)
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a db_worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# Management commands other than runserver (migrate, seed_demo, db_worker) may run
# long statements on purpose; web processes (gunicorn, runserver, tests) may not.
_MANAGEMENT_COMMAND = Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] != [
    "runserver"
]
# Web processes: statement and lock timeouts; they and `bench`: no parallel workers
# (leadsite/settings_db.py, session_settings).
from leadsite.settings_db import session_settings  # noqa: E402

session_settings(
    DATABASES["default"],
    web=not _MANAGEMENT_COMMAND,
    timed=not _MANAGEMENT_COMMAND or sys.argv[1:2] == ["bench"],
)
# /healthz calls the database slow when SELECT 1 takes longer than this, or when a
# query has waited on a row lock longer than the lock-wait threshold.
LEADSITE_HEALTHZ_DB_TIMEOUT_MS = env.int("LEADSITE_HEALTHZ_DB_TIMEOUT_MS", default=2000)
LEADSITE_HEALTHZ_LOCK_WAIT_SECONDS = env.int(
    "LEADSITE_HEALTHZ_LOCK_WAIT_SECONDS", default=5
)

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Languages (README "Languages"): English is the source; the page's language is
# the user's own (User.language), else the switcher's cookie, else the browser's
# Accept-Language (leadsite.core.middleware.UserLocaleMiddleware after Django's
# LocaleMiddleware). Each language is named in itself in the pickers.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "leadsite_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# One date and time format per language (leadsite/formats/<language>/formats.py).
# Numbers are grouped where a template or display helper asks for it (intcomma,
# floatformat "g"), not everywhere: ids and years stay ungrouped.
FORMAT_MODULE_PATH = ["leadsite.formats"]
# The site's time zone, and each user's until they pick their own (User.time_zone).
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Attachments: size limit in bytes (default 5 MiB). A request body above it plus
# 1 MiB for the form's other fields is refused from its Content-Length, before any
# of it is read (leadsite.core.middleware.RequestBodyMiddleware), except on a view that
# takes larger files (leadsite.core.middleware.takes_uploads: the import upload).
LEADSITE_MAX_UPLOAD_SIZE = env.int("LEADSITE_MAX_UPLOAD_SIZE", default=5 * 1024 * 1024)
# Form fields (not files) read into memory; files above 1 MiB go to a temp file
# (in DJANGO_FILE_UPLOAD_TEMP_DIR, default the system's), removed at request end.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2621440
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = env("DJANGO_FILE_UPLOAD_TEMP_DIR", default=None)
# Owner of leads that no rule routes (username); empty means the creating user.
LEADSITE_FALLBACK_OWNER = env("LEADSITE_FALLBACK_OWNER", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background tasks: rows in the database, run by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env(
            "DJANGO_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"
        ),
    }
}

# Security switches: safe defaults for local HTTP; production turns them on.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=False)
# DJANGO_BEHIND_PROXY: False/0 (no proxy), True/1 or the number of reverse proxies
# in front of the app that append to X-Forwarded-For (e.g. 2: a load balancer and
# nginx). It trusts X-Forwarded-Proto and gives the login lockout the real client
# address (leadsite.core.http.client_ip).
_behind_proxy = env("DJANGO_BEHIND_PROXY", default="False").strip().lower()
LEADSITE_TRUSTED_PROXIES = (
    int(_behind_proxy)
    if _behind_proxy.isdigit()
    else int(_behind_proxy in ("true", "yes", "on"))
)
if LEADSITE_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}

# --- The REST API (/api/, docs/api.md) ---------------------------------------------
# Session authentication (CSRF enforced) for the browser; every endpoint needs a
# signed-in user. Errors are problem details (leadsite.core.api).
# The API: personal tokens (Authorization: Bearer ls_...) first, so an anonymous
# caller gets 401 with WWW-Authenticate; the browser's session (with CSRF) second.
# A read-only token may only read; each token (else user, else address) is
# throttled at LEADSITE_API_RATE through the default cache.
LEADSITE_API_RATE = env("LEADSITE_API_RATE", default="600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_PAGINATION_CLASS": "leadsite.core.api.KeysetPagination",
    "EXCEPTION_HANDLER": "leadsite.core.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadSite API",
    "DESCRIPTION": "Leads, their customers and opportunities, routing, imports, "
    "reports and webhooks, through the same services and record scope as the pages "
    "(docs/api.md in the repository).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # `?fields=a,b` (leadsite.core.api.FieldsMixin) leaves the other fields out of a
    # GET's answer, so a read-only field is not promised in every answer.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from drf-spectacular-sidecar (static files, no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from validator.swagger.io (the CSP allows this site only).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # One name per choice set shared by several resources.
    "ENUM_NAME_OVERRIDES": {
        "ActivityKindEnum": "leads.models.ActivityKind",
        "ActivityDirectionEnum": "leads.models.Direction",
        "ImportStatusEnum": "leads.models.ImportStatus",
        "LeadSourceEnum": "leads.models.LeadSource",
        "ReportLineKindEnum": ["source", "campaign", "total"],
    },
    # Every operation documents the problems it may answer (leadsite/core/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leadsite.core.api_schema.add_problem_responses",
        "leadsite.core.api_schema.allow_blank_formats",
    ],
}

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "leadsite.core.http.client_ip"
AXES_RESET_ON_SUCCESS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env("DJANGO_LOG_LEVEL", default="WARNING"),
    },
}

# --- Many app servers ---------------------------------------------------------------
# PostgreSQL connections persist across requests (one per gunicorn thread) and are
# checked before reuse, so a restarted database costs one failed check, not a 500.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
        "DJANGO_CONN_HEALTH_CHECKS", default=True
    )
    # Choice lists and .iterator() read small results: one round trip each instead
    # of DECLARE/FETCH/CLOSE, and safe behind a transaction-pooling PgBouncer.
    DATABASES["default"].setdefault("DISABLE_SERVER_SIDE_CURSORS", True)
# A read replica: with DATABASE_REPLICA_URL set, report and export reads go there
# (leadsite/core/replicas.py; everything else, and every write, stays on the primary).
# Test runs (pytest) always have the alias as a MIRROR of the test database, so the
# router's choices are exercised against both aliases; reads reach it only where
# LEADSITE_REPLICA_READS is on (by default: when a replica URL is set).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL or env("PYTEST_VERSION", default=""):
    DATABASES["replica"] = (
        env.db_url("DATABASE_REPLICA_URL")
        if DATABASE_REPLICA_URL
        else dict(DATABASES["default"])
    )
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS"):
        if _key in DATABASES["default"]:
            DATABASES["replica"].setdefault(_key, DATABASES["default"][_key])
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["replica"].get("OPTIONS", {}))
    if DATABASE_REPLICA_URL and "postgresql" in DATABASES["replica"]["ENGINE"]:
        # A replica that does not answer costs one short wait, then is skipped for
        # LEADSITE_REPLICA_RETRY_SECONDS: reads go to the primary meanwhile.
        DATABASES["replica"]["OPTIONS"].setdefault(
            "connect_timeout", env.int("LEADSITE_REPLICA_CONNECT_TIMEOUT", default=2)
        )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["leadsite.core.replicas.ReplicaRouter"]
LEADSITE_REPLICA_READS = env.bool(
    "LEADSITE_REPLICA_READS", default=bool(DATABASE_REPLICA_URL)
)
# A replica whose replay is further behind than this (while it has WAL to replay)
# is skipped: reports read from the primary.
LEADSITE_REPLICA_MAX_LAG_SECONDS = env.float(
    "LEADSITE_REPLICA_MAX_LAG_SECONDS", default=30
)
LEADSITE_REPLICA_RETRY_SECONDS = env.float("LEADSITE_REPLICA_RETRY_SECONDS", default=10)
# How long a browser's last write holds its reports to a replica that replayed it.
LEADSITE_REPLICA_RYW_SECONDS = env.int("LEADSITE_REPLICA_RYW_SECONDS", default=300)
# URL prefixes whose GET requests read from the replica: reports and exports.
LEADSITE_REPLICA_PATHS = ["/reports/", "/leads/export/"]
MIDDLEWARE.append("leadsite.core.replicas.ReplicaReadsMiddleware")

# Organisation currency (ISO 4217 code) shown beside every amount.
LEADSITE_CURRENCY = env("LEADSITE_CURRENCY", default="USD")

# Change history (django-simple-history): read-only; records change through services.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Getting leads in and out --------------------------------------------------------
# Largest import file in bytes (default 50 MiB); bigger files are refused at upload
# (the import upload URL takes bodies up to this plus 1 MiB).
LEADSITE_IMPORT_MAX_SIZE = env.int("LEADSITE_IMPORT_MAX_SIZE", default=50 * 1024 * 1024)
# Imports are read by the worker, which refuses a file at the first limit
# passed: columns, data rows, a workbook's unpacked size and its unpacked/packed
# ratio (both from its zip directory, before anything is unpacked).
LEADSITE_IMPORT_MAX_COLUMNS = env.int("LEADSITE_IMPORT_MAX_COLUMNS", default=200)
LEADSITE_IMPORT_MAX_ROWS = env.int("LEADSITE_IMPORT_MAX_ROWS", default=200_000)
LEADSITE_IMPORT_MAX_UNPACKED_SIZE = env.int(
    "LEADSITE_IMPORT_MAX_UNPACKED_SIZE", default=1024 * 1024 * 1024
)
LEADSITE_IMPORT_MAX_COMPRESSION_RATIO = env.int(
    "LEADSITE_IMPORT_MAX_COMPRESSION_RATIO", default=100
)
# Exports: an XLSX export of more leads than this is built in the
# background by the worker (`manage.py db_worker`) with a progress page; smaller ones
# download at once. Built files are removed this many hours after they are ready.
LEADSITE_EXPORT_DIRECT_MAX_ROWS = env.int(
    "LEADSITE_EXPORT_DIRECT_MAX_ROWS", default=5000
)
LEADSITE_EXPORT_RETENTION_HOURS = env.int("LEADSITE_EXPORT_RETENTION_HOURS", default=24)
# Hosts a capture form may redirect visitors to besides this site (comma-separated).
LEADSITE_CAPTURE_REDIRECT_HOSTS = env.list(
    "LEADSITE_CAPTURE_REDIRECT_HOSTS", default=[]
)
# Origins that may frame the public capture form (CSP frame-ancestors), e.g.
# https://www.example.com; empty: no framing.
LEADSITE_CAPTURE_FRAME_ANCESTORS = env.list(
    "LEADSITE_CAPTURE_FRAME_ANCESTORS", default=[]
)
# Rate limits of capture-form POSTs (django-ratelimit, on the default cache: use
# CACHE_URL=redis://... so the limits hold across app servers).
LEADSITE_CAPTURE_RATE_PER_IP = env("LEADSITE_CAPTURE_RATE_PER_IP", default="10/m")
LEADSITE_CAPTURE_RATE_PER_FORM = env("LEADSITE_CAPTURE_RATE_PER_FORM", default="120/m")
RATELIMIT_USE_CACHE = "default"
# The rate limits' "ip" key is the same client address as the login lockout's:
# behind DJANGO_BEHIND_PROXY proxies, the client's entry of X-Forwarded-For.
RATELIMIT_IP_META_KEY = "leadsite.core.http.client_ip"
# A capture form framed by another site posts cross-site: browsers then send the CSRF
# cookie only with SameSite=None (and CSRF_COOKIE_SECURE=True, over HTTPS).
CSRF_COOKIE_SAMESITE = env("DJANGO_CSRF_COOKIE_SAMESITE", default="Lax")

# Mail, notifications, webhooks and the periodic jobs: leadsite/settings_mail.py;
# a connection pool instead of one connection per thread: leadsite/settings_db.py.
from leadsite.settings_db import bind_on_server, pool_connections  # noqa: E402
from leadsite.settings_mail import *  # noqa: E402, F403

pool_connections(DATABASES)
bind_on_server(DATABASES)
