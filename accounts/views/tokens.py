"""The user's own API tokens: list, create (the key shown once), revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.selectors import get_api_token, list_api_tokens
from accounts.services.tokens import create_api_token, revoke_api_token
from accounts.views.common import add_service_error


@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            token, key = create_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            # Rendered, not redirected: the key is in this response only (never in a
            # URL, the session or a message cookie), and signed-in pages are no-store.
            messages.success(
                request,
                gettext("API token “%(name)s” created.") % {"name": token.name},
            )
            return render(
                request, "accounts/api_token_created.html", {"token": token, "key": key}
            )
    return render(
        request,
        "accounts/api_token_list.html",
        {"form": form, "tokens": list_api_tokens(user=request.user)},
    )


@require_POST
def api_token_revoke(request, pk):
    try:
        token = get_api_token(user=request.user, pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    revoke_api_token(token=token, by=request.user)
    messages.success(
        request, gettext("API token “%(name)s” revoked.") % {"name": token.name}
    )
    return redirect("accounts:api-tokens")
