"""The lead page's own query is built and compiled once per scope shape
(leadsite.core.compiled, leads.selectors.leads.get_lead_for_detail): whoever asks
after whom, each user gets exactly the leads the record-scope gate gives them, with
the same values, relations and flags the ORM reads. Runs on SQLite and, with
DATABASE_URL, PostgreSQL."""

import pytest
from django.db.models import Model

from accounts.permissions import (
    ADMINISTRATOR,
    SALES_MANAGER,
    SALES_REP,
    Scope,
    scope_of,
    visible_to,
)
from leads.models import Lead
from leads.selectors.leads import PRESENCE, get_lead_for_detail
from tests import factories
from tests.support import user_in

RELATIONS = ["owner_user", "owner_team", "business_unit", "campaign", "created_by"]


def _values(record: Model) -> dict:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


@pytest.fixture
def people(org):
    """Users of every scope shape: an administrator, managers of a unit with and
    without children, reps without teams and with one or two, an inactive rep."""
    west = factories.BusinessUnitFactory(name="West", parent=org.north)
    rep_a = user_in(SALES_REP, username="a", business_unit=org.north)
    rep_b = user_in(SALES_REP, username="b", business_unit=org.south)
    rep_c = user_in(SALES_REP, username="c", business_unit=org.south)
    one = factories.TeamFactory(business_unit=org.north, members=[rep_b])
    two = factories.TeamFactory(business_unit=org.south, members=[rep_b, rep_c])
    return {
        "users": [
            user_in(ADMINISTRATOR, username="boss", business_unit=org.root),
            user_in(SALES_MANAGER, username="north", business_unit=org.north),
            user_in(SALES_MANAGER, username="south", business_unit=org.south),
            user_in(SALES_MANAGER, username="west", business_unit=west),
            rep_a,
            rep_b,
            rep_c,
            user_in(
                SALES_REP, username="gone", business_unit=org.north, is_active=False
            ),
        ],
        "leads": [
            factories.LeadFactory(owner_user=rep_a, business_unit=org.north),
            factories.LeadFactory(
                owner_user=rep_b,
                business_unit=org.south,
                campaign=factories.CampaignFactory(),
                created_by=rep_a,
            ),
            factories.LeadFactory(owner_user=None, owner_team=one, business_unit=west),
            factories.LeadFactory(
                owner_user=None, owner_team=two, business_unit=org.south
            ),
            factories.LeadFactory(owner_user=rep_c, business_unit=org.north),
        ],
    }


def test_every_user_gets_the_leads_of_their_scope_with_what_the_orm_reads(
    people, django_assert_num_queries
):
    leads, users = people["leads"], people["users"]
    factories.ActivityFactory(lead=leads[1])
    factories.NoteFactory(lead=leads[3])
    shapes = {scope_of(user).shape for user in users}
    assert {kind for kind, _ in shapes} == {"all", "units", "owner", "none"}
    assert len(shapes) >= 6  # unit lists and team lists of different lengths
    seen = 0
    for _ in range(2):  # the second round runs every shape's compiled statement
        for user in users:
            for lead in leads:
                visible = visible_to(user, Lead.objects.filter(pk=lead.pk)).exists()
                if not visible:
                    with pytest.raises(Lead.DoesNotExist):
                        get_lead_for_detail(pk=lead.pk, user=user)
                    continue
                seen += 1
                found = get_lead_for_detail(pk=lead.pk, user=user)
                assert _values(found) == _values(Lead.objects.get(pk=lead.pk))
                with django_assert_num_queries(0):  # joined, not read again
                    related = {name: getattr(found, name) for name in RELATIONS}
                for name, value in related.items():
                    expected = getattr(Lead.objects.get(pk=lead.pk), name)
                    assert value == expected
                    if value is not None:
                        assert _values(value) == _values(expected)
                for flag, model, field in PRESENCE:
                    rows = model.objects.filter(**{field: lead.pk})
                    if flag == "has_history":
                        rows = rows.filter(content_type__model="lead")
                    assert getattr(found, flag) is rows.exists(), flag
    assert seen > 10


def test_a_lead_id_past_the_column_or_of_nobody_is_a_miss(people):
    boss = people["users"][0]
    assert scope_of(boss) == Scope(Scope.ALL)
    for pk in [0, -3, 2**63, 10**30, max(lead.pk for lead in people["leads"]) + 1]:
        with pytest.raises(Lead.DoesNotExist):
            get_lead_for_detail(pk=pk, user=boss)


def test_each_record_s_timeline_is_its_own_after_the_first_compiled_it(people):
    """The timeline's queries (leads.selectors.timeline) are compiled once per
    kind of record and item: each lead, account and contact still gets its own
    items, newest first, as the ORM reads them."""
    from leads.selectors.timeline import list_timeline, timeline_items

    rep = people["users"][4]
    records = [
        *people["leads"][:2],
        factories.AccountFactory(owner_user=rep),
        factories.AccountFactory(owner_user=rep),
        factories.ContactFactory(owner_user=rep),
    ]
    for n, record in enumerate(records):
        on = {record.__class__.__name__.lower(): record}
        if "lead" not in on:
            on["lead"] = None
        for _ in range(n + 1):
            factories.ActivityFactory(owner=rep, **on)
            factories.NoteFactory(created_by=rep, **on)
    for _ in range(2):
        for record in records:
            shown = [(e.kind, e.item.pk) for e in list_timeline(record=record, limit=3)]
            expected = sorted(
                [
                    (kind, item.pk, item.created_at)
                    for kind in ("activity", "note", "attachment")
                    for item in timeline_items(record=record, kind=kind)[:3]
                ],
                key=lambda entry: (entry[2], entry[1]),
                reverse=True,
            )
            assert shown == [(kind, pk) for kind, pk, _when in expected]
            assert shown
