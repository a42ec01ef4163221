"""The user's own settings page (language, time zone; links to the email signature
and API tokens) and the language switcher of every page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import UserSettingsForm
from accounts.services.profile import update_locale
from accounts.views.common import add_service_error


@require_http_methods(["GET", "POST"])
def user_settings(request):
    user = request.user
    initial = {"language": user.language, "time_zone": user.time_zone}
    form = UserSettingsForm(request.POST or None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            update_locale(user=user, by=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            response = redirect("accounts:settings")
            language = form.cleaned_data["language"]
            if language:
                # The confirmation (rendered at the end of this request) and the
                # pages after signing out speak the new language too.
                translation.activate(language)
                _remember_language(response, language)
            else:
                response.delete_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
            messages.success(request, _("Your settings are saved."))
            return response
    return render(request, "accounts/user_settings.html", {"form": form})


@login_not_required
@require_POST
def set_language(request):
    """Django's set_language (the cookie, then back to `next`); a signed-in user's
    choice is also saved as their language."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        update_locale(user=request.user, by=request.user, language=language)
    return response


def _remember_language(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
