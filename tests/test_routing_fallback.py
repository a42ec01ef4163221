"""The one fallback-owner rule (leads.routing.fallback) and the leads that come in
with it: a lead no rule routes goes to the nearest business unit default owner who
can take it, up the unit tree, then LEADSITE_FALLBACK_OWNER. A captured lead is
created with that owner; an imported one is held by its importer until routed."""

import datetime
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from leads.models import AssignmentReason, Lead, LeadAssignment
from leads.routing.fallback import fallback_owner
from leads.routing.situation import Situation
from leads.services.capture import capture_lead
from tests import factories
from tests.import_helpers import latest_batch, start, upload
from tests.task_worker import DATABASE_TASKS

TODAY = datetime.date(2026, 12, 1)
CAPTURED = {"last_name": "Lee", "email": "lee@example.org", "message": "Hi"}


def person(pk, **kw):
    fields = dict(
        pk=pk,
        is_active=True,
        available_for_leads=True,
        unavailable_until=None,
        lead_capacity=None,
    )
    return SimpleNamespace(**{**fields, **kw})


def situation(users, **kw):
    base = dict(
        users={u.pk: u for u in users},
        team_members={},
        loads={},
        cursors={},
        parents={1: None, 2: 1, 3: 2},
        default_owners={},
        unit_names={1: "Contoso", 2: "Europe", 3: "North"},
        today=TODAY,
    )
    return Situation(**{**base, **kw})


def test_fallback_owner_is_the_nearest_unit_default_owner_who_can_take_a_lead():
    away, boss = person(7, available_for_leads=False), person(8)
    s = situation([away, boss], default_owners={3: 7, 1: 8})
    assert fallback_owner(s, 3) == (boss, "Contoso default owner")


def test_fallback_owner_setting_comes_last_and_within_its_capacity():
    sam = person(5, lead_capacity=2)
    s = situation([sam], fallback_owner_id=5, loads={5: 2})
    assert fallback_owner(s, 3) == (None, None)
    s.loads[5] = 1
    assert fallback_owner(s, 3) == (sam, "fallback owner")


def test_fallback_owner_is_never_the_owner_a_lead_is_taken_from():
    boss = person(8)
    s = situation([boss], default_owners={3: 8}, exclude={8})
    assert fallback_owner(s, 3) == (None, None)


def test_captured_lead_of_a_unit_without_default_owner_goes_up_the_tree(
    org, direct_writes
):
    boss = factories.UserFactory(username="boss", business_unit=org.root)
    org.root.default_owner = boss
    org.root.save()
    form = factories.CaptureFormFactory(business_unit=org.north, fields_shown=[])
    lead = capture_lead(form=form, data=CAPTURED).lead
    assert lead.owner_user == boss
    entry = LeadAssignment.objects.get(lead=lead)
    assert entry.reason == AssignmentReason.FALLBACK
    assert entry.detail.startswith("no rule matched → Contoso default owner")


def test_captured_lead_skips_an_unavailable_default_owner(org, manager, direct_writes):
    away = factories.UserFactory(
        username="away", business_unit=org.north, available_for_leads=False
    )
    org.north.default_owner = away
    org.north.save()
    form = factories.CaptureFormFactory(business_unit=org.north, fields_shown=[])
    lead = capture_lead(form=form, data=CAPTURED).lead
    # Nobody in the fallback chain can take it: the unit's sales manager holds it.
    assert lead.owner_user == manager
    assert LeadAssignment.objects.get(lead=lead).reason == AssignmentReason.UNCHANGED


def test_imported_lead_nobody_can_take_stays_with_the_importer(
    manager_client, manager, org, settings, direct_writes
):
    settings.TASKS = DATABASE_TASKS
    org.north.default_owner = factories.UserFactory(
        username="away", business_unit=org.north, available_for_leads=False
    )
    org.north.save()
    upload(manager_client, SimpleUploadedFile("l.csv", b"subject,lastname\nB,Lee\n"))
    start(manager_client, latest_batch())
    assert Lead.objects.get().owner_user == manager


def test_imported_leads_meet_the_rules_of_the_importers_unit(
    manager_client, manager, org, settings, direct_writes
):
    """Held by the importer, not by a fallback owner of another unit, the lead is
    of the importer's unit while the rules are tried."""
    settings.TASKS = DATABASE_TASKS
    factories.UserFactory(username="sam", business_unit=org.south)
    settings.LEADSITE_FALLBACK_OWNER = "sam"
    target = factories.UserFactory(username="north-target", business_unit=org.north)
    factories.RoutingRuleFactory(
        name="North leads", business_unit=org.north, target_user=target
    )
    upload(manager_client, SimpleUploadedFile("l.csv", b"subject,lastname\nB,Lee\n"))
    start(manager_client, latest_batch())
    assert Lead.objects.get().owner_user == target
