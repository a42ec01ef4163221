"""Leads that come in (import, capture) are routed by the rules (route_lead)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from leads.models import Lead
from tests import factories
from tests.import_helpers import latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS


def test_imported_leads_are_routed_by_the_rules(manager_client, org, settings):
    settings.TASKS = DATABASE_TASKS
    target = factories.UserFactory(username="router-target", business_unit=org.north)
    factories.RoutingRuleFactory(name="Everything", target_user=target)
    upload(
        manager_client, SimpleUploadedFile("l.csv", b"subject,lastname\nBikes,Lee\n")
    )
    start(manager_client, latest_batch())
    assert Lead.objects.get().owner_user == target


def test_captured_leads_are_routed_by_the_rules(client, org, direct_writes):
    org.north.default_owner = factories.UserFactory(
        username="default-owner", business_unit=org.north
    )
    org.north.save()
    target = factories.UserFactory(username="router-target", business_unit=org.north)
    factories.RoutingRuleFactory(name="Everything", target_user=target)
    form = factories.CaptureFormFactory(business_unit=org.north, fields_shown=[])
    client.post(
        f"/capture/{form.token}/",
        {"last_name": "Lee", "email": "lee@example.org", "message": "Hi"},
    )
    assert Lead.objects.get().owner_user == target
