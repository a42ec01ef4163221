import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from accounts.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP
from leads.roles import sync_roles
from leadsite.core.services import install_write_guard, service_context
from tests import factories


@pytest.fixture(autouse=True, scope="session")
def _write_guard():
    """Lead, Activity, Note, Attachment and Opportunity rows are written only by
    services (leadsite/core/services.py): any other save or delete fails the test.
    Factories are allowed (tests/factories.py)."""
    undo = install_write_guard()
    yield
    for disconnect in undo:
        disconnect()


@pytest.fixture
def direct_writes():
    """For a test about the model itself (transitions + save): lets the test save
    guarded rows directly, as factories do."""
    with service_context("tests.direct_writes"):
        yield


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    """Fast hashing, uploads in a temp dir, static files without a manifest, tasks inline."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    settings.AXES_ENABLED = False


@pytest.fixture
def org(db):
    """A root business unit with two regions, each with a team."""
    root = factories.BusinessUnitFactory(name="Contoso")
    north = factories.BusinessUnitFactory(name="North", parent=root)
    south = factories.BusinessUnitFactory(name="South", parent=root)
    return type("Org", (), {"root": root, "north": north, "south": south})


def ensure_roles():
    """Transactional tests (live server, concurrency) flush the tables between tests,
    which removes the groups and permissions the roles data migration made: run it
    again when they are missing."""
    complete = (
        Group.objects.filter(name__in=[SALES_REP, SALES_MANAGER, ADMINISTRATOR])
        .exclude(permissions=None)
        .values("pk")
        .distinct()
        .count()
    )
    if complete < 3:
        sync_roles(apps)


@pytest.fixture
def roles(db):
    ensure_roles()


def _user_in(role, **kwargs):
    ensure_roles()
    user = factories.UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def rep(org):
    return _user_in(SALES_REP, username="rep", business_unit=org.north)


@pytest.fixture
def rep2(org):
    return _user_in(SALES_REP, username="rep2", business_unit=org.south)


@pytest.fixture
def manager(org):
    return _user_in(SALES_MANAGER, username="manager", business_unit=org.north)


@pytest.fixture
def administrator(org):
    return _user_in(
        ADMINISTRATOR, username="administrator", business_unit=org.root, is_staff=True
    )


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def admin_client_(client, administrator):
    client.force_login(administrator)
    return client
