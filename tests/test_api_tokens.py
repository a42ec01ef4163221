"""Personal API tokens: created on the user's page or in the admin, shown once and
stored hashed; Bearer authentication, read-only scope, per-token throttling."""

import datetime
import hashlib

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.api.authentication import TokenAuthentication
from accounts.api.permissions import TokenScopePermission
from accounts.api.throttling import TokenRateThrottle
from accounts.models import ApiToken, TokenScope
from accounts.services.tokens import create_api_token, revoke_api_token
from leadsite.core.services import WriteOutsideService
from tests import factories
from tests.reading import page


class EchoView(APIView):
    """A stand-in API endpoint with the classes settings.REST_FRAMEWORK names."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, TokenScopePermission]
    throttle_classes = [TokenRateThrottle]

    def get(self, request):
        return Response({"user": request.user.username, "token": request.auth.name})

    def post(self, request):
        return Response({"written": True}, status=201)


def call(key=None, method="get", header=None):
    factory = APIRequestFactory()
    extra = {}
    if header is not None:
        extra["HTTP_AUTHORIZATION"] = header
    elif key is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    response = EchoView.as_view()(getattr(factory, method)("/api/echo/", **extra))
    response.render()
    return response


def new_token(user, scope=TokenScope.READ_WRITE, **kwargs):
    kwargs.setdefault("name", "Website sync")
    return create_api_token(user=user, scope=scope, by=user, **kwargs)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- creating: the key once, its hash stored ----------------------------------------


def test_create_returns_the_key_and_stores_only_its_hash(rep):
    token, key = new_token(rep)
    prefix, secret = key.removeprefix("ls_").split("_", 1)
    assert prefix == token.prefix
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.values().get().values())
    assert secret not in stored
    assert key not in str(token)


def test_only_the_user_or_an_administrator_creates_and_revokes(
    rep, rep2, administrator
):
    with pytest.raises(PermissionDenied):
        create_api_token(user=rep2, name="Not mine", by=rep)
    token, _ = create_api_token(user=rep2, name="Given", by=administrator)
    with pytest.raises(PermissionDenied):
        revoke_api_token(token=token, by=rep)
    assert revoke_api_token(token=token, by=administrator).revoked_at is not None


def test_a_token_row_is_written_only_by_the_services(rep):
    token, _ = new_token(rep)
    token.name = "Renamed"
    with pytest.raises(WriteOutsideService):
        token.save()
    with pytest.raises(WriteOutsideService):
        token.delete()


def test_tokens_have_no_change_history():
    assert not hasattr(ApiToken, "history")


def test_authorization_header_is_hidden_in_error_reports(rep):
    _, key = new_token(rep)
    request = RequestFactory().get("/api/", HTTP_AUTHORIZATION=f"Bearer {key}")
    meta = SafeExceptionReporterFilter().get_safe_request_meta(request)
    assert key not in str(meta["HTTP_AUTHORIZATION"])


# --- authentication ------------------------------------------------------------------


def test_the_key_authenticates_as_its_user(rep):
    token, key = new_token(rep)
    response = call(key)
    assert response.status_code == 200
    assert response.data == {"user": "rep", "token": "Website sync"}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_time_is_written_at_most_once_a_minute(rep):
    token, key = new_token(rep)
    call(key)
    first = ApiToken.objects.get().last_used_at
    call(key)
    assert ApiToken.objects.get().last_used_at == first
    earlier = first - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    call(key)
    assert ApiToken.objects.get().last_used_at > first


def _revoked(user):
    token, key = new_token(user)
    revoke_api_token(token=token, by=user)
    return key


def _expired(user):
    token, key = new_token(user)
    past = timezone.now() - datetime.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=past)
    return key


def _wrong_secret(user):
    _, key = new_token(user)
    return key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")


def _inactive_user(user):
    _, key = new_token(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    return key


@pytest.mark.parametrize(
    "make_key",
    [
        lambda user: "ls_0000abcd_" + "x" * 43,
        lambda user: "garbage",
        _wrong_secret,
        _revoked,
        _expired,
        _inactive_user,
    ],
    ids=["unknown", "malformed", "wrong-secret", "revoked", "expired", "inactive"],
)
def test_refused_keys_answer_401(rep, make_key):
    response = call(make_key(rep))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Website sync" not in response.content.decode()


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer a b", "Basic cmVwOng="])
def test_no_usable_bearer_key_answers_401(db, header):
    response = call(header=header) if header else call()
    assert response.status_code == 401


# --- scope ---------------------------------------------------------------------------


def test_read_only_token_reads_but_may_not_write(rep):
    _, key = new_token(rep, scope=TokenScope.READ)
    assert call(key).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert call(key, method=method).status_code == 403


def test_read_write_token_writes(rep):
    _, key = new_token(rep, scope=TokenScope.READ_WRITE)
    assert call(key, method="post").status_code == 201


# --- throttling ------------------------------------------------------------------------


def test_each_token_has_its_own_limit_with_retry_after(rep, settings):
    settings.LEADSITE_API_RATE = "2/min"
    _, key = new_token(rep)
    _, other = new_token(rep, name="Other")
    assert [call(key).status_code for _ in range(2)] == [200, 200]
    refused = call(key)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert call(other).status_code == 200


# --- the user's page -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "manager", "administrator"])
def test_every_role_creates_a_token_and_sees_its_key_once(client, role, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse("accounts:api-tokens")
    assert client.get(url).status_code == 200
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    response = client.post(
        url, {"name": "ERP", "scope": TokenScope.READ, "expires_on": tomorrow}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Copy your new API token now" in html
    assert "only time the key is shown" in html
    key = page(html).find(id="api-token-key").attrs["value"]
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.scope) == ("ERP", TokenScope.READ)
    assert token.expires_at.date() > tomorrow - datetime.timedelta(days=1)
    assert call(key).status_code == 200

    listing = client.get(url).content.decode()
    assert key not in listing
    assert f"ls_{token.prefix}_" in listing
    assert "ERP" in listing


def test_the_tokens_page_is_one_click_from_the_menu(rep_client):
    # The user menu links to My settings, which links to the tokens page.
    html = rep_client.get(reverse("leads:home")).content.decode()
    assert reverse("accounts:settings") in html
    settings_page = rep_client.get(reverse("accounts:settings")).content.decode()
    assert reverse("accounts:api-tokens") in settings_page


def test_form_errors_show_beside_the_fields(rep_client, rep):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = rep_client.post(
        reverse("accounts:api-tokens"),
        {"name": "", "scope": "admin", "expires_on": yesterday},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "scope", "expires_on"}
    assert "Choose a day after today." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_list_shows_only_own_tokens(rep_client, rep, rep2):
    new_token(rep, name="Mine")
    new_token(rep2, name="Theirs")
    html = rep_client.get(reverse("accounts:api-tokens")).content.decode()
    assert "Mine" in html
    assert "Theirs" not in html


def test_revoking_own_token_stops_its_key(rep_client, rep):
    token, key = new_token(rep)
    response = rep_client.post(reverse("accounts:api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(key).status_code == 401
    html = rep_client.get(response["Location"]).content.decode()
    assert "revoked" in html
    assert "Revoked" in html


def test_another_users_token_cannot_be_revoked(manager_client, rep):
    token, key = new_token(rep)
    url = reverse("accounts:api-token-revoke", args=[token.pk])
    assert manager_client.post(url).status_code == 404
    assert manager_client.get(url).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    assert call(key).status_code == 200


# --- the admin -------------------------------------------------------------------------


def test_admin_adds_a_token_through_the_service_and_shows_the_key_once(
    admin_client_, rep
):
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_add"),
        {"user": rep.pk, "name": "Nightly ERP", "scope": TokenScope.READ},
    )
    assert response.status_code == 200
    key = page(response.content).find(id="api-token-key").attrs["value"]
    token = ApiToken.objects.get()
    assert token.user == rep
    assert call(key).status_code == 200
    assert key not in LogEntry.objects.get().change_message
    change = admin_client_.get(
        reverse("admin:accounts_apitoken_change", args=[token.pk])
    ).content.decode()
    assert token.key_hash not in change
    assert key not in change


def test_admin_refuses_a_past_expiry(admin_client_, rep):
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_add"),
        {
            "user": rep.pk,
            "name": "Old",
            "scope": TokenScope.READ,
            "expires_at_0": "2020-01-01",
            "expires_at_1": "10:00",
        },
    )
    assert response.status_code == 200
    assert "Choose a moment in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_admin_revoke_action(admin_client_, rep):
    token, key = new_token(rep)
    response = admin_client_.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert call(key).status_code == 401


# --- the API with a token (the project's settings) -------------------------------


def test_a_token_reads_its_users_leads_and_nobody_elses(client, rep, rep2):
    mine = factories.LeadFactory(owner_user=rep)
    theirs = factories.LeadFactory(owner_user=rep2)
    _token, key = create_api_token(user=rep, name="sync", by=rep)
    auth = {"authorization": f"Bearer {key}"}
    listed = client.get("/api/leads", headers=auth)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert client.get(f"/api/leads/{theirs.pk}", headers=auth).status_code == 404


def test_a_read_only_token_cannot_write_through_the_api(client, rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    _token, key = create_api_token(user=rep, name="reports", by=rep)
    response = client.patch(
        f"/api/leads/{lead.pk}",
        {"subject": "After"},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}", "if-match": f'"{lead.version}"'},
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    lead.refresh_from_db()
    assert lead.subject == "Before"


def test_a_read_write_token_writes_without_a_csrf_token(client, rep):
    lead = factories.LeadFactory(owner_user=rep, subject="Before")
    _token, key = create_api_token(
        user=rep, name="erp", scope=TokenScope.READ_WRITE, by=rep
    )
    response = client.patch(
        f"/api/leads/{lead.pk}",
        {"subject": "After"},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}", "if-match": f'"{lead.version}"'},
    )
    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert lead.subject == "After"


def test_an_anonymous_api_call_is_401_with_the_bearer_challenge(client):
    response = client.get("/api/leads")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"


def test_the_user_menu_links_the_api_docs_once_the_user_has_a_token(rep_client, rep):
    assert b'href="/api/docs/">API docs' not in rep_client.get("/").content
    token, _ = new_token(rep)
    assert b'href="/api/docs/">API docs' in rep_client.get("/").content
    revoke_api_token(token=token, by=rep)
    assert b'href="/api/docs/">API docs' not in rep_client.get("/").content
    # The tokens page points there whatever the user holds.
    assert b'href="/api/docs/"' in rep_client.get("/account/api-tokens/").content
