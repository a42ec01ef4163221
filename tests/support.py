"""Helpers that several test modules share (shared fixtures are in conftest.py):
what a browser posts back for a rendered form, every row of the app tables, calls on
concurrent PostgreSQL connections, Python run with a given environment, and leads
made at a given moment (the source report's figures)."""

import datetime
import html as htmlmod
import os
import re
import subprocess
import sys
import threading
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, connections

from accounts.permissions import (
    ADMINISTRATOR,
    PRIVACY_OFFICER,
    SALES_MANAGER,
    SALES_REP,
)
from leads.models import DuplicateRule, LeadState, LeadStatus
from leads.roles import sync_roles
from tests import factories

BASE_DIR = Path(__file__).resolve().parent.parent

# --- what a browser posts -------------------------------------------------------------

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def browser_post_data(html: str, form) -> dict:
    """The unchanged form as a browser posts it: each field's value, a select only
    with a value among its rendered options (else ""), plus every hidden input
    (the version and the values the form was loaded with)."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            value = ""
        if hasattr(bound.field, "queryset") and value != "":
            if not re.search(rf'<option value="{value}"[^>]*selected', html):
                value = ""
        data[bound.html_name] = value
    for name, value in HIDDEN.findall(html):
        if name != "csrfmiddlewaretoken":
            data[name] = htmlmod.unescape(value)
    return data


def change_form_data(client, url):
    """The page and what the browser would post back for an unchanged admin form."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value.pk if hasattr(value, "pk") else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for key, value in management.initial.items():
            data[f"{management.prefix}-{key}"] = value
    return response, data


def lead_post_data(**overrides):
    """A valid lead form (create or edit), with `overrides`."""
    data = {
        "subject": "Needs 20 seats",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@navy.example",
        "business_phone": "+1 555 0100",
        "company_name": "Navy Labs",
        "preferred_contact_method": "1",
        "rating": "2",
    }
    data.update(overrides)
    return data


# Values a form or query string should refuse or ignore, never answer with a 500.
JUNK = [
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "",
    "1e9",
    "1,abc",
    "<script>",
    "\x00",
    "\u00b2",
]


def shown_messages(response):
    """The messages a (followed) response shows."""
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- what a request wrote -------------------------------------------------------------

SNAPSHOT_APPS = ("leads", "accounts", "django_fsm_log", "axes")


def snapshot():
    """Every row of the app tables, to show a request wrote nothing."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in SNAPSHOT_APPS:
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows


# --- concurrent PostgreSQL connections ------------------------------------------------


def on_postgresql(test):
    """Real connections committing for real, on PostgreSQL (skipped on SQLite)."""
    for mark in (
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="needs PostgreSQL: SQLite has no row locks or concurrent writers",
        ),
        pytest.mark.django_db(transaction=True),
        pytest.mark.postgres,
    ):
        test = mark(test)
    return test


def run_together(*calls):
    """Run each call in its own thread and DB connection, released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except Exception as error:  # noqa: BLE001 - the outcome is what is tested
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


# --- settings read from the environment -----------------------------------------------


def clean_env(**overrides):
    """This process's environment without DJANGO_* and DATABASE_URL, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env.update(overrides)
    return env


def run_python(code, **env):
    """Run `code` in a fresh Python with `env` (see clean_env); its output."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- leads made at a given moment (the source report) ----------------------------------

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)


def lead_at(owner, created, **fields):
    return factories.LeadFactory(owner_user=owner, created_at=created, **fields)


def qualified_lead_at(owner, created, days, **fields):
    """A lead created at `created` and qualified `days` later."""
    return lead_at(
        owner,
        created,
        state=LeadState.QUALIFIED,
        status=LeadStatus.QUALIFIED,
        qualified_at=created + days * D,
        closed_at=created + days * D,
        **fields,
    )


def disqualified_lead_at(owner, created, status, **fields):
    """A lead created at `created` and disqualified (`status`) a day later."""
    return lead_at(
        owner,
        created,
        state=LeadState.DISQUALIFIED,
        status=status,
        closed_at=created + D,
        **fields,
    )


def worked_after(lead, hours, *, completed=True):
    """An activity on `lead`, completed `hours` after the lead was created (or open)."""
    done = lead.created_at + hours * H
    factories.ActivityFactory(
        lead=lead,
        owner=lead.owner_user,
        state="completed" if completed else "open",
        completed_at=done if completed else None,
    )


def ensure_roles():
    """Transactional tests (live server, concurrency) flush the tables between tests,
    which removes the groups and permissions the roles data migration made, and the
    default duplicate rules: make them again when they are missing."""
    roles = [SALES_REP, SALES_MANAGER, ADMINISTRATOR, PRIVACY_OFFICER]
    complete = (
        Group.objects.filter(name__in=roles)
        .exclude(permissions=None)
        .values("pk")
        .distinct()
        .count()
    )
    if complete < len(roles):
        sync_roles(apps)
    # The default duplicate rules come from a data migration too.
    if not DuplicateRule.objects.exists():
        import_module("leads.migrations.0011_duplicate_rules").seed_default_rules(
            apps, None
        )


def user_in(role, **kwargs):
    ensure_roles()
    user = factories.UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def listed_last_names(response) -> list[str]:
    """The last names of the leads a lead list page shows, in its order (its
    rows are presented values: the names are read back by id)."""
    from leads.models import Lead

    rows = response.context["leads"]
    by_pk = Lead.objects.in_bulk([row.pk for row in rows])
    return [by_pk[row.pk].last_name for row in rows]
