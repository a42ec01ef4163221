"""The record-scope gate `visible_to` for every role and owned model; pages name a
related record outside the viewer's scope without linking to it."""

import pytest
from django.urls import reverse

from accounts.models import Account, Contact, Opportunity
from accounts.permissions import SALES_REP, _group_names, visible_to
from leads.models import Lead
from tests import factories

OWNED = [
    (Lead, factories.LeadFactory),
    (Account, factories.AccountFactory),
    (Contact, factories.ContactFactory),
    (Opportunity, factories.OpportunityFactory),
]
IDS = [model.__name__ for model, _ in OWNED]


@pytest.fixture
def world(org, rep, rep2, manager):
    """Records owned across the organisation, keyed by who owns them."""
    north_team = factories.TeamFactory(
        name="North Sales", business_unit=org.north, members=[rep]
    )
    other_north_team = factories.TeamFactory(name="North Key", business_unit=org.north)
    south_team = factories.TeamFactory(
        name="South Sales", business_unit=org.south, members=[rep2]
    )
    root_user = factories.UserFactory(username="ceo", business_unit=org.root)
    north_colleague = factories.UserFactory(
        username="colleague", business_unit=org.north
    )
    # A unit below North: managers of North see it too.
    north_east = factories.BusinessUnitFactory(name="North East", parent=org.north)
    north_east_user = factories.UserFactory(username="ne", business_unit=north_east)
    return {
        "rep": {"owner_user": rep},
        "rep_team": {"owner_user": None, "owner_team": north_team},
        "other_north_team": {"owner_user": None, "owner_team": other_north_team},
        "north_colleague": {"owner_user": north_colleague},
        "north_east": {"owner_user": north_east_user},
        "rep2": {"owner_user": rep2},
        "south_team": {"owner_user": None, "owner_team": south_team},
        "root": {"owner_user": root_user},
    }


def make_all(factory, world):
    records = {}
    for key, owner in world.items():
        extra = {}
        if factory is factories.OpportunityFactory:
            extra["account"] = factories.AccountFactory(**owner)
        records[key] = factory(**owner, **extra)
    return records


def visible_keys(user, model, records):
    pks = set(visible_to(user, model.objects.all()).values_list("pk", flat=True))
    return {key for key, record in records.items() if record.pk in pks}


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_rep_sees_own_and_own_teams_records_only(rep, world, model, factory):
    records = make_all(factory, world)
    assert visible_keys(rep, model, records) == {"rep", "rep_team"}


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_rep_in_another_unit_sees_none_of_reps_records(rep2, world, model, factory):
    records = make_all(factory, world)
    assert visible_keys(rep2, model, records) == {"rep2", "south_team"}


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_manager_sees_own_unit_and_below_not_siblings(manager, world, model, factory):
    records = make_all(factory, world)
    assert visible_keys(manager, model, records) == {
        "rep",
        "rep_team",
        "other_north_team",
        "north_colleague",
        "north_east",
    }


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_administrator_group_sees_everything(administrator, world, model, factory):
    records = make_all(factory, world)
    assert visible_keys(administrator, model, records) == set(world)


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_superuser_sees_everything(org, world, model, factory):
    superuser = factories.UserFactory(
        username="root", is_superuser=True, business_unit=org.south
    )
    records = make_all(factory, world)
    assert visible_keys(superuser, model, records) == set(world)


@pytest.mark.parametrize("model,factory", OWNED, ids=IDS)
def test_inactive_user_sees_nothing(rep, world, model, factory):
    records = make_all(factory, world)
    rep.is_active = False
    rep.save()
    assert visible_keys(rep, model, records) == set()


def test_inactive_administrator_sees_nothing(administrator, world):
    records = make_all(factories.LeadFactory, world)
    administrator.is_active = False
    administrator.save()
    assert visible_keys(administrator, Lead, records) == set()


def test_anonymous_user_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    records = make_all(factories.LeadFactory, world)
    assert visible_keys(AnonymousUser(), Lead, records) == set()


def test_manager_without_business_unit_falls_back_to_own_records(org, world):
    from django.contrib.auth.models import Group

    from accounts.permissions import SALES_MANAGER

    loose = factories.UserFactory(username="loose", business_unit=None)
    loose.groups.add(Group.objects.get(name=SALES_MANAGER))
    records = make_all(factories.LeadFactory, world)
    mine = factories.LeadFactory(owner_user=loose, business_unit=org.root)
    visible = set(visible_to(loose, Lead.objects.all()).values_list("pk", flat=True))
    assert visible == {mine.pk}
    assert not visible & {r.pk for r in records.values()}


def test_gate_costs_a_bounded_number_of_queries(rep, world, django_assert_num_queries):
    make_all(factories.LeadFactory, world)
    # Group names, team ids and permissions are read in one query, then cached on
    # the user object.
    with django_assert_num_queries(2):
        list(visible_to(rep, Lead.objects.all()))
    with django_assert_num_queries(1):
        list(visible_to(rep, Lead.objects.all()))


def test_out_of_scope_lead_page_is_404(rep_client, rep2):
    other = factories.LeadFactory(owner_user=rep2)
    assert rep_client.get(f"/leads/{other.pk}/").status_code == 404


def test_partner_outside_the_viewers_scope_is_named_not_linked(rep_client, rep, rep2):
    partner = factories.AccountFactory(owner_user=rep2, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    html = rep_client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert partner.name in html
    assert partner.get_absolute_url() not in html


def test_partner_in_scope_is_linked(rep_client, rep):
    partner = factories.AccountFactory(owner_user=rep, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    html = rep_client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert f'href="{partner.get_absolute_url()}"' in html


def test_permissions_read_with_the_groups_match_djangos(org, django_assert_num_queries):
    """has_perm answers from the one access query (accounts.backends.ModelBackend)
    exactly as Django's own backend would: direct permissions, permissions through
    groups, none for an inactive user; and a later has_perm costs no query."""
    from django.contrib.auth.backends import ModelBackend as DjangoBackend
    from django.contrib.auth.models import Group, Permission

    from accounts.backends import ModelBackend
    from accounts.models import User

    user = factories.UserFactory(business_unit=org.north)
    direct = Permission.objects.get(codename="view_lead")
    user.user_permissions.add(direct)
    group = Group.objects.create(name="Auditors")
    group.permissions.add(Permission.objects.get(codename="view_account"))
    user.groups.add(group)

    ours = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    djangos = DjangoBackend().get_all_permissions(User.objects.get(pk=user.pk))
    assert ours == djangos == {"leads.view_lead", "accounts.view_account"}

    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert fresh.has_perm("leads.view_lead")
        assert fresh.has_perm("accounts.view_account")
        assert not fresh.has_perm("leads.delete_lead")
        assert SALES_REP not in _group_names(fresh)

    user.is_active = False
    user.save()
    assert not User.objects.get(pk=user.pk).has_perm("leads.view_lead")
