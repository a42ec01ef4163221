"""The notifications pages: the list (opening it marks what it shows read), "mark
all read" and the preferences. Every user sees only their own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import forget_access_part
from leadsite.core.pagination import paginate
from notifications.forms import PreferencesForm
from notifications.selectors import kinds_for, list_notifications, preferences_of
from notifications.services import delivery as services
from notifications.targets import attach_links

PER_PAGE = 25


@require_http_methods(["GET"])
def notification_list(request):
    page = paginate(
        request,
        list_notifications(user=request.user).select_related("actor"),
        per_page=PER_PAGE,
    )
    attach_links(request.user, page.object_list)
    unread = [n.pk for n in page.object_list if n.read_at is None]
    if unread:
        services.mark_read(user=request.user, ids=unread)
        # The bell of this very page counts what is still unread.
        forget_access_part(request.user, "unread")
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "notifications": page.object_list, "unread": len(unread)},
    )


@require_POST
def mark_all_read(request):
    count = services.mark_all_read(user=request.user)
    if count:
        messages.success(request, gettext("Every notification is marked read."))
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    kinds = kinds_for(request.user)
    form = PreferencesForm(
        request.POST or None,
        kinds=kinds,
        initial=preferences_of(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_preferences(user=request.user, channels=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Your notification settings are saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/preferences.html", {"form": form})
