"""Webhook pages: the subscriptions, one subscription with its delivery log, and
its actions (edit, delete, rotate the secret, pause, resume, test event, send
again). Administrators and managers only: a rep gets 403 on the list and the new
form, and 404 on any subscription (none is in their reach)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from leadsite.core.pagination import paginate
from leadsite.core.versioning import EditConflict
from webhooks import tasks
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, DeliveryStatus, Subscription
from webhooks.permissions import may_use_webhooks
from webhooks.selectors import (
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
)
from webhooks.services import subscriptions as services

CONFLICT = _(
    "This subscription changed since you opened the page; nothing was saved. "
    "It is shown as it is now."
)


def _refuse_unless_may_use(request) -> None:
    if not may_use_webhooks(request.user):
        raise PermissionDenied(
            gettext("Only administrators and managers use webhooks.")
        )


def _subscription_or_404(request, pk) -> Subscription:
    try:
        return get_subscription(user=request.user, pk=pk)
    except Subscription.DoesNotExist:
        raise Http404("No such subscription.") from None


def _add_service_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_http_methods(["GET"])
def subscription_list(request):
    _refuse_unless_may_use(request)
    page = paginate(request, list_subscriptions(user=request.user))
    return render(
        request,
        "webhooks/subscription_list.html",
        {"page": page, "subscriptions": page.object_list},
    )


@require_http_methods(["GET", "POST"])
def subscription_create(request):
    _refuse_unless_may_use(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.EDITABLE}
        try:
            subscription = services.create_subscription(by=request.user, **data)
        except ValidationError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request,
                gettext(
                    "Subscription created. Its signing secret is below: give it to "
                    "the receiver so it can check each request's signature."
                ),
            )
            return redirect(subscription)
    return render(request, "webhooks/subscription_form.html", {"form": form})


@require_http_methods(["GET"])
def subscription_detail(request, pk):
    subscription = _subscription_or_404(request, pk)
    page = paginate(request, list_deliveries(subscription=subscription))
    return render(
        request,
        "webhooks/subscription_detail.html",
        {
            "subscription": subscription,
            "page": page,
            "deliveries": page.object_list,
            "pending": DeliveryStatus.PENDING,
        },
    )


@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk):
    subscription = _subscription_or_404(request, pk)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.EDITABLE}
        try:
            services.update_subscription(
                subscription=subscription,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **data,
            )
        except EditConflict:
            messages.error(request, CONFLICT)
            return redirect("webhooks:edit", pk=subscription.pk)
        except ValidationError as error:
            _add_service_error(form, error)
        else:
            if data["is_active"]:
                tasks.wake()  # turned on again: what waited goes out
            messages.success(request, gettext("Subscription saved."))
            return redirect(subscription)
    return render(
        request,
        "webhooks/subscription_form.html",
        {"form": form, "subscription": subscription},
    )


@require_POST
def subscription_delete(request, pk):
    subscription = _subscription_or_404(request, pk)
    services.delete_subscription(subscription=subscription, by=request.user)
    messages.success(
        request,
        gettext("Subscription “%(subscription)s” deleted.")
        % {"subscription": subscription},
    )
    return redirect("webhooks:list")


@require_POST
def subscription_rotate_secret(request, pk):
    subscription = _subscription_or_404(request, pk)
    services.rotate_secret(subscription=subscription, by=request.user)
    messages.success(
        request,
        gettext(
            "New signing secret made. Requests carry a signature with the old "
            "secret too for a while, so the receiver can switch without losing a "
            "message."
        ),
    )
    return redirect(subscription)


@require_POST
def subscription_pause(request, pk):
    subscription = _subscription_or_404(request, pk)
    services.pause_subscription(subscription=subscription, by=request.user)
    messages.success(
        request, gettext("Paused: events are kept and sent once you resume.")
    )
    return redirect(subscription)


@require_POST
def subscription_resume(request, pk):
    subscription = _subscription_or_404(request, pk)
    services.resume_subscription(subscription=subscription, by=request.user)
    tasks.wake()
    messages.success(request, gettext("Resumed: the deliveries waiting go out now."))
    return redirect(subscription)


@require_POST
def subscription_test(request, pk):
    subscription = _subscription_or_404(request, pk)
    services.send_test_event(subscription=subscription, by=request.user)
    tasks.wake()
    messages.success(
        request,
        gettext("Test event queued; it shows in the log below.")
        if subscription.is_active
        else gettext(
            "Test event queued; it shows in the log below and goes out once you resume."
        ),
    )
    return redirect(subscription)


@require_POST
def delivery_send_again(request, pk, delivery_pk):
    subscription = _subscription_or_404(request, pk)
    try:
        delivery = get_delivery(subscription=subscription, pk=delivery_pk)
    except Delivery.DoesNotExist:
        raise Http404("No such delivery.") from None
    services.replay_delivery(delivery=delivery, by=request.user)
    tasks.wake()
    messages.success(
        request,
        gettext("Delivery #%(id)s will be sent again.") % {"id": delivery.pk},
    )
    return redirect(subscription)
