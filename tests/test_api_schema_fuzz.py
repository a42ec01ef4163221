"""schemathesis against the API's own OpenAPI schema: generated requests, valid and
malformed, authenticated as a rep and as an administrator. No answer may be a 5xx,
and every answer must be one the schema documents (status, content type, headers,
body). Bounded: a few examples per operation, derandomised, so the run is the same
every time and fits in CI."""

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import TokenScope
from accounts.services.tokens import create_api_token
from leadsite.wsgi import application
from tests import factories

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


def _load_schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    loaded.config.generation.update(
        modes=list(schemathesis.GenerationMode),
        max_examples=EXAMPLES,
        deterministic=True,
    )
    return loaded


schema = _load_schema()


@pytest.fixture
def records(rep, rep2, manager, administrator):
    """A few records in and out of the rep's scope, so ids 1, 2, 3... hit real
    rows as well as missing ones."""
    for owner in (rep, rep2):
        lead = factories.LeadFactory(owner_user=owner, company_name="Contoso")
        account = factories.AccountFactory(owner_user=owner)
        factories.ContactFactory(owner_user=owner, account=account)
        factories.OpportunityFactory(owner_user=owner, account=account)
        factories.NoteFactory(lead=lead)
        factories.CampaignFactory()


@pytest.fixture
def connection_kept():
    """The WSGI app is called directly (not through Django's test client), so its
    request signals would close the test's database connection after each call,
    as they do between real requests: kept open, as the test client keeps it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def as_role(request, records, settings, connection_kept):
    settings.LEADSITE_API_RATE = "100000/min"
    cache.clear()
    user = request.getfixturevalue(request.param)
    _, key = create_api_token(
        user=user, name="fuzz", scope=TokenScope.READ_WRITE, by=user
    )
    return {"Authorization": f"Bearer {key}"}


HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    max_examples=EXAMPLES,
)


@pytest.mark.parametrize("as_role", ["rep", "administrator"], indirect=True)
@schema.parametrize()
@HYPOTHESIS
def test_every_answer_is_documented_and_none_is_a_server_error(case, as_role):
    case.call_and_validate(headers=as_role, checks=CHECKS)
