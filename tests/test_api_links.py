"""A lead's product interests through the REST API: list, add (or update) and
remove by role, as on the lead page; closed leads refuse, scope and tokens."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ApiToken, TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from leads.models import LeadProduct
from tests import factories
from tests.support import snapshot


def _url(lead, interest=None):
    base = f"/api/leads/{lead.pk}/interests"
    return base if interest is None else f"{base}/{interest.pk}"


def _post(client, url, data, **headers):
    return client.post(
        url, json.dumps(data), content_type="application/json", headers=headers
    )


def _rows():
    """Every app row but the tokens' (a token records when it was last used)."""
    rows = snapshot()
    rows.pop("accounts.ApiToken")
    return rows


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


@pytest.fixture
def product(db):
    return factories.ProductFactory(name="Fleet tracker")


@pytest.mark.parametrize("who", ["rep", "manager", "administrator"])
def test_each_role_adds_lists_and_removes_an_interest(
    request, client, lead, product, who
):
    client.force_login(request.getfixturevalue(who))
    response = _post(
        client, _url(lead), {"product": product.pk, "quantity": "3", "note": "Q3"}
    )
    assert response.status_code == 201, response.json()
    interest = LeadProduct.objects.get(pk=response.json()["id"])
    assert (interest.lead, interest.product, interest.quantity, interest.note) == (
        lead,
        product,
        Decimal("3"),
        "Q3",
    )
    listed = client.get(_url(lead)).json()["results"]
    assert listed == [
        {
            "id": interest.pk,
            "lead": lead.pk,
            "product": product.pk,
            "product_name": "Fleet tracker",
            "quantity": "3.00",
            "note": "Q3",
        }
    ]
    assert client.get(_url(lead, interest)).json()["id"] == interest.pk
    response = client.delete(_url(lead, interest))
    assert response.status_code == 204
    assert not LeadProduct.objects.exists()


def test_adding_a_product_again_updates_it(rep_client, lead, product):
    first = _post(rep_client, _url(lead), {"product": product.pk})
    assert first.status_code == 201
    assert first.json()["quantity"] == "1.00"
    again = _post(rep_client, _url(lead), {"product": product.pk, "quantity": "5"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert LeadProduct.objects.get().quantity == Decimal("5")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": "1"}, "product"),
        ({"product": 999999}, "product"),
        ({"product": "inactive"}, "product"),
        ({"product": "PRODUCT", "quantity": "-1"}, "quantity"),
        ({"product": "PRODUCT", "note": "x" * 501}, "note"),
    ],
)
def test_what_the_page_form_refuses_is_a_400(rep_client, lead, product, body, field):
    inactive = factories.ProductFactory(is_active=False)
    body = {
        key: {"PRODUCT": product.pk, "inactive": inactive.pk}.get(value, value)
        for key, value in body.items()
    }
    before = snapshot()
    response = _post(rep_client, _url(lead), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_a_closed_lead_refuses_with_the_page_sentence(rep_client, rep, product):
    lead = factories.LeadFactory(owner_user=rep, disqualified=True)
    interest = factories.LeadProductFactory(lead=lead)
    before = snapshot()
    response = _post(rep_client, _url(lead), {"product": product.pk})
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This lead is disqualified. Reactivate it to change it."
    )
    assert rep_client.delete(_url(lead, interest)).status_code == 409
    assert snapshot() == before
    assert rep_client.get(_url(lead)).status_code == 200


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_a_lead_outside_scope_is_404_on_every_verb(request, client, rep2, product, who):
    client.force_login(request.getfixturevalue(who))
    lead = factories.LeadFactory(owner_user=rep2)
    interest = factories.LeadProductFactory(lead=lead)
    before = snapshot()
    assert client.get(_url(lead)).status_code == 404
    assert client.get(_url(lead, interest)).status_code == 404
    assert _post(client, _url(lead), {"product": product.pk}).status_code == 404
    assert client.delete(_url(lead, interest)).status_code == 404
    assert snapshot() == before


def test_an_interest_of_another_lead_is_404(rep_client, rep):
    mine = factories.LeadFactory(owner_user=rep)
    other = factories.LeadProductFactory(lead=factories.LeadFactory(owner_user=rep))
    assert rep_client.get(_url(mine, other)).status_code == 404
    assert rep_client.delete(_url(mine, other)).status_code == 404
    assert LeadProduct.objects.filter(pk=other.pk).exists()


def test_anonymous_is_401(client, lead, product):
    interest = factories.LeadProductFactory(lead=lead)
    before = snapshot()
    for response in (
        client.get(_url(lead)),
        _post(client, _url(lead), {"product": product.pk}),
        client.delete(_url(lead, interest)),
    ):
        assert response.status_code == 401
    assert snapshot() == before


def test_tokens_read_only_revoked_and_expired(client, rep, lead, product):
    interest = factories.LeadProductFactory(lead=lead)
    _token, read_key = create_api_token(user=rep, name="r", by=rep)
    revoked, revoked_key = create_api_token(user=rep, name="x", by=rep)
    revoke_api_token(token=revoked, by=rep)
    expired, expired_key = create_api_token(user=rep, name="e", by=rep)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    before = _rows()
    read = {"authorization": f"Bearer {read_key}"}
    assert client.get(_url(lead), headers=read).status_code == 200
    assert _post(client, _url(lead), {"product": product.pk}, **read).status_code == (
        403
    )
    assert client.delete(_url(lead, interest), headers=read).status_code == 403
    for key in (revoked_key, expired_key):
        headers = {"authorization": f"Bearer {key}"}
        assert client.get(_url(lead), headers=headers).status_code == 401
        response = _post(client, _url(lead), {"product": product.pk}, **headers)
        assert response.status_code == 401
    assert _rows() == before
    _token, key = create_api_token(
        user=rep, name="w", scope=TokenScope.READ_WRITE, by=rep
    )
    response = _post(
        client,
        _url(lead),
        {"product": product.pk},
        authorization=f"Bearer {key}",
    )
    assert response.status_code == 201


def test_list_query_count_does_not_grow(
    rep_client, lead, django_assert_max_num_queries
):
    factories.LeadProductFactory.create_batch(2, lead=lead)
    with django_assert_max_num_queries(8) as few:
        assert len(rep_client.get(_url(lead)).json()["results"]) == 2
    factories.LeadProductFactory.create_batch(25, lead=lead)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rep_client.get(_url(lead)).json()["results"]) == 27
