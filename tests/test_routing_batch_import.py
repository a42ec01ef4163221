"""An import's chunk is checked for duplicates and routed as a batch: the same
matches, owners, log rows, history and flags as importing its rows one by one,
in a number of queries that does not grow with the rows."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from leads.models import (
    DuplicateAction,
    DuplicateRule,
    ImportRow,
    Lead,
    LeadAssignment,
    LeadState,
    LeadStatus,
    PossibleDuplicate,
)
from leads.selectors.duplicate_rules import (
    check_lead_duplicates,
    check_many_duplicates,
    published_rules,
)
from leads.services.duplicates import save_duplicate_rule
from leads.services.imports import (
    check_import_file,
    create_import_batch,
    process_import,
    set_import_options,
    start_import,
)
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "First Name,Last Name,Company,Email,Country,Business Phone"


class _Undo(Exception):
    pass


def _rule(by, *conditions, action=DuplicateAction.WARN, **fields):
    return save_duplicate_rule(
        by=by,
        conditions=[
            {"field": f, "method": m, "parameter": p} for f, m, p in conditions
        ],
        name=fields.pop("name"),
        action=action,
        is_published=True,
        **fields,
    )


def _summary(check):
    return (
        check.action,
        check.rule_actions,
        check.reasons,
        check.skipped,
        [(lead.pk, lead.duplicate_reasons) for lead in check.leads],
        bool(check),
    )


def test_batch_duplicate_check_finds_what_checking_each_lead_alone_finds(
    administrator, rep
):
    """Each rule kind, closed leads left out, a block beside a warning, and more
    prefilter candidates than a check reads (the newest of them only)."""
    DuplicateRule.objects.all().delete()
    _rule(administrator, ("email", "email", None), name="same email")
    _rule(administrator, ("phone", "phone", None), name="same phone")
    _rule(
        administrator,
        ("last_name", "iexact", None),
        ("company_name", "company", None),
        name="same person",
        action=DuplicateAction.BLOCK,
    )
    _rule(administrator, ("last_name", "prefix", 4), name="prefix", exclude_closed=True)
    factories.LeadFactory(owner_user=rep, last_name="Scully", company_name="Acme")
    for i in range(55):  # all start with "Acme": the prefilter takes them
        factories.LeadFactory(
            owner_user=rep, last_name="Scully", company_name=f"Acme {i}"
        )
    factories.LeadFactory(owner_user=rep, email="dana@example.org")
    factories.LeadFactory(owner_user=rep, business_phone="415.555.9941")
    closed = factories.LeadFactory(owner_user=rep, last_name="Mulderson")
    Lead.objects.filter(pk=closed.pk).update(
        state=LeadState.DISQUALIFIED, status=LeadStatus.LOST, closed_at=timezone.now()
    )
    factories.LeadFactory(owner_user=rep, last_name="Muldoon")
    entries = [
        {"last_name": "SCULLY", "company_name": "the acme"},
        {"last_name": "Scully", "company_name": "Acme 40"},
        {"email": " Dana@Example.ORG "},
        {"business_phone": "+1 (415) 555-9941", "email": "dana@example.org"},
        {"last_name": "Mulder"},
        {"last_name": "Nobody", "company_name": "Nothing"},
        {"last_name": "Scully", "company_name": "Acme 3"},  # the same again
    ]
    rules = published_rules()
    alone = [check_lead_duplicates(user=None, fields=f, rules=rules) for f in entries]
    batch = check_many_duplicates([(f, rules) for f in entries])
    assert [_summary(c) for c in batch] == [_summary(c) for c in alone]
    # The cases are there: the newest candidates only, a block, a warning, none.
    assert not alone[0].blocked and not alone[6].blocked  # beyond the newest 50
    assert alone[1].blocked and alone[2].warned
    assert [lead.last_name for lead in alone[4].leads] == ["Muldoon"]
    assert alone[3].warned and len(alone[3].leads) == 2 and not alone[5]


@pytest.mark.parametrize("size", [5, 150])
def test_batch_duplicate_check_queries_do_not_grow_with_the_leads(
    administrator, rep, django_assert_max_num_queries, size
):
    """Two statements for up to 100 leads of two rules (the candidates' ids, the
    candidates), and nothing more per lead."""
    factories.LeadFactory(owner_user=rep, email="lead3@example.org")
    rules = published_rules()
    entries = [
        (
            {
                "email": f"lead{i}@example.org",
                "last_name": f"L{i}",
                "company_name": "C",
            },
            rules,
        )
        for i in range(size)
    ]
    bound = 2 * (1 + len(entries) * len(rules) // 200)
    with django_assert_max_num_queries(bound):
        checks = check_many_duplicates(entries)
    assert [bool(c) for c in checks] == [i == 3 for i in range(size)]


def _import(by, lines, *, mode="flag"):
    text = "\n".join([HEADER, *lines]) + "\n"
    upload = SimpleUploadedFile("l.csv", text.encode(), content_type="text/csv")
    batch = check_import_file(batch_id=create_import_batch(upload=upload, by=by).pk)
    set_import_options(
        batch=batch,
        by=by,
        mapping=batch.mapping,
        duplicate_mode=mode,
        fills=batch.fills,
    )
    start_import(batch=batch, by=by)
    return process_import(batch_id=batch.pk)


def _outcome(existing):
    """What the import left, leads named by email (ids differ between runs)."""
    name = {lead.pk: lead.email for lead in Lead.objects.all()}
    name.update({lead.pk: f"existing {i}" for i, lead in enumerate(existing)})
    leads = [
        (lead.email, lead.owner_user_id, lead.business_unit_id)
        for lead in Lead.objects.exclude(pk__in=[x.pk for x in existing]).order_by(
            "email", "pk"
        )
    ]
    log = sorted(
        (name[e.lead_id], e.rule_id, e.assigned_user_id, e.reason, e.detail, e.trigger)
        for e in LeadAssignment.objects.all()
    )
    history = sorted(
        (name[h.id], h.history_type, h.owner_user_id, h.history_change_reason)
        for h in Lead.history.exclude(id__in=[x.pk for x in existing])
    )
    flags = sorted(
        (name[f.lead_id], name.get(f.matched_lead_id), f.reason, f.origin)
        for f in PossibleDuplicate.objects.all()
    )
    rows = sorted(
        (r.outcome, re.sub(r"#\d+", lambda m: name_of(m, name), r.message))
        for r in ImportRow.objects.all()
    )
    return leads, log, history, flags, rows


def name_of(match, name):
    return f"#{name.get(int(match.group(0)[1:]), '?')}"


@pytest.fixture
def routed(org, administrator, manager):
    """A round-robin team for the US, a user for France, the root unit's default
    owner for the rest; existing leads that rows duplicate by rule."""
    members = [
        factories.UserFactory(username=f"member{i}", business_unit=org.north)
        for i in range(3)
    ]
    factories.RoutingRuleFactory(
        name="US",
        order=10,
        conditions=[{"field": "country", "op": "equals", "value": "US"}],
        target_user=None,
        target_team=factories.TeamFactory(business_unit=org.north, members=members),
        distribution="round_robin",
    )
    factories.RoutingRuleFactory(
        name="FR",
        order=20,
        conditions=[{"field": "country", "op": "equals", "value": "FR"}],
        target_user=factories.UserFactory(username="france", business_unit=org.south),
    )
    org.root.default_owner = factories.UserFactory(
        username="boss", business_unit=org.root
    )
    org.root.save()
    return [
        factories.LeadFactory(
            owner_user=manager, last_name="Scully", company_name="Acme", email=""
        ),
        factories.LeadFactory(owner_user=manager, business_phone="415.555.9941"),
    ]


LINES = [
    "Ann,One,Alpha,ann@example.org,US,",
    "Bob,Scully,Acme Inc.,bob@example.org,US,",  # same person as existing 0
    "Cid,Three,Gamma,cid@example.org,FR,",
    "Dee,Four,Delta,dee@example.org,DE,+1 415 555 9941",  # same phone as existing 1
    "Eve,Five,Epsilon,ann@example.org,US,",  # the same email as Ann, in the file
    "Fay,Six,Zeta,fay@example.org,US,",
    "Gus,Seven,Eta,gus@example.org,FR,",
]


def test_batch_import_routes_and_flags_each_row_as_importing_it_alone(routed, manager):
    """Owners, units, log rows, history, duplicate flags and row outcomes of one
    import of seven rows equal those of seven imports of one row each."""
    try:
        with transaction.atomic():
            for line in LINES:
                _import(manager, [line])
            alone = _outcome(routed)
            raise _Undo
    except _Undo:
        pass
    assert not LeadAssignment.objects.exists()
    batch = _import(manager, LINES)
    assert batch.created_count == len(LINES)
    got = _outcome(routed)
    for what, left, right in zip(
        ["leads", "log", "history", "flags", "rows"], got, alone, strict=True
    ):
        assert left == right, what
    leads, log, _, flags, _ = got
    assert {row[3] for row in log} == {"matched", "fallback"}
    flagged = {(lead, match) for lead, match, _, _ in flags}
    assert {
        ("bob@example.org", "existing 0"),
        ("dee@example.org", "existing 1"),
        ("ann@example.org", "ann@example.org"),
    } <= flagged


@pytest.mark.parametrize("rows", [4, 40])
def test_batch_import_queries_do_not_grow_with_the_rows(
    routed, manager, django_assert_max_num_queries, rows
):
    """Routed new rows that duplicate nothing: the same statements for 4 rows as
    for 40 (owner updates: one per receiving user, five at most here)."""
    countries = ["US", "FR", "DE", "US"]
    lines = [
        f"N{i},Last{i},Company {i},new{i}@example.org,{countries[i % 4]},"
        for i in range(rows)
    ]
    with django_assert_max_num_queries(75):
        batch = _import(manager, lines)
    assert batch.created_count == rows
    assert LeadAssignment.objects.count() == rows
