"""Access to every URL of the site: login, record scope, methods and CSRF, and
junk in query strings and POST bodies.

Driven by the URL resolver: every named URL outside PUBLIC_NAMES / PUBLIC_NAMESPACES
needs an entry in ROUTES, so a new page without a scope case fails
test_every_url_has_an_audit_case. Each case builds the page's target records for a
given owner and a POST body that would write if a gate were missing; "nothing was
written" compares every row of the leads, accounts and transition-log tables before
and after the request.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from accounts.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityProduct,
    OpportunityStatus,
    SalesStage,
    SavedView,
    StageProcess,
    StageStep,
)
from accounts.permissions import SALES_REP
from accounts.services.saved_views import save_view
from accounts.services.stages import create_stage_step
from accounts.services.tokens import create_api_token
from leads.forms.lifecycle import BulkActionForm, LeadForm
from leads.forms.links import InterestForm
from leads.forms.merge import MergeLeadsForm
from leads.forms.qualification import QualifyLeadForm
from leads.forms.timeline import ActivityForm, NoteForm
from leads.models import (
    ActivityKind,
    ConsentPurpose,
    Direction,
    DuplicateRule,
    DuplicateScan,
    EmailMessage,
    EmailState,
    ImportBatch,
    ImportStatus,
    LeadRating,
    LeadStatus,
    Note,
)
from leads.services.exports import build_export, start_export
from leads.services.mass_update import create_mass_update, process_mass_update
from leadsite.core.services import service_context
from privacy.models import Erasure, LegalHold
from tests import factories
from tests.support import JUNK, snapshot, user_in
from webhooks.models import Delivery, Event, Subscription

PUBLIC_NAMES = {
    "login",
    "logout",
    "healthz",
    "capture",
    "capture-thanks",
    "api:capture",
    # The double opt-in link a capture form's visitor follows (tests/test_consent.py).
    "leads:consent-confirm",
    # The language switcher and the JavaScript catalog (the login page has both).
    "set_language",
    "javascript-catalog",
}
# The Django admin has its own login (test_admin.py: test_admin_scope_for_a_staff_rep).
PUBLIC_NAMESPACES = {"admin"}


def iter_url_patterns(patterns=None, namespace=None):
    """(full name, pattern) for every named URL pattern, recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from iter_url_patterns(pattern.url_patterns, inner)
        elif pattern.name:
            yield (
                (f"{namespace}:{pattern.name}" if namespace else pattern.name),
                pattern,
            )


def _is_public(name):
    return name in PUBLIC_NAMES or name.split(":")[0] in PUBLIC_NAMESPACES


URL_NAMES = sorted({name for name, _ in iter_url_patterns() if not _is_public(name)})


def _data(data):
    """POST body with upload factories called (a file can be read only once)."""
    return {key: value() if callable(value) else value for key, value in data.items()}


# --- the audit table: URL name -> how to build its target for an owner -----------------


@dataclass
class Route:
    build: Callable  # (owner, actor) -> (url kwargs, POST data)
    get: bool = True  # the view answers GET
    post: bool = True  # the view answers POST
    takes_record: bool = True
    # What a GET by someone in scope may answer (merge without ids: nothing to show).
    get_statuses: tuple = (200, 302)
    variants: list = field(default_factory=lambda: [None])
    # Only the record's creator reaches it (an export job): no manager sees it.
    owner_only: bool = False
    # The REST API (/api/): JSON in and out, problem details instead of redirects
    # and pages (tests/test_api_*.py): anonymous callers get 401/403, refused
    # input a 4xx problem.
    api: bool = False
    # What a rep's request may answer besides the page: 403 where the whole
    # feature is not theirs (webhooks' list and new form).
    refused: tuple = ()


def _lead(owner, **kwargs):
    return factories.LeadFactory(owner_user=owner, **kwargs)


def _opportunity(owner, **kwargs):
    return factories.OpportunityFactory(owner_user=owner, **kwargs)


def _record(kind, owner):
    return {
        "lead": lambda: _lead(owner),
        "account": lambda: factories.AccountFactory(owner_user=owner),
        "contact": lambda: factories.ContactFactory(owner_user=owner),
        "opportunity": lambda: _opportunity(owner),
    }[kind]()


LEAD_DATA = {
    "subject": "Tampered",
    "last_name": "Mallory",
    "source": "8",
    "confirm_duplicates": "on",
}
ACTIVITY_DATA = {
    "kind": ActivityKind.PHONE_CALL,
    "subject": "Tampered call",
    "direction": Direction.OUTGOING,
    "completed": "on",
}
RECORD_TYPES = ["lead", "account", "contact", "opportunity"]


def _text_upload():
    return SimpleUploadedFile("t.txt", b"tampered\n", content_type="text/plain")


def _lead_route(data=None, get=True, post=True, **lead_kwargs):
    def build(owner, actor):
        return {"pk": _lead(owner, **lead_kwargs).pk}, dict(data or {})

    return Route(build, get=get, post=post)


def _link_route(kind):
    def build(owner, actor):
        lead = _lead(owner)
        target = (
            factories.AccountFactory(owner_user=actor)
            if kind == "account"
            else factories.ContactFactory(owner_user=actor)
        )
        return {"pk": lead.pk}, {kind: target.pk}

    # GET: the picker alone (loaded into the lead page's disclosure).
    return Route(build)


def _unlink_route(kind):
    def build(owner, actor):
        lead = _lead(owner)
        if kind == "account":
            link = factories.LeadAccountFactory(
                lead=lead, account=factories.AccountFactory(owner_user=owner)
            )
            return {"pk": lead.pk, "account_pk": link.account_id}, {}
        link = factories.LeadContactFactory(
            lead=lead, contact=factories.ContactFactory(owner_user=owner)
        )
        return {"pk": lead.pk, "contact_pk": link.contact_id}, {}

    return Route(build, get=False)


def _timeline_route(data):
    def build(owner, actor, variant):
        record = _record(variant, owner)
        return {"record_type": variant, "pk": record.pk}, dict(data)

    # GET: the add form alone (loaded into the record page's disclosure).
    return Route(build, variants=RECORD_TYPES)


def _activity_route():
    def build(owner, actor):
        activity = factories.ActivityFactory(lead=_lead(owner), owner=owner)
        return {"pk": activity.pk}, {"next": "/"}

    return Route(build, get=False)


def _email_route():
    """A failed email on one of `owner`'s leads ("Try again")."""

    def build(owner, actor):
        lead = _lead(owner)
        with service_context("tests.email_route"):  # a failed email's rows
            activity = factories.ActivityFactory(
                lead=lead, owner=owner, kind=ActivityKind.EMAIL
            )
            email = EmailMessage.objects.create(
                activity=activity,
                lead=lead,
                direction=Direction.OUTGOING,
                state=EmailState.FAILED,
                from_address="crm@example.com",
                to_address=lead.email or "lead@example.com",
                subject="Audit",
                message_id=f"<audit-{activity.pk}@example.com>",
                reply_token=f"audit{activity.pk}",
            )
        return {"pk": email.pk}, {"next": "/"}

    return Route(build, get=False)


def _attachment_route():
    def build(owner, actor):
        return {"pk": factories.AttachmentFactory(lead=_lead(owner)).pk}, {}

    return Route(build, post=False)


def _owned_route(factory, data=None, get=True, post=True):
    def build(owner, actor):
        return {"pk": factory(owner).pk}, dict(data or {})

    return Route(build, get=get, post=post)


def _product_line_route():
    def build(owner, actor):
        line = factories.OpportunityProductFactory(opportunity=_opportunity(owner))
        return {"pk": line.opportunity_id, "line_pk": line.pk}, {}

    return Route(build, get=False)


def _stage_step_route():
    """Tick a checklist step on `owner`'s opportunity (the stage bar)."""

    def build(owner, actor):
        step = StageStep.objects.filter(process=StageProcess.OPPORTUNITY, field="")
        step = step.first() or create_stage_step(
            by=owner,
            process=StageProcess.OPPORTUNITY,
            stage=SalesStage.PROPOSE,
            name="Audit step",
        )
        return {"pk": _opportunity(owner).pk, "step_id": step.pk}, {"checked": "1"}

    return Route(build, get=False)


def _opportunity_product_route():
    def build(owner, actor):
        product = factories.ProductFactory()
        return {"pk": _opportunity(owner).pk}, {"product": product.pk, "quantity": "1"}

    return Route(build, get=False)


def _interest_route(add):
    def build(owner, actor):
        lead = _lead(owner)
        if add:
            product = factories.ProductFactory()
            return {"pk": lead.pk}, {"product": product.pk, "quantity": "1"}
        interest = factories.LeadProductFactory(lead=lead)
        return {"pk": lead.pk, "interest_pk": interest.pk}, {}

    return Route(build, get=add)


def _page(data=None, get=True, post=True):
    return Route(
        lambda owner, actor: ({}, dict(data or {})),
        get=get,
        post=post,
        takes_record=False,
    )


def _bulk_route():
    def build(owner, actor):
        lead = _lead(owner)
        return {}, {
            "action": "disqualify",
            "ids": [lead.pk],
            "reason": LeadStatus.LOST,
        }

    return Route(build, get=False, takes_record=False)


def _mass_update_route():
    def build(owner, actor):
        lead = _lead(owner)
        return {}, {
            "step": "apply",
            "selected": [f"{lead.pk}:{lead.version}"],
            "set_rating": "on",
            "rating": LeadRating.HOT,
        }

    return Route(build, takes_record=False)


def _mass_update_job_route(get=True, post=True):
    """A finished mass update `owner` made of one of their leads."""

    def build(owner, actor):
        lead = _lead(owner)
        job = create_mass_update(
            by=owner,
            changes={"rating": LeadRating.HOT},
            selection=[(lead.pk, lead.version)],
        )
        process_mass_update(mass_update_id=job.pk, by=owner)
        return {"pk": job.pk}, {}

    return Route(build, get=get, post=post)


def _rule_route(get=True, post=True):
    """A routing rule of the owner's business unit; reps never edit."""

    def build(owner, actor):
        rule = factories.RoutingRuleFactory(
            business_unit=owner.business_unit, target_user=owner
        )
        return {"pk": rule.pk}, {"name": "Tampered", "direction": "up"}

    return Route(build, get=get, post=post, get_statuses=(404,))


def _duplicate_rule_route(get=True):
    """A duplicate rule of the owner's business unit; reps never edit."""

    def build(owner, actor):
        rule = DuplicateRule.objects.create(
            name="Same topic",
            business_unit=owner.business_unit,
            conditions=[{"field": "subject", "method": "iexact", "parameter": None}],
        )
        return {"pk": rule.pk}, {"name": "Tampered", "publish": "1"}

    return Route(build, get=get, get_statuses=(404,))


def _duplicate_scan_route():
    def build(owner, actor):
        return {"pk": DuplicateScan.objects.create(created_by=owner).pk}, {}

    return Route(build, post=False, takes_record=False, get_statuses=(404,))


def _import_batch_route(get=True, post=True):
    """A finished import made by `owner`; reps may not import (404 even on their own)."""

    def build(owner, actor):
        with service_context("tests.import_batch_route"):  # a finished import's row
            batch = ImportBatch.objects.create(
                created_by=owner,
                file="imports/audit.csv",
                original_name="audit.csv",
                file_format="csv",
                headers=["subject", "lastname"],
                total_rows=1,
                status=ImportStatus.DONE,
            )
        return {"pk": batch.pk}, {}

    return Route(build, get=get, post=post, get_statuses=(404,))


def _export_job_route():
    """A built export of `owner`'s: only its requester reaches it."""

    def build(owner, actor):
        job = start_export(by=owner, query="view=all")
        build_export(job_id=job.pk)
        return {"pk": job.pk}, {}

    return Route(build, post=False, owner_only=True)


def _capture_form_route():
    def build(owner, actor):
        form = factories.CaptureFormFactory(business_unit=owner.business_unit)
        return {"pk": form.pk}, {"name": "Tampered"}

    return Route(build, get_statuses=(404,))


def _api_token_route():
    """One of `owner`'s API tokens: nobody else reaches it, managers included."""

    def build(owner, actor):
        token, _ = create_api_token(user=owner, name="Audit", by=owner)
        return {"pk": token.pk}, {}

    return Route(build, get=False)


def _saved_view_route(data=None, get=False):
    """One of `owner`'s personal saved views: nobody else reaches it, managers
    included (tests/test_saved_views.py has the shared ones)."""

    def build(owner, actor):
        name = f"Audit {SavedView.objects.count()}"
        view = save_view(by=owner, list_kind="leads", name=name, query="view=all")
        return {"pk": view.pk}, dict(data or {})

    return Route(build, get=get, post=not get, owner_only=True)


TODAY = datetime.date.today().isoformat()
ROUTES = {
    # Getting leads in and out: reps may export; import pages are missing (404) for them.
    "leads:export": _page(post=False),
    "leads:export-jobs": _page({"query": "view=all", "file_format": "xlsx"}),
    "leads:export-job": _export_job_route(),
    "leads:export-job-progress": _export_job_route(),
    "leads:export-job-download": _export_job_route(),
    "leads:import": Route(
        lambda owner, actor: ({}, {}), takes_record=False, get_statuses=(404,)
    ),
    "leads:import-detail": _import_batch_route(),
    "leads:import-progress": _import_batch_route(post=False),
    "leads:import-report": _import_batch_route(post=False),
    "leads:import-undo": _import_batch_route(get=False),
    "leads:import-resume": _import_batch_route(get=False),
    "leads:capture-forms": Route(
        lambda owner, actor: ({}, {}),
        post=False,
        takes_record=False,
        get_statuses=(404,),
    ),
    "leads:capture-form-create": Route(
        lambda owner, actor: ({}, {"name": "Tampered"}),
        takes_record=False,
        get_statuses=(404,),
    ),
    "leads:capture-form-edit": _capture_form_route(),
    "leads:home": _page(post=False),
    "leads:list": _page(post=False),
    "leads:list-filters": _page(post=False),
    "leads:bulk-assignees": _page(post=False),
    "leads:create": _page(LEAD_DATA),
    "leads:create-routing-preview": _page(post=False),
    "leads:bulk": _bulk_route(),
    "leads:mass-update": _mass_update_route(),
    "leads:mass-update-list": _page(post=False),
    "leads:mass-update-detail": _mass_update_job_route(post=False),
    "leads:mass-update-progress": _mass_update_job_route(post=False),
    "leads:mass-update-undo": _mass_update_job_route(get=False),
    "leads:merge": Route(
        lambda owner, actor: ({}, {}), takes_record=False, get_statuses=(404,)
    ),
    "leads:routing": _page(post=False),
    "leads:routing-queue": _page(post=False),
    "leads:routing-log": _page(post=False),
    "leads:routing-rule-create": Route(
        lambda owner, actor: ({}, {"name": "Tampered"}),
        takes_record=False,
        get_statuses=(404,),
    ),
    "leads:routing-rule-edit": _rule_route(),
    "leads:routing-rule-toggle": _rule_route(get=False),
    "leads:routing-rule-move": _rule_route(get=False),
    "leads:route-again": _lead_route(get=False),
    "leads:routing-history": _lead_route(post=False),
    "leads:duplicate-rules": Route(
        lambda owner, actor: ({}, {}),
        post=False,
        takes_record=False,
        get_statuses=(404,),
    ),
    "leads:duplicate-rule-create": Route(
        lambda owner, actor: ({}, {"name": "Tampered", "field_0": "email"}),
        takes_record=False,
        get_statuses=(404,),
    ),
    "leads:duplicate-rule-edit": _duplicate_rule_route(),
    "leads:duplicate-rule-delete": _duplicate_rule_route(get=False),
    "leads:duplicate-scan-start": Route(
        lambda owner, actor: ({}, {}), get=False, takes_record=False
    ),
    "leads:duplicate-scan": _duplicate_scan_route(),
    "leads:source-report": _page(post=False),
    "leads:scoring-report": _page(post=False),
    "leads:detail": _lead_route(post=False),
    # A lead's score pinned by hand, and unpinned (tests/test_scoring_pages.py).
    "leads:score-pin": _lead_route({"pinned_score": "99", "pin_reason": "Tampered"}),
    "leads:score-unpin": _lead_route(get=False),
    "leads:edit": _lead_route(LEAD_DATA),
    "leads:assign": _lead_route(post=False),
    "leads:qualify": _lead_route(
        {
            "create_account": "on",
            "create_contact": "on",
            "create_opportunity": "on",
            "status_reason": LeadStatus.QUALIFIED,
        }
    ),
    "leads:qualified": _lead_route(),
    "leads:disqualify": _lead_route({"reason": LeadStatus.LOST}),
    "leads:reactivate": _lead_route(get=False, disqualified=True),
    "leads:mark-contacted": _lead_route(get=False),
    "leads:board": _page(post=False),
    "leads:board-column": Route(
        lambda owner, actor: ({"status": LeadStatus.NEW}, {}),
        post=False,
        takes_record=False,
    ),
    "leads:board-move": _lead_route({"to": "contacted", "version": 1}, get=False),
    "leads:link-account": _link_route("account"),
    "leads:unlink-account": _unlink_route("account"),
    "leads:link-contact": _link_route("contact"),
    "leads:unlink-contact": _unlink_route("contact"),
    "leads:add-interest": _interest_route(add=True),
    "leads:remove-interest": _interest_route(add=False),
    "leads:add-note": _timeline_route({"title": "Tampered", "text": "Tampered"}),
    "leads:add-activity": _timeline_route(ACTIVITY_DATA),
    "leads:add-attachment": _timeline_route({"file": _text_upload}),
    "leads:complete-activity": _activity_route(),
    "leads:cancel-activity": _activity_route(),
    "leads:download-attachment": _attachment_route(),
    # Email from the record (tests/test_email_pages.py).
    "leads:compose-email": _timeline_route(
        {"subject": "Tampered", "body": "Tampered", "action": "send"}
    ),
    "leads:retry-email": _email_route(),
    "leads:email-signature": _page({"signature": "Tampered"}),
    "leads:search": _page(post=False),
    "accounts:account-list": _page(post=False),
    "accounts:account-create": _page({"name": "Tampered Inc"}),
    "accounts:account-autocomplete": _page(post=False),
    "accounts:account-detail": _owned_route(
        lambda o: factories.AccountFactory(owner_user=o), post=False
    ),
    "accounts:account-edit": _owned_route(
        lambda o: factories.AccountFactory(owner_user=o), {"name": "Tampered Inc"}
    ),
    "accounts:contact-list": _page(post=False),
    "accounts:contact-create": _page({"last_name": "Tampered"}),
    "accounts:contact-autocomplete": _page(post=False),
    "accounts:contact-detail": _owned_route(
        lambda o: factories.ContactFactory(owner_user=o), post=False
    ),
    "accounts:contact-edit": _owned_route(
        lambda o: factories.ContactFactory(owner_user=o), {"last_name": "Tampered"}
    ),
    "accounts:opportunity-list": _page(post=False),
    "accounts:opportunity-create": _page(),
    "accounts:opportunity-detail": _owned_route(_opportunity, post=False),
    "accounts:opportunity-edit": _owned_route(
        _opportunity, {"name": "Tampered", "estimated_value": "1"}
    ),
    "accounts:opportunity-win": _owned_route(
        _opportunity, {"actual_value": "1.00", "actual_close_date": TODAY}
    ),
    "accounts:opportunity-lose": _owned_route(
        _opportunity, {"reason": OpportunityStatus.OUT_SOLD}
    ),
    "accounts:opportunity-board": _page(post=False),
    "accounts:opportunity-board-move": _owned_route(
        _opportunity, {"to": "1", "version": 1}, get=False
    ),
    # The stage bar (tests/test_stages.py).
    "leads:opportunity-stage": _owned_route(
        _opportunity, {"stage": "1", "version": 1}, get=False
    ),
    "leads:opportunity-step": _stage_step_route(),
    "accounts:opportunity-reopen": _owned_route(
        lambda o: _opportunity(o, lost=True), get=False
    ),
    "accounts:opportunity-add-product": _opportunity_product_route(),
    "accounts:opportunity-remove-product": _product_line_route(),
    "accounts:api-tokens": _page({"name": "Tampered", "scope": "read-write"}),
    "accounts:settings": _page({"language": "de", "time_zone": "Europe/Berlin"}),
    "accounts:api-token-revoke": _api_token_route(),
    "accounts:saved-views": _page(post=False),
    "accounts:view-create": Route(
        lambda owner, actor: ({"list_kind": "accounts"}, {"name": "Tampered"}),
        takes_record=False,
    ),
    "leads:view-create": _page({"name": "Tampered", "share_with": "personal"}),
    "accounts:saved-view-open": _saved_view_route(get=True),
    "accounts:saved-view-rename": _saved_view_route({"name": "Tampered"}),
    "accounts:saved-view-delete": _saved_view_route(),
    "accounts:saved-view-default": _saved_view_route(),
}


def _api_lead_route(get=True, post=True):
    def build(owner, actor):
        return {"pk": _lead(owner).pk}, {"reason": "4"}

    return Route(build, get=get, post=post, api=True)


def _api_link_route(kind):
    def build(owner, actor):
        return {"pk": _lead(owner).pk, f"{kind}_id": _record(kind, owner).pk}, {}

    return Route(build, get=False, post=False, api=True)


def _api_page(get=True, post=False):
    return Route(
        lambda owner, actor: ({}, {}), get=get, post=post, takes_record=False, api=True
    )


API_ROUTES = {
    "api:schema": _api_page(),
    # A page for people (the login page for anonymous visitors).
    "api:docs": _page(post=False),
    "api:lead-list": _api_page(post=True),
    "api:lead-detail": _api_lead_route(post=False),
    "api:lead-disqualify": _api_lead_route(get=False),
    "api:lead-reactivate": _api_lead_route(get=False),
    "api:lead-qualify": _api_lead_route(get=False),
    "api:lead-route": _api_lead_route(get=False),
    "api:lead-assign": _api_lead_route(get=False),
    # POST pins, DELETE unpins (tests/test_scoring_list_api.py).
    "api:lead-score-pin": _api_lead_route(get=False),
    "api:lead-emails": _api_lead_route(),
    "api:lead-merge": _api_page(get=False, post=True),
    "api:lead-accounts": _api_lead_route(post=False),
    "api:lead-contacts": _api_lead_route(post=False),
    # PUT and DELETE (tests/test_api_lead_messages.py): GET and POST answer 405.
    "api:lead-account-link": _api_link_route("account"),
    "api:lead-contact-link": _api_link_route("contact"),
}


# --- the leads app's other API resources (leads/api/, tests/test_api_<sub>.py) ------


def _api_route(build, **kwargs):
    return Route(build, api=True, **kwargs)


def _api_lead_items(owner, actor):
    return {"lead_pk": _lead(owner).pk}, {"subject": "Tampered", "text": "Tampered"}


def _api_item(factory):
    """An item (activity, note, attachment) on one of `owner`'s leads."""

    def build(owner, actor):
        return {"pk": factory(_lead(owner), owner).pk}, {}

    return build


def _api_interest(owner, actor):
    interest = factories.LeadProductFactory(lead=_lead(owner))
    return {"lead_pk": interest.lead_id, "pk": interest.pk}, {}


def _api_rule(owner, actor):
    rule = factories.RoutingRuleFactory(
        business_unit=owner.business_unit, target_user=owner
    )
    return {"pk": rule.pk}, {"direction": "up"}


def _api_batch(owner, actor):
    return _import_batch_route().build(owner, actor)


def _api_capture_form(owner, actor):
    form = factories.CaptureFormFactory(business_unit=owner.business_unit)
    return {"pk": form.pk}, {}


def _api_campaign(owner, actor):
    return {"pk": factories.CampaignFactory().pk}, {}


_activity = _api_item(lambda lead, o: factories.ActivityFactory(lead=lead, owner=o))
_note = _api_item(lambda lead, o: factories.NoteFactory(lead=lead, created_by=o))
_attachment = _api_item(
    lambda lead, o: factories.AttachmentFactory(lead=lead, created_by=o)
)
API_ROUTES.update(
    {
        "api:lead-activity-list": _api_route(_api_lead_items),
        "api:lead-note-list": _api_route(_api_lead_items),
        "api:lead-attachment-list": _api_route(_api_lead_items),
        "api:lead-interest-list": _api_route(_api_lead_items),
        # GET and DELETE (tests/test_api_links.py): POST answers 405.
        "api:lead-interest-detail": _api_route(_api_interest, post=False),
        "api:activity-detail": _api_route(_activity, post=False),
        "api:activity-complete": _api_route(_activity, get=False),
        "api:activity-cancel": _api_route(_activity, get=False),
        "api:note-detail": _api_route(_note, post=False),
        "api:attachment-detail": _api_route(_attachment, post=False),
        "api:attachment-download": _api_route(_attachment, post=False),
        # Campaigns and rules are read by every role: no record scope to refuse.
        "api:campaign-list": _api_page(),
        "api:campaign-detail": _api_route(
            _api_campaign, post=False, takes_record=False
        ),
        # Capture forms and imports are missing (404) for reps, as their pages.
        "api:capture-form-list": _api_route(
            lambda owner, actor: ({}, {}),
            post=False,
            takes_record=False,
            get_statuses=(404,),
        ),
        "api:capture-form-detail": _api_route(
            _api_capture_form, post=False, get_statuses=(404,)
        ),
        "api:routing-rule-list": _api_page(post=True),
        # GET and PATCH (tests/test_api_routing.py): POST answers 405.
        "api:routing-rule-detail": _api_route(
            _api_rule, post=False, takes_record=False
        ),
        "api:routing-rule-move": _api_route(_api_rule, get=False),
        "api:assignment-list": _api_page(),
        "api:import-list": _api_route(
            lambda owner, actor: ({}, {}), takes_record=False, get_statuses=(404,)
        ),
        "api:import-detail": _api_route(_api_batch, post=False, get_statuses=(404,)),
        "api:import-start": _api_route(_api_batch, get=False),
        "api:import-undo": _api_route(_api_batch, get=False),
        "api:import-resume": _api_route(_api_batch, get=False),
        "api:source-report-list": _api_page(),
    }
)
# --- the accounts app's API resources (accounts/api/, tests/test_api_accounts*.py) --


def _api_owned_route(kind, get=True, post=True):
    """One of `owner`'s accounts, contacts or opportunities, by its pk."""

    def build(owner, actor):
        return {"pk": _record(kind, owner).pk}, {"name": "Tampered", "reason": "4"}

    return Route(build, get=get, post=post, api=True)


def _api_product_lines_route(detail):
    """An opportunity of `owner`'s and one of its product lines: list and add
    (GET, POST), or the line (GET, DELETE; POST answers 405)."""

    def build(owner, actor):
        line = factories.OpportunityProductFactory(opportunity=_opportunity(owner))
        if detail:
            return {"opportunity_id": line.opportunity_id, "pk": line.pk}, {}
        product = factories.ProductFactory()
        return {"opportunity_id": line.opportunity_id}, {"product": product.pk}

    return Route(build, post=not detail, api=True)


def _api_organisation_route(build, takes_record=True):
    """Read only (POST answers 405). A user, team or unit of `owner`'s business
    unit: outside another unit's scope, inside a parent unit's manager's."""
    return Route(build, post=False, takes_record=takes_record, api=True)


API_ROUTES.update(
    {
        "api:account-list": _api_page(post=True),
        "api:account-detail": _api_owned_route("account", post=False),
        "api:contact-list": _api_page(post=True),
        "api:contact-detail": _api_owned_route("contact", post=False),
        "api:opportunity-list": _api_page(post=True),
        # GET and PATCH: POST answers 405.
        "api:opportunity-detail": _api_owned_route("opportunity", post=False),
        "api:opportunity-win": _api_owned_route("opportunity", get=False),
        "api:opportunity-lose": _api_owned_route("opportunity", get=False),
        "api:opportunity-reopen": _api_owned_route("opportunity", get=False),
        "api:opportunity-product-list": _api_product_lines_route(detail=False),
        "api:opportunity-product-detail": _api_product_lines_route(detail=True),
        "api:user-list": _api_page(),
        "api:user-detail": _api_organisation_route(
            lambda owner, actor: ({"pk": owner.pk}, {})
        ),
        "api:team-list": _api_page(),
        "api:team-detail": _api_organisation_route(
            lambda owner, actor: (
                {"pk": factories.TeamFactory(business_unit=owner.business_unit).pk},
                {},
            )
        ),
        "api:business-unit-list": _api_page(),
        "api:business-unit-detail": _api_organisation_route(
            lambda owner, actor: ({"pk": owner.business_unit_id}, {})
        ),
        # The catalogue is every role's: no record scope to refuse.
        "api:product-list": _api_page(),
        "api:product-detail": _api_organisation_route(
            lambda owner, actor: ({"pk": factories.ProductFactory().pk}, {}),
            takes_record=False,
        ),
    }
)

# --- webhooks (webhooks/, tests/test_webhooks*.py) -----------------------------------
# A subscription is reached by its owner (and administrators) only; reps reach none
# (404) and get 403 on the list and the new form.


def _subscription(owner):
    with service_context("tests.webhook_route"):  # a rep owns none through services
        return Subscription.objects.create(
            owner=owner, url="https://hooks.example.com/audit", events=["lead.updated"]
        )


def _webhook_route(get=True, post=True, delivery=False, api=False):
    def build(owner, actor):
        subscription = _subscription(owner)
        kwargs = {"pk": subscription.pk}
        if delivery:
            with service_context("tests.webhook_route"):
                event = Event.objects.create(type="lead.updated", body="{}")
                found = Delivery.objects.create(event=event, subscription=subscription)
            kwargs["delivery_pk" if not api else "delivery_id"] = found.pk
        return kwargs, {"url": "https://hooks.example.com/x", "events": "lead.created"}

    return Route(
        build, get=get, post=post, get_statuses=(404,), owner_only=True, api=api
    )


def _webhook_page(post, api=False):
    return Route(
        lambda owner, actor: ({}, {"url": "https://hooks.example.com/x"}),
        post=post,
        takes_record=False,
        get_statuses=(403,),
        refused=(403,),
        api=api,
    )


ROUTES.update(
    {
        "webhooks:list": _webhook_page(post=False),
        "webhooks:create": _webhook_page(post=True),
        "webhooks:detail": _webhook_route(post=False),
        "webhooks:edit": _webhook_route(),
        "webhooks:delete": _webhook_route(get=False),
        "webhooks:rotate-secret": _webhook_route(get=False),
        "webhooks:pause": _webhook_route(get=False),
        "webhooks:resume": _webhook_route(get=False),
        "webhooks:test": _webhook_route(get=False),
        "webhooks:send-again": _webhook_route(get=False, delivery=True),
    }
)
API_ROUTES.update(
    {
        "api:webhook-list": _webhook_page(post=True, api=True),
        # GET, PATCH and DELETE (tests/test_webhooks_pages.py): POST answers 405.
        "api:webhook-detail": _webhook_route(post=False, api=True),
        "api:webhook-deliveries": _webhook_route(post=False, api=True),
        "api:webhook-replay": _webhook_route(get=False, delivery=True, api=True),
        "api:webhook-rotate-secret": _webhook_route(get=False, api=True),
    }
)
# --- notifications (notifications/, tests/test_notifications.py) ----------------------
# Each user reaches only their own notifications and settings: no record to scope.
ROUTES.update(
    {
        "notifications:list": _page(post=False),
        "notifications:mark-all-read": _page(get=False),
        "notifications:settings": _page({"lead_assigned": "off"}),
    }
)
# --- consent (leads/views/consent.py, tests/test_consent*.py) --------------------------


def _consent_route(get=True, post=True):
    def build(owner, actor, variant):
        purpose, _ = ConsentPurpose.objects.get_or_create(
            code="audit", defaults={"name": "Audit"}
        )
        record = _record(variant, owner)
        data = {"purpose": purpose.pk, "status": "withdrawn", "method": "phone"}
        return {"record_type": variant, "pk": record.pk}, data

    return Route(build, get=get, post=post, variants=["lead", "contact"])


ROUTES.update(
    {
        "leads:consent-record": _consent_route(),
        "leads:consent-history": _consent_route(post=False),
    }
)


def _privacy_route(kind=None, get=True, post=True):
    def build(owner, actor):
        if kind == "lead":
            return {"pk": _lead(owner).pk}, {}
        if kind == "contact":
            return {"pk": factories.ContactFactory(owner_user=owner).pk}, {}
        if kind == "erasure":
            return {"pk": Erasure.objects.create(erased_by=owner).pk}, {}
        if kind == "hold":
            hold = LegalHold.objects.create(
                lead=_lead(owner), reason="Kept", set_by=owner
            )
            return {"pk": hold.pk}, {}
        return {}, {"lead": _lead(owner).pk, "reason": "Tampered"}

    return Route(
        build,
        get=get,
        post=post,
        takes_record=False,
        get_statuses=(404,),
        refused=(404,),
    )


ROUTES.update(
    {
        "privacy:index": _privacy_route(post=False),
        "privacy:lead": _privacy_route("lead", post=False),
        "privacy:contact": _privacy_route("contact", post=False),
        "privacy:export": _privacy_route(),
        "privacy:access-requests": _privacy_route(post=False),
        "privacy:erase": _privacy_route(),
        "privacy:erasures": _privacy_route(post=False),
        "privacy:erasure": _privacy_route("erasure", post=False),
        "privacy:erasure-files": _privacy_route("erasure", get=False),
        "privacy:hold-create": _privacy_route(),
        "privacy:hold-release": _privacy_route("hold", get=False),
    }
)


# Retention and the export log: administrators only (others: 404).
ROUTES.update(
    {
        "retention:settings": Route(
            lambda owner, actor: (
                {},
                {"disqualified_leads_days": "1", "disqualified_leads_action": "delete"},
            ),
            takes_record=False,
            get_statuses=(404,),
        ),
        "retention:dry-run": _page(get=False),
        "retention:run": _page(get=False),
        "retention:export-log": Route(
            lambda owner, actor: ({}, {}),
            post=False,
            takes_record=False,
            get_statuses=(404,),
        ),
    }
)
ROUTES.update(API_ROUTES)
# What the API answers junk with: a problem (400 invalid, 412/428 If-Match).
API_REFUSALS = (400, 404, 412, 415, 428)


def _build(route, variant, owner, actor):
    if variant is None:
        return route.build(owner, actor)
    return route.build(owner, actor, variant)


def _cases(predicate=lambda route: True):
    cases = []
    for name in URL_NAMES:
        route = ROUTES.get(name)
        if route is None or not predicate(route):
            continue
        for variant in route.variants:
            cases.append(pytest.param(name, variant, id=f"{name}-{variant or ''}"))
    return cases


def test_every_url_has_an_audit_case():
    """A URL added without an entry in ROUTES (or a stale entry) fails here."""
    assert set(URL_NAMES) == set(ROUTES)


def test_public_allow_list_is_what_it_says(db):
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- 1. anonymous visitors ------------------------------------------------------------


@pytest.mark.parametrize(("name", "variant"), _cases())
def test_anonymous_get_and_post_redirect_to_login(client, rep, name, variant):
    kwargs, data = _build(ROUTES[name], variant, rep, rep)
    url = reverse(name, kwargs=kwargs)
    before = snapshot()
    for method in ("get", "post"):
        kwargs = {"data": _data(data)} if method == "post" else {}
        response = getattr(client, method)(url, **kwargs)
        if ROUTES[name].api:
            assert response.status_code in (401, 403), (method, url)
            assert response["Content-Type"] == "application/problem+json"
            continue
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert snapshot() == before


# --- 1. record scope: another unit's records are missing ------------------------------


def _assert_scope_refused(client, name, kwargs, data):
    route = ROUTES[name]
    url = reverse(name, kwargs=kwargs)
    before = snapshot()
    response = client.get(url)
    assert response.status_code == (404 if route.get else 405), ("GET", url)
    response = client.post(url, _data(data))
    assert response.status_code == (404 if route.post else 405), ("POST", url)
    assert snapshot() == before


@pytest.mark.parametrize(("name", "variant"), _cases(lambda route: route.takes_record))
def test_rep_gets_404_for_another_units_record(rep_client, rep, rep2, name, variant):
    kwargs, data = _build(ROUTES[name], variant, rep2, rep)
    _assert_scope_refused(rep_client, name, kwargs, data)


@pytest.fixture
def north_east(org):
    return factories.BusinessUnitFactory(name="North East", parent=org.north)


@pytest.fixture
def north_east_rep(north_east):
    return user_in(SALES_REP, username="ne-rep", business_unit=north_east)


@pytest.mark.parametrize(("name", "variant"), _cases(lambda route: route.takes_record))
def test_manager_gets_404_for_south_records(
    manager_client, manager, rep2, name, variant
):
    kwargs, data = _build(ROUTES[name], variant, rep2, manager)
    _assert_scope_refused(manager_client, name, kwargs, data)


@pytest.mark.parametrize(
    ("name", "variant"),
    _cases(lambda route: route.takes_record and route.get and not route.owner_only),
)
def test_manager_sees_child_unit_records(
    manager_client, manager, north_east_rep, name, variant
):
    kwargs, _ = _build(ROUTES[name], variant, north_east_rep, manager)
    response = manager_client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200


# --- 2. methods: POST-only views refuse GET and write nothing --------------------------


@pytest.mark.parametrize(("name", "variant"), _cases())
def test_get_never_writes_and_post_only_views_answer_405(
    rep_client, rep, name, variant
):
    route = ROUTES[name]
    kwargs, _ = _build(route, variant, rep, rep)
    before = snapshot()
    response = rep_client.get(reverse(name, kwargs=kwargs))
    if route.get:
        assert response.status_code in route.get_statuses
    else:
        assert response.status_code == 405
    assert snapshot() == before


# --- 3. CSRF on every write ------------------------------------------------------------


@pytest.mark.parametrize(("name", "variant"), _cases(lambda route: route.post))
def test_post_without_csrf_token_is_refused(rep, name, variant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    kwargs, data = _build(ROUTES[name], variant, rep, rep)
    before = snapshot()
    response = client.post(reverse(name, kwargs=kwargs), _data(data))
    assert response.status_code == 403
    assert snapshot() == before


def test_login_post_without_csrf_token_is_refused(rep):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("login"), {"username": "rep", "password": "leadsite"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_csrf_control_case_writes(rep):
    """The CSRF test above is meaningful: the same POST with a token does write."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    lead = _lead(rep)
    page = client.get(reverse("leads:detail", args=[lead.pk]))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("leads:add-note", args=["lead", lead.pk]),
        {"title": "Hello", "text": "World", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Note.objects.filter(lead=lead, title="Hello").exists()


# --- 4. junk in query strings and POST bodies: never a 500 ----------------------------

QUERY_KEYS = [
    "owner", "team", "business_unit", "campaign", "state", "status", "source",
    "rating", "view", "q", "sort", "page", "ids", "format", "created_after",
    "created_before", "close_after", "close_before", "created_from", "created_to",
    "partner", "account", "contact", "parent_account", "industry", "is_partner",
]  # fmt: skip
SORT_JUNK = ["password", "-password", "owner_user__password", "?", "--created"]


LIST_PAGES = {
    "leads:list",
    "leads:merge",
    "leads:source-report",
    "leads:scoring-report",
    "accounts:account-list",
    "accounts:contact-list",
    "accounts:opportunity-list",
}
GET_CASES = [
    pytest.param(name, variant, id=f"{name}-{variant or ''}")
    for name in URL_NAMES
    if ROUTES[name].get
    for variant in ROUTES[name].variants
]


@pytest.mark.parametrize(("name", "variant"), GET_CASES)
def test_junk_query_strings_never_cause_a_500(rep_client, rep, name, variant):
    """List pages get each junk value in each key; other pages all keys at once."""
    kwargs, _ = _build(ROUTES[name], variant, rep, rep)
    url = reverse(name, kwargs=kwargs)
    for value in [*JUNK, *SORT_JUNK]:
        if name in LIST_PAGES:
            queries = [{key: value} for key in QUERY_KEYS]
        else:
            queries = [{key: value for key in QUERY_KEYS}]
        for query in queries:
            response = rep_client.get(url, query)
            allowed = (200, 302, 404, *ROUTES[name].refused)
            allowed += API_REFUSALS if ROUTES[name].api else ()
            assert response.status_code in allowed, (url, query)


FORMS = [
    LeadForm, QualifyLeadForm, BulkActionForm, NoteForm, ActivityForm, InterestForm,
    MergeLeadsForm,
]  # fmt: skip
JUNK_FIELD_NAMES = sorted(
    {name for form in FORMS for name in form.base_fields}
    | {f.name for m in (Account, Contact, Opportunity, OpportunityProduct) for f in m._meta.fields}
    | {"ids", "next", "master", "reason", "actual_value", "actual_close_date", "file"}
)  # fmt: skip


@pytest.mark.parametrize("junk", JUNK)
def test_junk_post_bodies_never_cause_a_500(rep_client, rep, junk):
    for name in URL_NAMES:
        route = ROUTES[name]
        if not route.post:
            continue
        for variant in route.variants:
            kwargs, _ = _build(route, variant, rep, rep)
            data = {field: junk for field in JUNK_FIELD_NAMES}
            response = rep_client.post(reverse(name, kwargs=kwargs), data)
            allowed = (200, 302, 400, 404, *route.refused)
            allowed += API_REFUSALS if route.api else ()
            assert response.status_code in allowed, (name, junk)
