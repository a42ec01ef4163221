"""Idempotency-Key on API POSTs: the same key and request within 24 h answers the
first response and does nothing again; another request with the key is a 422; a
refused request keeps no key; concurrent requests with one key do the work once."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import IdempotencyKey
from leads.models import Lead, LeadState
from tests import factories
from tests.support import on_postgresql, run_together, snapshot

LIST = "/api/leads"
NEW_LEAD = {"subject": "Fleet renewal", "last_name": "Okafor", "source": 8}


def _post(client, url, data, key=None, **headers):
    if key is not None:
        headers["idempotency_key"] = key
    return client.post(
        url, json.dumps(data), content_type="application/json", headers=headers
    )


def test_the_same_key_and_body_answer_the_first_response_and_create_once(
    rep_client,
):
    first = _post(rep_client, LIST, {**NEW_LEAD, "assign_to_me": True}, key="k-1")
    assert first.status_code == 201, first.json()
    again = _post(rep_client, LIST, {**NEW_LEAD, "assign_to_me": True}, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Lead.objects.filter(last_name="Okafor").count() == 1


def test_without_a_key_each_post_creates(rep_client):
    _post(rep_client, LIST, NEW_LEAD)
    _post(rep_client, LIST, NEW_LEAD)
    assert Lead.objects.filter(last_name="Okafor").count() == 2


def test_the_same_key_with_another_body_is_422_and_creates_nothing(rep_client):
    _post(rep_client, LIST, NEW_LEAD, key="k-2")
    before = snapshot()
    response = _post(rep_client, LIST, {**NEW_LEAD, "last_name": "Other"}, key="k-2")
    assert response.status_code == 422
    assert response.json()["type"] == "urn:leadsite:problem:idempotency-key-reused"
    assert snapshot() == before


def test_a_refused_request_keeps_no_key_so_the_fixed_one_may_reuse_it(rep_client):
    refused = _post(rep_client, LIST, {"subject": "No name"}, key="k-3")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = _post(rep_client, LIST, NEW_LEAD, key="k-3")
    assert fixed.status_code == 201
    assert Lead.objects.filter(last_name="Okafor").count() == 1


def test_keys_are_per_user(rep_client, rep2):
    _post(rep_client, LIST, NEW_LEAD, key="shared")
    other = Client()
    other.force_login(rep2)
    response = _post(other, LIST, NEW_LEAD, key="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Lead.objects.filter(last_name="Okafor").count() == 2


def test_a_key_older_than_a_day_is_forgotten(rep_client):
    _post(rep_client, LIST, NEW_LEAD, key="k-4")
    IdempotencyKey.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )
    response = _post(rep_client, LIST, NEW_LEAD, key="k-4")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Lead.objects.filter(last_name="Okafor").count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_repeated_qualify_replays_instead_of_refusing(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep, company_name="Northwind Traders")
    url = f"/api/leads/{lead.pk}/qualify"
    headers = {"if_match": f'"{lead.version}"'}
    first = _post(rep_client, url, {"create_duplicates": True}, key="q-1", **headers)
    assert first.status_code == 200, first.json()
    again = _post(rep_client, url, {"create_duplicates": True}, key="q-1", **headers)
    assert again.status_code == 200
    assert again.json()["account"] == first.json()["account"]
    # Without the key the second qualify is refused: the lead moved on.
    assert _post(rep_client, url, {}, **headers).status_code == 412
    assert (
        Lead.objects.get(pk=lead.pk).qualifying_account_id
        == (first.json()["account"]["id"])
    )


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "clé"])
def test_a_malformed_key_is_a_400(rep_client, key):
    response = rep_client.post(
        LIST,
        json.dumps(NEW_LEAD),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Lead.objects.exists()


@on_postgresql
def test_two_concurrent_posts_with_one_key_create_one_lead(rep):
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(rep)
        clients.append(client)
    outcomes = run_together(
        *[
            (lambda c=c: _post(c, LIST, {**NEW_LEAD, "assign_to_me": True}, key="race"))
            for c in clients
        ]
    )
    responses = [value for kind, value in outcomes if kind == "ok"]
    assert len(responses) == 2, outcomes
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted("Idempotent-Replayed" in r for r in responses) == [False, True]
    assert Lead.objects.filter(last_name="Okafor").count() == 1
    assert Lead.objects.get(last_name="Okafor").state == LeadState.OPEN
