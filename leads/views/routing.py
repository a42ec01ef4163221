"""Routing pages: rules by level with the rule set's dry run, the unassigned queue
and the assignment log (tabs, each paginated), the rule form with its dry run, and
the route actions on leads."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from leads.exceptions import TransitionRefused
from leads.forms.routing import (
    DRY_RUN_DEFAULT,
    FIELD_KINDS,
    AssignmentLogFilterForm,
    ConditionFormSet,
    DryRunForm,
    RoutingDryRunForm,
    RoutingRuleForm,
    condition_initial,
    resolve_rule_conflict,
)
from leads.models import Lead, RoutingRule
from leads.permissions import can_edit_routing_rule, can_manage_routing
from leads.selectors import leads as lead_selectors
from leads.selectors.routing import pages as routing_selectors
from leads.selectors.routing.dry_run import dry_run
from leads.services import routing as routing_services
from leads.views.common import form_panel, lead_or_404
from leadsite.core.http import safe_next_url
from leadsite.core.pagination import paginate
from leadsite.core.versioning import EditConflict

QUEUE_PAGE = 50
LOG_PAGE = 50


def _tabs(*, user, queue=None, log=None) -> dict:
    """The routing tabs' counts: `queue` and `log` when the page has counted them
    already (its paginator's Page), else a capped count each."""
    if queue is None:
        queue = routing_selectors.capped_count(
            routing_selectors.unassigned_queue(user=user)
        )
    if log is None:
        log = routing_selectors.capped_count(
            routing_selectors.assignment_log(user=user, filters={})
        )
    return {"queue": queue, "log": log}


class RoutingView(TemplateView):
    """The rules and, for those who change them, the dry run of the rule set (GET:
    it writes nothing); the queue and the log are tabs of their own."""

    template_name = "leads/routing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rules = routing_selectors.list_routing_rules(user=user)
        can_manage = can_manage_routing(user)
        context.update(
            rules=rules,
            groups=routing_selectors.rules_by_level(rules),
            hit_days=routing_selectors.HIT_DAYS,
            can_manage=can_manage,
            tabs=_tabs(user=user),
            current_tab="rules",
        )
        if can_manage:
            params = self.request.GET if "dry_run" in self.request.GET else None
            dry_form = RoutingDryRunForm(
                params, initial={"leads": DRY_RUN_DEFAULT}, rules=rules
            )
            context["dry_form"] = dry_form
            if params is not None and dry_form.is_valid():
                limit = dry_form.cleaned_data["leads"] or DRY_RUN_DEFAULT
                context.update(
                    dry_run=dry_run(
                        user=user,
                        limit=limit,
                        inactive=dry_form.cleaned_data["inactive"],
                        saved=rules,
                    ),
                    dry_limit=limit,
                )
        return context


def unassigned_queue(request):
    page = paginate(
        request,
        routing_selectors.unassigned_queue(user=request.user),
        per_page=QUEUE_PAGE,
        cap=routing_selectors.COUNT_CAP,
    )
    return render(
        request,
        "leads/routing_queue.html",
        {
            "page": page,
            "tabs": _tabs(user=request.user, queue=page),
            "current_tab": "queue",
        },
    )


def assignment_log(request):
    form = AssignmentLogFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(
        request,
        routing_selectors.assignment_log(user=request.user, filters=filters),
        per_page=LOG_PAGE,
        cap=routing_selectors.COUNT_CAP,
    )
    filtered = any(value not in (None, "") for value in filters.values())
    return render(
        request,
        "leads/routing_log.html",
        {
            "form": form,
            "page": page,
            "filtered": filtered,
            "tabs": _tabs(user=request.user, log=None if filtered else page),
            "current_tab": "log",
        },
    )


def _editable_rule(request, pk):
    try:
        rule = RoutingRule.objects.select_related("channel_partner").get(pk=pk)
    except RoutingRule.DoesNotExist:
        raise Http404("No such routing rule.") from None
    if not can_edit_routing_rule(request.user, rule):
        raise Http404("No routing rule here that you may change.")
    return rule


def rule_create(request):
    if not can_manage_routing(request.user):
        raise Http404("Only managers and administrators change routing.")
    return _rule_form_page(request, rule=None)


def rule_edit(request, pk):
    return _rule_form_page(request, rule=_editable_rule(request, pk))


def _rule_form_page(request, *, rule):
    user = request.user
    context = {"rule": rule, "field_kinds": FIELD_KINDS}
    if request.method != "POST":
        form = RoutingRuleForm(instance=rule, user=user)
        formset = ConditionFormSet(
            prefix="conditions",
            user=user,
            initial=condition_initial(rule.conditions if rule else []),
        )
        dry_form = DryRunForm(initial={"leads": DRY_RUN_DEFAULT})
        return render(
            request,
            "leads/routing_rule_form.html",
            {**context, "form": form, "formset": formset, "dry_form": dry_form},
        )
    form = RoutingRuleForm(request.POST, instance=rule, user=user)
    formset = ConditionFormSet(request.POST, prefix="conditions", user=user)
    dry_form = DryRunForm(request.POST)
    context.update(form=form, formset=formset, dry_form=dry_form)
    valid = form.is_valid() & formset.is_valid()
    if valid and "dry_run" in request.POST:
        if dry_form.is_valid():
            # form.instance now carries the unsaved edits; nothing is written.
            draft = form.instance
            draft.conditions = formset.conditions()
            limit = dry_form.cleaned_data["leads"] or DRY_RUN_DEFAULT
            context.update(
                dry_run=dry_run(user=user, rule=draft, limit=limit),
                dry_limit=limit,
            )
        return render(request, "leads/routing_rule_form.html", context)
    if valid:
        try:
            saved = routing_services.save_routing_rule(
                by=user,
                rule=rule,
                conditions=formset.conditions(),
                expected_version=form.cleaned_data["version"] if rule else None,
                **form.service_fields(),
            )
        except EditConflict as conflict:
            merged, formset, rows = resolve_rule_conflict(
                form, formset, conflict.current, user=user
            )
            context.update(form=merged, formset=formset, conflict_rows=rows)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = (
                gettext("Routing rule “%(rule)s” saved.")
                if rule
                else gettext("Routing rule “%(rule)s” created.")
            )
            messages.success(request, done % {"rule": saved})
            return redirect("leads:routing")
    return render(request, "leads/routing_rule_form.html", context)


@require_POST
def rule_toggle(request, pk):
    rule = _editable_rule(request, pk)
    active = not rule.is_active
    routing_services.set_routing_rule_active(rule=rule, by=request.user, active=active)
    done = (
        gettext("Routing rule “%(rule)s” switched on.")
        if active
        else gettext("Routing rule “%(rule)s” switched off.")
    )
    messages.success(request, done % {"rule": rule})
    return redirect("leads:routing")


@require_POST
def rule_move(request, pk):
    rule = _editable_rule(request, pk)
    up = request.POST.get("direction") != "down"
    routing_services.move_routing_rule(rule=rule, by=request.user, up=up)
    done = (
        gettext("Routing rule “%(rule)s” moved up.")
        if up
        else gettext("Routing rule “%(rule)s” moved down.")
    )
    messages.success(request, done % {"rule": rule})
    return redirect("leads:routing")


@require_GET
def lead_routing_history(request, pk):
    """The lead's assignment log, newest first: loaded when the lead page's
    "Routing history" opens (without JavaScript a page of its own)."""
    lead = lead_or_404(request, pk)
    return form_panel(
        request,
        lead,
        title=_("Routing history"),
        template="leads/partials/routing_history_list.html",
        context={"routing_history": routing_selectors.lead_routing_history(lead=lead)},
    )


@require_POST
def lead_route_again(request, pk):
    try:
        lead = lead_selectors.get_lead(pk=pk, user=request.user)
    except Lead.DoesNotExist:
        raise Http404("No lead here, or not one you can see.") from None
    try:
        entry = routing_services.route_lead(lead=lead, by=request.user, trigger="again")
    except TransitionRefused as error:
        messages.warning(request, " ".join(error.messages))
    else:
        messages.success(
            request, gettext("Routed again: %(detail)s.") % {"detail": entry.detail}
        )
        if not lead_selectors.list_leads(user=request.user).filter(pk=pk).exists():
            # The lead left the user's scope with its new owner.
            return redirect("leads:list")
    next_url = safe_next_url(request, request.POST.get("next"))
    return redirect(next_url or reverse("leads:detail", args=[lead.pk]))
