from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP
from leads.models import LeadSource, LeadStatus
from leads.selectors.scoring import forget_tables
from leadsite.core.services import install_write_guard, service_context
from tests import factories
from tests.support import (
    D,
    disqualified_lead_at,
    ensure_roles,
    lead_at,
    qualified_lead_at,
    user_in,
    worked_after,
)


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


@pytest.fixture(autouse=True)
def _fresh_scoring_cache():
    """Each test reads the scoring tables and settings of its own database: a
    process keeps them for a minute (leads.selectors.scoring), longer than one
    test's rows live."""
    forget_tables()


@pytest.fixture
def org(db):
    """A root business unit with two regions, each with a team."""
    root = factories.BusinessUnitFactory(name="Contoso")
    north = factories.BusinessUnitFactory(name="North", parent=root)
    south = factories.BusinessUnitFactory(name="South", parent=root)
    return type("Org", (), {"root": root, "north": north, "south": south})


@pytest.fixture
def roles(db):
    ensure_roles()


@pytest.fixture
def rep(org):
    return user_in(SALES_REP, username="rep", business_unit=org.north)


@pytest.fixture
def rep2(org):
    return user_in(SALES_REP, username="rep2", business_unit=org.south)


@pytest.fixture
def manager(org):
    return user_in(SALES_MANAGER, username="manager", business_unit=org.north)


@pytest.fixture
def administrator(org):
    return user_in(
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


@pytest.fixture
def source_report_data(rep, rep2, manager, org):
    """The source report's known figures (tests/test_source_report*.py).
    Rep (North), ten days ago unless said otherwise:
    Web / campaign "Spring" (cost 1,000): L1 qualified after 4 d, opportunity won
      4,500, worked after 2 h; L2 qualified after 6 d, opportunity open 5,000, worked
      after 30 h; L3 lost, worked after 5 h; L4 open.
    Web / no campaign: L5 canceled; L6 merged into L4; L7 qualified after 1 d,
      opportunity lost, worked after 10 h (an open activity at 1 h, a later
      completed one at 50 h do not count).
    Partner / campaign "Summit" (no cost): L8 cannot contact, L9 no longer
      interested, L10 contacted.
    No source: L11 open.  Seminar: L14 open, 200 days ago.
    Another North rep: Other L13 (manager sees it, rep does not).
    Rep2 (South): a qualified Web lead nobody in North sees."""
    base = timezone.now() - 10 * D
    spring = factories.CampaignFactory(
        name="Spring", source=LeadSource.WEB, cost=Decimal("1000")
    )
    summit = factories.CampaignFactory(
        name="Summit", source=LeadSource.PARTNER, cost=None
    )
    won = factories.OpportunityFactory(
        owner_user=rep, won=True, actual_value=Decimal("4500.00")
    )
    open_opportunity = factories.OpportunityFactory(
        owner_user=rep, estimated_value=Decimal("5000.00")
    )
    lost = factories.OpportunityFactory(owner_user=rep, lost=True)
    leads = {}
    leads[1] = qualified_lead_at(
        rep, base, 4, source=LeadSource.WEB, campaign=spring, qualifying_opportunity=won
    )
    leads[2] = qualified_lead_at(
        rep,
        base,
        6,
        source=LeadSource.WEB,
        campaign=spring,
        qualifying_opportunity=open_opportunity,
    )
    leads[3] = disqualified_lead_at(
        rep, base, LeadStatus.LOST, source=LeadSource.WEB, campaign=spring
    )
    leads[4] = lead_at(rep, base, source=LeadSource.WEB, campaign=spring)
    leads[5] = disqualified_lead_at(
        rep, base, LeadStatus.CANCELED, source=LeadSource.WEB
    )
    leads[6] = disqualified_lead_at(
        rep,
        base,
        LeadStatus.CANCELED,
        source=LeadSource.WEB,
        merged=True,
        master=leads[4],
    )
    leads[7] = qualified_lead_at(
        rep, base, 1, source=LeadSource.WEB, qualifying_opportunity=lost
    )
    leads[8] = disqualified_lead_at(
        rep, base, LeadStatus.CANNOT_CONTACT, source=LeadSource.PARTNER, campaign=summit
    )
    leads[9] = disqualified_lead_at(
        rep,
        base,
        LeadStatus.NO_LONGER_INTERESTED,
        source=LeadSource.PARTNER,
        campaign=summit,
    )
    leads[10] = lead_at(
        rep,
        base,
        source=LeadSource.PARTNER,
        campaign=summit,
        status=LeadStatus.CONTACTED,
    )
    leads[11] = lead_at(rep, base, source=None)
    north_rep = factories.UserFactory(business_unit=org.north)
    leads[13] = lead_at(north_rep, base, source=LeadSource.OTHER)
    leads[14] = lead_at(rep, timezone.now() - 200 * D, source=LeadSource.SEMINAR)
    qualified_lead_at(rep2, base, 2, source=LeadSource.WEB)
    worked_after(leads[1], 2)
    worked_after(leads[2], 30)
    worked_after(leads[3], 5)
    worked_after(leads[7], 1, completed=False)
    worked_after(leads[7], 10)
    worked_after(leads[7], 50)
    return type("Data", (), {"leads": leads, "spring": spring, "summit": summit})
