"""The OpenAPI schema tells the truth about the accounts app's resources: every
answer, success or problem, has a documented status, media type and headers, and
its body validates against the documented schema (nullable fields, enums,
`current` of a 412)."""

import copy
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator

from accounts.api.serializers import line_version
from accounts.models import TokenScope
from accounts.services.tokens import create_api_token
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node):
    """An OpenAPI 3.0 schema object as JSON Schema: `nullable` becomes a null
    alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _inline(node, components, depth=0):
    assert depth < 20, "a recursive schema"
    if isinstance(node, list):
        return [_inline(item, components, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return _inline(copy.deepcopy(components[name]), components, depth + 1)
    return {key: _inline(value, components, depth) for key, value in node.items()}


def _operation(openapi, response):
    path = response.request["PATH_INFO"]
    method = response.request["REQUEST_METHOD"].lower()
    for template, operations in openapi["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method in operations:
            return template, operations[method]
    raise AssertionError(f"{method} {path} is not in the schema")


def assert_documented(openapi, response):
    """The response's status, media type, headers and body are what the schema
    says for its operation."""
    template, operation = _operation(openapi, response)
    status = str(response.status_code)
    where = f"{response.request['REQUEST_METHOD']} {template} {status}"
    assert status in operation["responses"], f"undocumented: {where}"
    documented = operation["responses"][status]
    for header in documented.get("headers", {}):
        assert response.has_header(header), f"{where} lacks {header}"
    if not response.content:
        assert "content" not in documented, f"{where} has no body"
        return
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in documented.get("content", {}), f"{where}: {media_type}"
    schema = documented["content"][media_type]["schema"]
    components = {
        name: _json_schema(value)
        for name, value in openapi["components"]["schemas"].items()
    }
    schema = _inline(_json_schema(schema), components)
    errors = sorted(
        Draft4Validator(schema).iter_errors(response.json()), key=lambda e: e.path
    )
    assert not errors, f"{where}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


def _send(client, method, url, data=None, **headers):
    if method == "get":
        return client.get(url, headers=headers)
    body = data if isinstance(data, str) else json.dumps(data or {})
    return getattr(client, method)(
        url, body, content_type="application/json", headers=headers
    )


@pytest.fixture
def world(rep, rep2):
    """Records of every kind for `rep`, and some of `rep2`'s."""
    account = factories.AccountFactory(owner_user=rep, industry=7, annual_revenue=10)
    bare = factories.AccountFactory(owner_user=rep, website="", email="")
    contact = factories.ContactFactory(owner_user=rep, account=account)
    opportunity = factories.OpportunityFactory(owner_user=rep, account=account)
    no_estimate = factories.OpportunityFactory(
        owner_user=rep, account=None, contact=contact, estimated_value=None,
        estimated_close_date=None,
    )  # fmt: skip
    won = factories.OpportunityFactory(owner_user=rep, won=True)
    lost = factories.OpportunityFactory(owner_user=rep, lost=True)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    won_line = factories.OpportunityProductFactory(opportunity=won)
    product = factories.ProductFactory()
    theirs = factories.OpportunityFactory(owner_user=rep2)
    team = factories.TeamFactory(business_unit=rep.business_unit, members=[rep])
    return type("World", (), locals())


def _calls(w):
    """(method, url, body, headers) covering every operation and its answers."""
    o, tag = w.opportunity, lambda r: f'"{r.version}"'
    lines = f"/api/opportunities/{o.pk}/products"
    return [
        # reads
        *[("get", f"/api/{name}", None, {}) for name in (
            "accounts", "contacts", "opportunities", "users", "teams",
            "business-units", "products",
        )],  # fmt: skip
        ("get", "/api/opportunities?state=9", None, {}),
        ("get", "/api/accounts?cursor=junk", None, {}),
        ("get", "/api/accounts?fields=nope", None, {}),
        ("get", "/api/contacts?ordering=email", None, {}),
        ("get", f"/api/accounts/{w.account.pk}", None, {}),
        ("get", f"/api/accounts/{w.bare.pk}", None, {}),
        ("get", f"/api/contacts/{w.contact.pk}", None, {}),
        ("get", f"/api/opportunities/{w.no_estimate.pk}", None, {}),
        ("get", f"/api/opportunities/{w.won.pk}", None, {}),
        ("get", f"/api/opportunities/{w.theirs.pk}", None, {}),
        ("get", f"/api/users/{w.rep.pk}", None, {}),
        ("get", f"/api/teams/{w.team.pk}", None, {}),
        ("get", f"/api/business-units/{w.rep.business_unit_id}", None, {}),
        ("get", f"/api/products/{w.product.pk}", None, {}),
        ("get", "/api/products/999999", None, {}),
        ("get", lines, None, {}),
        ("get", f"{lines}/{w.line.pk}", None, {}),
        # create
        ("post", "/api/accounts", {"name": "Northwind"}, {}),
        ("post", "/api/accounts", {"name": ""}, {}),
        ("post", "/api/contacts", {"last_name": "Apiton"}, {}),
        ("post", "/api/opportunities", {"name": "N", "contact": w.contact.pk}, {}),
        ("post", "/api/opportunities", {"name": "N"}, {}),
        ("post", "/api/accounts", "not json", {}),
        # partial update
        ("patch", f"/api/accounts/{w.account.pk}", {"name": "A"}, {"if_match": tag(w.account)}),
        ("patch", f"/api/accounts/{w.account.pk}", {"name": "B"}, {"if_match": tag(w.account)}),
        ("patch", f"/api/accounts/{w.account.pk}", {"name": "C"}, {"if_match": "*"}),
        ("patch", f"/api/contacts/{w.contact.pk}", {"email": "x"}, {"if_match": tag(w.contact)}),
        ("patch", f"/api/contacts/{w.contact.pk}", {"job_title": "CTO"}, {}),
        ("patch", f"/api/opportunities/{w.won.pk}", {"name": "x"}, {"if_match": tag(w.won)}),
        # the outcome
        ("post", f"/api/opportunities/{o.pk}/win", {"actual_value": "1"}, {"if_match": tag(o)}),
        ("post", f"/api/opportunities/{o.pk}/lose", {"reason": 4}, {"if_match": "junk"}),
        ("post", f"/api/opportunities/{w.won.pk}/win",
         {"actual_value": "1", "actual_close_date": "2025-01-02"}, {"if_match": tag(w.won)}),
        ("post", f"/api/opportunities/{w.lost.pk}/reopen", None, {"if_match": tag(w.lost)}),
        ("post", f"/api/opportunities/{w.no_estimate.pk}/lose", {"reason": 5},
         {"if_match": tag(w.no_estimate)}),
        # product lines
        ("post", lines, {"product": w.product.pk, "note": "API"}, {}),
        ("post", lines, {"product": w.line.product_id}, {}),
        ("post", f"/api/opportunities/{w.won.pk}/products", {"product": w.product.pk}, {}),
        ("delete", f"{lines}/{w.line.pk}", None, {}),
        ("delete", f"{lines}/{w.line.pk}", None, {"if_match": '"1"'}),
        ("delete", f"/api/opportunities/{w.won.pk}/products/{w.won_line.pk}", None,
         {"if_match": f'"{line_version(w.won_line)}"'}),
        ("delete", f"{lines}/{w.line.pk}", None, {"if_match": f'"{line_version(w.line)}"'}),
        ("delete", f"{lines}/{w.line.pk}", None, {"if_match": f'"{line_version(w.line)}"'}),
        # the last: it closes the opportunity the lines above were on
        ("post", f"/api/opportunities/{o.pk}/win",
         {"actual_value": "10.5", "actual_close_date": "2025-01-02"}, {"if_match": tag(o)}),
    ]  # fmt: skip


def test_every_answer_is_the_one_the_schema_documents(openapi, rep_client, world):
    statuses = set()
    for method, url, data, headers in _calls(world):
        response = _send(rep_client, method, url, data, **headers)
        assert_documented(openapi, response)
        statuses.add(response.status_code)
    assert statuses >= {200, 201, 204, 400, 404, 409, 412, 428}


def test_refusals_of_callers_are_documented_too(openapi, client, rep, settings):
    account = factories.AccountFactory(owner_user=rep)
    responses = [client.get("/api/accounts"), client.get(f"/api/accounts/{account.pk}")]
    _, key = create_api_token(user=rep, name="Sync", scope=TokenScope.READ, by=rep)
    bearer = {"authorization": f"Bearer {key}"}
    responses.append(_send(client, "post", "/api/contacts", {}, **bearer))
    responses.append(
        _send(
            client, "patch", f"/api/accounts/{account.pk}", {}, if_match='"1"', **bearer
        )
    )
    session = Client()
    session.force_login(rep)
    responses.append(session.post("/api/accounts", {"name": "form"}))
    settings.LEADSITE_API_RATE = "1/min"
    session.get("/api/products")
    responses.append(session.get("/api/products"))
    # A form body: 415, or 400 once the CSRF check has read the form.
    statuses = [r.status_code for r in responses]
    assert statuses[:4] + statuses[5:] == [401, 401, 403, 403, 429]
    assert statuses[4] in (400, 415)
    for response in responses:
        assert_documented(openapi, response)
