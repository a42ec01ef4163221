"""The state machine is the one source of transition rules: for every state and
role, the buttons a lead page shows are exactly the transitions the services accept."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.permissions import ADMINISTRATOR, SALES_MANAGER, SALES_REP
from leads.models import Lead, LeadState, LeadStatus
from leads.services.lifecycle import disqualify_lead, mark_contacted, reactivate_lead
from leads.services.qualification import qualify_lead
from tests import factories
from tests.support import ensure_roles

SERVICES = {
    "mark_contacted": lambda lead, by: mark_contacted(lead=lead, by=by),
    "qualify": lambda lead, by: qualify_lead(
        lead=lead, by=by, create_account=False, create_opportunity=False
    ),
    "disqualify": lambda lead, by: disqualify_lead(
        lead=lead, by=by, reason=LeadStatus.LOST
    ),
    "reactivate": lambda lead, by: reactivate_lead(lead=lead, by=by),
}


def _lead(state, owner):
    """A lead owned by `owner` in one of the states a lead can be in."""
    make = factories.LeadFactory
    if state == "new":
        return make(owner_user=owner)
    if state == "contacted":
        return make(owner_user=owner, contacted=True)
    if state == "qualified":
        return make(owner_user=owner, qualified=True)
    if state == "disqualified":
        return make(owner_user=owner, disqualified=True)
    if state == "merged":
        master = make(owner_user=owner)
        return make(
            owner_user=owner,
            state=LeadState.DISQUALIFIED,
            status=LeadStatus.CANCELED,
            merged=True,
            master=master,
        )
    # Reactivated after qualification, its opportunity still open (or closed).
    opportunity = factories.OpportunityFactory(
        owner_user=owner, won=state == "open_with_won_opportunity"
    )
    return make(owner_user=owner, qualifying_opportunity=opportunity)


STATES = [
    "new",
    "contacted",
    "qualified",
    "disqualified",
    "merged",
    "open_with_open_opportunity",
    "open_with_won_opportunity",
]
ROLES = ["owner_rep", "manager", "administrator", "owner_without_role"]


@pytest.fixture
def actor(request, org):
    ensure_roles()
    role = request.param
    user = factories.UserFactory(
        username=role, business_unit=org.north, is_staff=role == "administrator"
    )
    group = {
        "owner_rep": SALES_REP,
        "manager": SALES_MANAGER,
        "administrator": ADMINISTRATOR,
    }.get(role)
    if group:
        user.groups.add(Group.objects.get(name=group))
    # Reps and the role-less user own the lead; managers and admins see it by scope.
    owner = user if role in ("owner_rep", "owner_without_role") else None
    return user, owner


class _Rollback(Exception):
    pass


def _accepted(name, lead, user) -> bool:
    try:
        with transaction.atomic():
            SERVICES[name](Lead.objects.get(pk=lead.pk), user)
            raise _Rollback
    except _Rollback:
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("actor", ROLES, indirect=True)
@pytest.mark.parametrize("state", STATES)
def test_buttons_shown_equal_transitions_the_services_accept(client, org, actor, state):
    user, owner = actor
    owner = owner or factories.UserFactory(business_unit=org.north)
    lead = _lead(state, owner)
    accepted = {name for name in SERVICES if _accepted(name, lead, user)}
    client.force_login(user)
    response = client.get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 200
    shown = {t.name for t in response.context["transitions"]}
    assert shown == accepted
    html = response.content.decode()
    for transition in response.context["transitions"]:
        assert str(transition.custom["label"]) in html  # a lazy translation
    if "reactivate" not in shown:
        assert reverse("leads:reactivate", args=[lead.pk]) not in html
    if "disqualify" not in shown:
        assert reverse("leads:disqualify", args=[lead.pk]) not in html


def test_rules_in_words(rep):
    """The guards a user meets, with their messages."""
    opportunity = factories.OpportunityFactory(owner_user=rep, name="Big deal")
    lead = factories.LeadFactory(owner_user=rep, qualifying_opportunity=opportunity)
    with pytest.raises(ValidationError, match="“Big deal” came from this lead"):
        disqualify_lead(lead=lead, by=rep, reason=LeadStatus.LOST)
    merged = _lead("merged", rep)
    with pytest.raises(ValidationError, match="merged into another lead"):
        reactivate_lead(lead=merged, by=rep)
    no_role = factories.UserFactory(business_unit=rep.business_unit)
    own = factories.LeadFactory(owner_user=no_role)
    with pytest.raises(ValidationError, match="not allowed"):
        mark_contacted(lead=own, by=no_role)


def test_admin_offers_the_same_transitions(admin_client_, administrator):
    merged = _lead("merged", administrator)
    html = admin_client_.get(
        reverse("admin:leads_lead_change", args=[merged.pk])
    ).content.decode()
    assert 'value="reactivate"' not in html
    opportunity = factories.OpportunityFactory(owner_user=administrator)
    lead = factories.LeadFactory(
        owner_user=administrator, qualifying_opportunity=opportunity
    )
    html = admin_client_.get(
        reverse("admin:leads_lead_change", args=[lead.pk])
    ).content.decode()
    assert 'value="disqualify"' not in html
    assert 'value="qualify"' in html


def test_disqualify_page_says_why_from_the_state_machine(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, name="Big deal")
    lead = factories.LeadFactory(owner_user=rep, qualifying_opportunity=opportunity)
    html = rep_client.get(reverse("leads:disqualify", args=[lead.pk])).content.decode()
    assert "“Big deal” came from this lead" in html
    assert opportunity.get_absolute_url() in html
    other = factories.LeadFactory(owner_user=rep)
    html = rep_client.get(reverse("leads:disqualify", args=[other.pk])).content.decode()
    assert "came from this lead" not in html
