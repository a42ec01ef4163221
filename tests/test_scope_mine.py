"""One meaning of "mine" across apps: owned by the user personally (team-owned records
are the team's queue), and the filters' choices come from the scope gate."""

from django.urls import reverse

from tests import factories


def _team_with(rep, org):
    return factories.TeamFactory(business_unit=org.north, members=[rep])


def test_mine_is_owner_only_for_leads_and_accounts(rep_client, rep, org):
    team = _team_with(rep, org)
    factories.LeadFactory(owner_user=rep, last_name="Ownlead")
    factories.LeadFactory(owner_user=None, owner_team=team, last_name="Teamlead")
    factories.AccountFactory(owner_user=rep, name="Own account")
    factories.AccountFactory(owner_user=None, owner_team=team, name="Team account")

    leads = rep_client.get(reverse("leads:list"), {"view": "mine"}).content.decode()
    assert "Ownlead" in leads and "Teamlead" not in leads
    home = rep_client.get("/").content.decode()
    assert "Ownlead" in home and "Teamlead" not in home
    accounts = rep_client.get("/accounts/", {"mine": "on"}).content.decode()
    assert "Own account" in accounts and "Team account" not in accounts
    # Both stay in the user's scope.
    assert (
        "Teamlead"
        in rep_client.get(reverse("leads:list"), {"view": "open"}).content.decode()
    )
    assert "Team account" in rep_client.get("/accounts/").content.decode()


def test_business_unit_filter_offers_the_scope_only(rep_client, manager_client, org):
    rep_units = rep_client.get(reverse("leads:list")).context["filter"].form
    assert list(rep_units.fields["business_unit"].queryset) == [org.north]
    manager_units = manager_client.get(reverse("leads:list")).context["filter"].form
    assert list(manager_units.fields["business_unit"].queryset) == [org.north]
