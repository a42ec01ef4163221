"""Problem details (RFC 9457) for every error the API answers."""

import pytest

from tests import factories

PROBLEM = "application/problem+json"


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner_user=rep)


def _assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "body", ["{", '{"subject": ', "\x00\xff", "[1, 2", '{"a": 1}}']
)
def test_malformed_json_is_a_400_problem(rep_client, lead, body):
    response = rep_client.patch(
        f"/api/leads/{lead.pk}",
        body,
        content_type="application/json",
        headers={"if-match": f'"{lead.version}"'},
    )
    problem = _assert_problem(response, 400)
    assert problem["type"] == "urn:leadsite:problem:parse-error"


def test_a_json_list_instead_of_an_object_is_a_validation_problem(rep_client):
    response = rep_client.post("/api/leads", "[1]", content_type="application/json")
    assert "errors" in _assert_problem(response, 400)


def test_missing_lead_is_a_404_problem(rep_client):
    body = _assert_problem(rep_client.get("/api/leads/999999"), 404)
    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"


def test_wrong_method_is_a_405_problem(rep_client, lead):
    response = rep_client.get(f"/api/leads/{lead.pk}/qualify")
    _assert_problem(response, 405)
    assert "POST" in response["Allow"]


def test_a_form_body_is_refused_as_a_problem(rep_client):
    response = rep_client.post("/api/leads", {"subject": "x"})
    _assert_problem(response, response.status_code)
    assert response.status_code in (400, 415)


def test_anonymous_is_a_401_problem_everywhere(client, lead):
    for url in ("/api/leads", f"/api/leads/{lead.pk}", "/api/schema/"):
        response = client.get(url)
        _assert_problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    # The docs are a page for people: the login page first, then back.
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/login/?next=/api/docs/"


def test_precondition_problems(rep_client, lead):
    url = f"/api/leads/{lead.pk}"
    body = _assert_problem(
        rep_client.patch(url, "{}", content_type="application/json"), 428
    )
    assert body["type"] == "urn:leadsite:problem:precondition-required"
    for tag in ('W/"1"', "*", '"1", "2"', "junk"):
        response = rep_client.patch(
            url, "{}", content_type="application/json", headers={"if-match": tag}
        )
        _assert_problem(response, 412)


@pytest.mark.parametrize(
    "path", ["/api/nothing-here", "/api/leads/%C2%84", "/api/leads/1/nope"]
)
def test_a_url_that_matches_no_endpoint_is_a_404_problem(rep_client, path):
    response = rep_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "/api/schema/" in response.json()["detail"]
    # Pages outside the API keep the site's 404 page.
    page = rep_client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_is_a_413_problem(rep_client, settings):
    settings.LEADSITE_MAX_UPLOAD_SIZE = 1024
    response = rep_client.post(
        "/api/leads", "x" * (1024 * 1024 + 4096), content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "too large" in response.json()["detail"]
