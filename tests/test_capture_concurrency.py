"""Two identical capture POSTs at the same moment, on two real PostgreSQL
connections (as on two app servers): one lead, and both visitors thanked."""

import pytest
from django.db import connection
from django.test import Client

from leads.models import CaptureSubmission, Lead
from tests import factories
from tests.support import ensure_roles, run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers",
    ),
]


def test_two_simultaneous_identical_posts_make_one_lead():
    ensure_roles()
    unit = factories.BusinessUnitFactory(name="North")
    unit.default_owner = factories.UserFactory(username="owner", business_unit=unit)
    unit.save()
    form = factories.CaptureFormFactory(business_unit=unit, fields_shown=[])
    data = {"last_name": "Scully", "email": "dana@example.org", "message": "40 bikes"}

    def post():
        return Client(REMOTE_ADDR="192.0.2.1").post(f"/capture/{form.token}/", data)

    for _ in range(3):
        outcomes = run_together(post, post, post)
        assert [kind for kind, _ in outcomes] == ["ok", "ok", "ok"]
        assert {response.status_code for _, response in outcomes} == {302}
    assert Lead.objects.count() == 1
    assert CaptureSubmission.objects.count() == 1
    assert Lead.objects.get().original_message == "40 bikes"
