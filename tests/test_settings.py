"""Settings come from the environment: database URLs and timeouts, the trusted
proxy count and production switches."""

import json
import secrets
import subprocess
import sys

import pytest

from tests.support import BASE_DIR, clean_env, run_python

PRINT_DB = (
    "import json, leadsite.settings as s; "
    "d = s.DATABASES['default']; "
    "print(json.dumps({k: str(d.get(k, '')) for k in ('ENGINE', 'NAME', 'USER', "
    "'PASSWORD', 'HOST', 'PORT')}))"
)


def test_database_url_selects_postgresql():
    db = json.loads(run_python(PRINT_DB, DATABASE_URL="postgres://u:p@h:5433/db"))
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "db",
        "USER": "u",
        "PASSWORD": "p",
        "HOST": "h",
        "PORT": "5433",
    }


def test_default_database_is_the_sqlite_file():
    db = json.loads(run_python(PRINT_DB))
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(BASE_DIR / "db.sqlite3")


PRINT_OPTIONS = (
    "import leadsite.settings as s; "
    "print(s.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
)
PG = "postgres://postgres@127.0.0.1:5432/leadsite"


def test_postgresql_timeouts_come_from_the_environment():
    options = run_python(
        PRINT_OPTIONS,
        DATABASE_URL=PG,
        DJANGO_DB_STATEMENT_TIMEOUT_MS="15000",
        DJANGO_DB_LOCK_TIMEOUT_MS="4000",
    )
    assert "-c statement_timeout=15000" in options
    assert "-c lock_timeout=4000" in options
    defaults = run_python(PRINT_OPTIONS, DATABASE_URL=PG)
    assert "statement_timeout=20000" in defaults and "lock_timeout=10000" in defaults


def test_requests_plan_without_parallel_workers_unless_told():
    """A parallel plan's workers took 13-14 ms to start for a page's LIMIT 51 at
    ten million leads: web processes (and the bench) ask for none by default."""
    assert "-c max_parallel_workers_per_gather=0" in run_python(
        PRINT_OPTIONS, DATABASE_URL=PG
    )
    told = run_python(PRINT_OPTIONS, DATABASE_URL=PG, DJANGO_DB_PARALLEL_WORKERS="2")
    assert "-c max_parallel_workers_per_gather=2" in told


def test_the_sessions_of_requests_have_no_parallel_workers(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.parametrize(
    "value, count", [("False", 0), ("True", 1), ("1", 1), ("2", 2), ("", 0)]
)
def test_behind_proxy_setting_is_a_trusted_proxy_count(value, count):
    """DJANGO_BEHIND_PROXY is read as the number of trusted reverse proxies."""
    code = "import leadsite.settings as s; print(s.LEADSITE_TRUSTED_PROXIES)"
    assert run_python(code, DJANGO_BEHIND_PROXY=value).strip() == str(count)


def test_defaults_are_safe_for_a_laptop():
    out = run_python(
        "import leadsite.settings as s; "
        "print(s.DEBUG, s.SECRET_KEY.startswith('django-insecure-'), s.ALLOWED_HOSTS)"
    )
    assert out.strip() == "False True ['localhost', '127.0.0.1']"


def production_env():
    """The variables README.md ("Production") tells operators to set."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "False",
        "DJANGO_ALLOWED_HOSTS": "crm.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
        "DJANGO_SECURE_SSL_REDIRECT": "True",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "DJANGO_SECURE_HSTS_PRELOAD": "True",
        "DJANGO_SESSION_COOKIE_SECURE": "True",
        "DJANGO_CSRF_COOKIE_SECURE": "True",
    }


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_passes_with_the_documented_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_dev_defaults():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr


def test_readme_documents_every_production_variable():
    readme = (BASE_DIR / "README.md").read_text()
    production = readme.split("### Production", 1)[1]
    for name in production_env():
        assert name in production, name


def test_collectstatic_with_the_production_manifest_storage(settings, tmp_path):
    """Production serves hashed static files through whitenoise's manifest storage:
    every vendored file must survive post-processing (no dangling source maps)."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    for name in ["css/app.css", "vendor/htmx.min.js", "vendor/chart.umd.min.js"]:
        assert f'"{name}"' in manifest
