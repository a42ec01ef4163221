"""Merging two leads: field choice, moving every kind of child, refusals, the page
(out-of-scope or junk ids: a 404 or the page, nothing written)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django_fsm_log.models import StateLog

from leads.exceptions import LeadClosed, TransitionRefused, closed_message
from leads.models import (
    Activity,
    Attachment,
    Lead,
    LeadAccount,
    LeadContact,
    LeadProduct,
    LeadState,
    LeadStatus,
    Note,
)
from leads.services.merge import merge_leads
from tests import factories
from tests.support import JUNK, ensure_roles, snapshot


@pytest.fixture
def pair(rep):
    master = factories.LeadFactory(
        owner_user=rep, last_name="Smith", email="old@example.org", job_title=""
    )
    subordinate = factories.LeadFactory(
        owner_user=rep, last_name="Smith", email="new@example.org", job_title="CTO"
    )
    return master, subordinate


def _get(lead):
    return Lead.objects.get(pk=lead.pk)


def test_merge_moves_every_kind_of_child(pair, rep):
    master, sub = pair
    shared_product, other_product = factories.ProductFactory.create_batch(2)
    shared_account, other_account = factories.AccountFactory.create_batch(
        2, owner_user=rep
    )
    contact = factories.ContactFactory(owner_user=rep)
    factories.ActivityFactory.create_batch(2, lead=sub, owner=rep)
    factories.NoteFactory(lead=sub)
    factories.AttachmentFactory(lead=sub)
    factories.LeadProductFactory(lead=master, product=shared_product, quantity=3)
    factories.LeadProductFactory(
        lead=sub, product=shared_product, quantity=7, note="from the web form"
    )
    factories.LeadProductFactory(lead=sub, product=other_product)
    factories.LeadAccountFactory(lead=master, account=shared_account)
    factories.LeadAccountFactory(lead=sub, account=shared_account)
    factories.LeadAccountFactory(lead=sub, account=other_account)
    factories.LeadContactFactory(lead=sub, contact=contact)

    merge_leads(master=master, subordinate=sub, by=rep, field_values={})

    assert Activity.objects.filter(lead=master).count() == 2
    assert Note.objects.filter(lead=master).count() == 1
    assert Attachment.objects.filter(lead=master).count() == 1
    assert not Activity.objects.filter(lead=sub).exists()
    assert not Note.objects.filter(lead=sub).exists()
    assert not Attachment.objects.filter(lead=sub).exists()
    interests = {i.product_id: i for i in LeadProduct.objects.filter(lead=master)}
    assert set(interests) == {shared_product.pk, other_product.pk}
    assert interests[shared_product.pk].quantity == Decimal("3")
    assert interests[shared_product.pk].note == "from the web form"
    assert LeadProduct.objects.count() == 2
    assert set(LeadAccount.objects.values_list("lead_id", "account_id")) == {
        (master.pk, shared_account.pk),
        (master.pk, other_account.pk),
    }
    assert list(LeadContact.objects.values_list("lead_id", "contact_id")) == [
        (master.pk, contact.pk)
    ]


def test_merge_closes_subordinate_as_merged_and_logs_it(pair, rep):
    master, sub = pair
    merge_leads(master=master, subordinate=sub, by=rep, field_values={})
    sub = _get(sub)
    assert sub.merged is True
    assert sub.master_id == master.pk
    assert (sub.state, sub.status) == (LeadState.DISQUALIFIED, LeadStatus.CANCELED)
    assert _get(master).is_open
    assert StateLog.objects.for_(sub).filter(by=rep).exists()


def test_merge_applies_chosen_field_values(pair, rep):
    master, sub = pair
    campaign = factories.CampaignFactory()
    merge_leads(
        master=master,
        subordinate=sub,
        by=rep,
        field_values={"email": sub.email, "job_title": "CTO", "campaign": campaign},
    )
    master = _get(master)
    assert master.email == "new@example.org"
    assert master.job_title == "CTO"
    assert master.campaign == campaign
    assert master.last_name == "Smith"


def test_merge_validates_the_master(pair, rep):
    master, sub = pair
    with pytest.raises(ValidationError) as error:
        merge_leads(
            master=master,
            subordinate=sub,
            by=rep,
            field_values={"email": "not-an-email"},
        )
    assert "email" in str(error.value).lower()
    assert _get(master).email == "old@example.org"
    assert not _get(sub).merged


def test_merge_refuses_unknown_fields(pair, rep):
    master, sub = pair
    with pytest.raises(ValidationError, match="owner_user"):
        merge_leads(
            master=master, subordinate=sub, by=rep, field_values={"owner_user": rep.pk}
        )


@pytest.mark.parametrize("which", ["master", "subordinate"])
def test_merge_refuses_closed_leads(rep, which):
    closed = factories.LeadFactory(owner_user=rep, qualified=True)
    open_lead = factories.LeadFactory(owner_user=rep)
    factories.NoteFactory(lead=open_lead)
    leads = {"master": open_lead, "subordinate": open_lead, which: closed}
    with pytest.raises(LeadClosed) as refusal:
        merge_leads(by=rep, field_values={}, **leads)
    assert refusal.value.messages == [closed_message(closed, named=True)]
    assert Note.objects.get().lead_id == open_lead.pk
    assert not Lead.objects.filter(merged=True).exists()


def test_merge_refuses_a_lead_with_itself(pair, rep):
    master, _ = pair
    with pytest.raises(TransitionRefused):
        merge_leads(master=master, subordinate=master, by=rep, field_values={})


def test_merge_refuses_leads_outside_scope(rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    foreign = factories.LeadFactory(owner_user=rep2)
    with pytest.raises(Lead.DoesNotExist):
        merge_leads(master=mine, subordinate=foreign, by=rep, field_values={})
    assert not _get(foreign).merged


def test_earlier_merged_leads_follow_to_the_new_master(pair, rep):
    master, sub = pair
    older = factories.LeadFactory(owner_user=rep)
    merge_leads(master=sub, subordinate=older, by=rep, field_values={})
    merge_leads(master=master, subordinate=sub, by=rep, field_values={})
    assert _get(older).master_id == master.pk


# --- The page ----------------------------------------------------------------------------


def test_merge_page_compares_fields_side_by_side(rep_client, pair):
    master, sub = pair
    response = rep_client.get(reverse("leads:merge") + f"?ids={master.pk},{sub.pk}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "old@example.org" in text and "new@example.org" in text
    assert 'name="pick_email"' in text
    assert 'name="pick_last_name"' not in text  # same value: nothing to pick
    assert 'name="master"' in text


def test_merge_page_post_merges_with_picked_values(rep_client, pair):
    master, sub = pair
    url = reverse("leads:merge") + f"?ids={master.pk},{sub.pk}"
    picks = {
        name: "a"
        for name in rep_client.get(url).context["form"].fields
        if name.startswith("pick_")
    }
    picks.update({"master": "a", "pick_email": "b", "pick_job_title": "b"})
    response = rep_client.post(url, picks)
    assert response.status_code == 302
    assert response.url == master.get_absolute_url()
    master = _get(master)
    assert (master.email, master.job_title) == ("new@example.org", "CTO")
    assert _get(sub).master_id == master.pk


def test_merge_page_choosing_b_as_master(rep_client, pair):
    master, sub = pair
    url = reverse("leads:merge") + f"?ids={master.pk},{sub.pk}"
    form = rep_client.get(url).context["form"]
    picks = {name: "b" for name in form.fields if name.startswith("pick_")}
    picks.update({"master": "b", "pick_email": "a"})
    rep_client.post(url, picks)
    survivor = _get(sub)
    assert survivor.is_open and survivor.email == "old@example.org"
    assert _get(master).master_id == survivor.pk


def test_merge_page_outside_scope_is_404(rep_client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    foreign = factories.LeadFactory(owner_user=rep2)
    url = reverse("leads:merge") + f"?ids={mine.pk},{foreign.pk}"
    assert rep_client.get(url).status_code == 404
    assert rep_client.post(url, {"master": "a"}).status_code == 404
    assert not _get(foreign).merged


def test_merge_page_with_closed_lead_explains_and_refuses(rep_client, rep):
    open_lead = factories.LeadFactory(owner_user=rep)
    closed = factories.LeadFactory(owner_user=rep, disqualified=True)
    url = reverse("leads:merge") + f"?ids={open_lead.pk},{closed.pk}"
    response = rep_client.get(url)
    assert closed_message(closed, named=True) in response.content.decode()
    response = rep_client.post(url, {"master": "a"})
    assert response.status_code == 200
    assert not _get(closed).merged and not _get(open_lead).merged


def test_merge_page_with_one_lead_offers_duplicates(rep_client, pair, direct_writes):
    master, sub = pair
    master.company_name = sub.company_name = "Contoso"
    master.save()
    sub.save()
    response = rep_client.get(reverse("leads:merge") + f"?ids={master.pk}")
    assert response.status_code == 200
    assert f"ids={master.pk},{sub.pk}" in response.content.decode()
    response = rep_client.get(reverse("leads:merge") + f"?ids={master.pk}&q=new@exa")
    assert f"ids={master.pk},{sub.pk}" in response.content.decode()


def test_lead_pages_show_merge_both_ways(rep_client, rep, pair):
    master, sub = pair
    merge_leads(master=master, subordinate=sub, by=rep, field_values={})
    sub_html = rep_client.get(sub.get_absolute_url()).content.decode()
    master_html = rep_client.get(master.get_absolute_url()).content.decode()
    assert "This lead was merged into" in sub_html
    assert master.get_absolute_url() in sub_html
    assert "Merged into this lead" in master_html
    assert sub.get_absolute_url() in master_html


def test_merged_lead_page_stays_readable(rep_client, rep, pair):
    master, sub = pair
    merge_leads(master=master, subordinate=sub, by=rep, field_values={})
    response = rep_client.get(sub.get_absolute_url())
    assert response.status_code == 200
    assert "This lead was merged into" in response.content.decode()


@pytest.fixture
def _role_groups(transactional_db):
    """The role groups come from a data migration that a transactional flush
    removes; recreate them before the users are made."""

    ensure_roles()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and real concurrent connections",
)
@pytest.mark.django_db(transaction=True)
def test_crossed_concurrent_merges_yield_one_merge(_role_groups, rep):
    """A→B and B→A at the same moment: rows lock in pk order, one merge wins and the
    other is refused because its master is already closed."""
    import threading

    from django.db import connections

    lead_a = factories.LeadFactory(owner_user=rep)
    lead_b = factories.LeadFactory(owner_user=rep)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(master, subordinate):
        try:
            barrier.wait(timeout=10)
            merge_leads(master=master, subordinate=subordinate, by=rep, field_values={})
            outcomes.append("done")
        except TransitionRefused as error:
            outcomes.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=pair)
        for pair in ((lead_a, lead_b), (lead_b, lead_a))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("done") == 1
    (refusal,) = [o for o in outcomes if o != "done"]
    assert refusal in {
        closed_message(_get(lead_a), named=True),
        closed_message(_get(lead_b), named=True),
    }
    assert refusal.endswith("was merged into another lead and is read-only.")
    assert Lead.objects.filter(merged=True).count() == 1


def test_merge_with_an_out_of_scope_lead_is_404(rep_client, rep, rep2):
    own = factories.LeadFactory(owner_user=rep)
    other = factories.LeadFactory(owner_user=rep2, last_name="Other")
    before = snapshot()
    url = reverse("leads:merge") + f"?ids={own.pk},{other.pk}"
    assert rep_client.get(url).status_code == 404
    assert rep_client.post(url, {"master": "a"}).status_code == 404
    assert snapshot() == before


def test_merge_ids_junk_is_a_404_or_a_page(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    for ids in (
        "1,abc",
        "abc",
        "-1",
        f"{lead.pk},abc",
        "99999999999999999999",
        f"{lead.pk},99999999999999999999",
        f"{lead.pk},\u00b2",
        ",",
    ):
        response = rep_client.get(reverse("leads:merge"), {"ids": ids})
        assert response.status_code in (200, 404), ids
    for q in JUNK:
        response = rep_client.get(reverse("leads:merge"), {"ids": lead.pk, "q": q})
        assert response.status_code == 200, q
