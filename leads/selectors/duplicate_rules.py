"""The duplicate rules at work: which published rules apply to a lead, and the
existing leads a new or changed one matches by them.

Each condition is a database prefilter that an index serves (leads
0004_postgresql_search_indexes: UPPER(column) btree text_pattern_ops and trigram
GIN indexes; Lead.Meta: the phone digit columns) and, where the prefilter may
take more than it should, a Python comparison on the few candidates:

- exact, equal ignoring case, normalised email: UPPER(column) = UPPER(value)
  (exact then compares the case too);
- phone: the digit columns (leadsite.core.phones.same_phone_q, same_number);
- company normalised: starts with the name's first word, then normalise_company;
- first N characters: UPPER(column) LIKE 'ABC%', N characters at least;
- fuzzy: UPPER(column) % UPPER(value) (the trigram index) and similarity() at
  least the threshold, PostgreSQL with pg_trgm only (elsewhere skipped, and said).

One query per applicable rule (so a broad rule cannot push another rule's match
out of the candidate limit), plus one for the rules themselves; many leads at
once (an import's chunk): check_many_duplicates, the same per lead and rule.
"""

import copy
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, FloatField, Func, Lookup, Q, TextField, Value
from django.db.models.functions import Cast, Upper
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_noop

from accounts.models import BusinessUnit
from leads.models import (
    DuplicateAction,
    DuplicateMethod,
    DuplicateRecordType,
    DuplicateRule,
    Lead,
    LeadState,
)
from leads.models.duplicates import ACTION_STRENGTH
from leads.permissions import routing_unit_ids
from leads.selectors.duplicates import (
    CANDIDATE_LIMIT,
    PHONE_DIGIT_COLUMNS,
    DuplicateLeads,
    hidden_match,
    normalise_company,
    scope_column,
)
from leads.sql import trigram_threshold
from leadsite.core.phones import phone_digits, same_number, same_phone_q


class TrigramSimilar(Lookup):
    """`lhs % rhs`: pg_trgm's "similar enough" operator, which a trigram GIN index
    serves (django.contrib.postgres is not installed; its lookup is this)."""

    lookup_name = "dup_trigram_similar"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %% {rhs}", [*lhs_params, *rhs_params]


_TRIGRAM_READY: dict[str, bool] = {}


def trigram_available() -> bool:
    """Whether fuzzy conditions can run: PostgreSQL with the pg_trgm extension
    (asked once per database and process)."""
    if connection.vendor != "postgresql":
        return False
    key = connection.settings_dict["NAME"]
    if key not in _TRIGRAM_READY:
        with connection.cursor() as cursor:
            # A catalog question, not a data read: no ORM model for pg_extension.
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _TRIGRAM_READY[key] = cursor.fetchone() is not None
    return _TRIGRAM_READY[key]


# Marked for translation; pages show gettext(FUZZY_SKIPPED), scan notes keep it
# as written.
FUZZY_SKIPPED = gettext_noop(
    "Skipped: similarity needs PostgreSQL with the pg_trgm extension, which this "
    "database does not have."
)


def _text(value) -> str:
    return (value or "").strip()


def condition_value(condition: dict, fields: dict) -> str:
    """The value a condition compares, from a lead's fields (a dict or a Lead)."""
    get = fields.get if isinstance(fields, dict) else lambda n: getattr(fields, n, "")
    if condition["field"] == "phone":
        return _text(get("business_phone")) or _text(get("mobile_phone"))
    return _text(get(condition["field"]))


def _upper(name: str):
    return Upper(Cast(F(name), TextField()))


def condition_filter(condition: dict, value: str):
    """The prefilter (a Q or a lookup expression) of one condition for `value`, or
    None when the value cannot match anything (empty, too short)."""
    name, method, parameter = (
        condition["field"],
        condition["method"],
        condition["parameter"],
    )
    if not value:
        return None
    if method in (DuplicateMethod.EXACT, DuplicateMethod.IEXACT):
        return Q(**{f"{name}__iexact": value})
    if method == DuplicateMethod.EMAIL:
        return Q(email__iexact=value)
    if method == DuplicateMethod.PHONE:
        return same_phone_q(PHONE_DIGIT_COLUMNS, value)
    if method == DuplicateMethod.COMPANY:
        core = normalise_company(value)
        if not core:
            return None
        first = core.split()[0]
        return Q(company_name__istartswith=first) | Q(
            company_name__istartswith=f"the {first}"
        )
    if method == DuplicateMethod.PREFIX:
        if len(value) < parameter:
            return None
        return Q(**{f"{name}__istartswith": value[:parameter]})
    if method == DuplicateMethod.FUZZY:
        upper = Value(value.upper())
        similarity = Func(
            _upper(name), upper, function="similarity", output_field=FloatField()
        )
        return Q(TrigramSimilar(_upper(name), upper)) & Q(
            GreaterThanOrEqual(similarity, Value(float(parameter)))
        )
    raise ValueError(f"Unknown duplicate method {method!r}.")


def condition_holds(condition: dict, value: str, record) -> bool:
    """Whether `record` (a prefilter's candidate) meets the condition for `value`
    (fuzzy: the database decided)."""
    method = condition["method"]
    if method == DuplicateMethod.PHONE:
        digits = phone_digits(value)
        return any(
            same_number(digits, getattr(record, column))
            for column in PHONE_DIGIT_COLUMNS
        )
    theirs = _text(getattr(record, condition["field"]))
    if method == DuplicateMethod.EXACT:
        return theirs == value
    if method in (DuplicateMethod.IEXACT, DuplicateMethod.EMAIL):
        return theirs.lower() == value.lower()
    if method == DuplicateMethod.COMPANY:
        return normalise_company(theirs) == normalise_company(value)
    if method == DuplicateMethod.PREFIX:
        n = condition["parameter"]
        return len(theirs) >= n and theirs[:n].lower() == value[:n].lower()
    return True


def published_rules(
    *, record_type=DuplicateRecordType.LEAD, business_unit_id=None
) -> list[DuplicateRule]:
    """The published rules of `record_type` that check a record of
    `business_unit_id`: everyone's and those of that unit or a unit above it.
    Allow rules check nothing and are left out. One query (two with unit rules)."""
    rules = list(
        DuplicateRule.objects.filter(record_type=record_type).only(
            "name",
            "business_unit_id",
            "conditions",
            "action",
            "exclude_closed",
            "is_published",
        )
    )
    rules = [r for r in rules if r.is_published and r.action != DuplicateAction.ALLOW]
    if any(r.business_unit_id for r in rules):
        above = _unit_and_above(business_unit_id)
        rules = [
            r
            for r in rules
            if r.business_unit_id is None or r.business_unit_id in above
        ]
    return rules


def _unit_and_above(unit_id) -> set[int]:
    """The unit and every unit above it (the unit table is small: one query)."""
    if unit_id is None:
        return set()
    parents = dict(BusinessUnit.objects.values_list("pk", "parent_id"))
    found = set()
    while unit_id is not None and unit_id not in found:
        found.add(unit_id)
        unit_id = parents.get(unit_id)
    return found


@dataclass
class DuplicateCheck(DuplicateLeads):
    """What the published rules say about a record being written: the matching
    leads (in scope, each with `duplicate_reasons`: the rule names; elsewhere as
    HiddenMatch), the strongest action of the rules that matched, and the fuzzy
    rules skipped on this database."""

    action: str = DuplicateAction.ALLOW
    skipped: list[str] = field(default_factory=list)
    rule_actions: dict = field(default_factory=dict)  # lead pk → strongest action
    reasons: dict = field(default_factory=dict)  # lead pk → rule names

    @property
    def blocked(self) -> bool:
        return self.action == DuplicateAction.BLOCK

    @property
    def warned(self) -> bool:
        return self.action == DuplicateAction.WARN

    def matched_ids(self, action=None) -> list[int]:
        """Ids of every matching lead (of the rules with `action`, if given)."""
        return [
            pk for pk, a in self.rule_actions.items() if action is None or a == action
        ]


# What a match shows (duplicate_warning.html, the API's matches, the flags) and
# its comparison reads: a lead has sixty columns, a check reads up to 50 a rule.
MATCH_COLUMNS = [
    "subject",
    "first_name",
    "last_name",
    "email",
    "company_name",
    *PHONE_DIGIT_COLUMNS,
    "state",
    "status",
    "business_unit",
    "owner_user",
    "owner_team",
    "version",
]


def _prefiltered(rule, fields):
    """The leads `rule`'s prefilters take for `fields` (unordered, unlimited), or
    None when a condition's value cannot match anything."""
    condition = Q()
    for item in rule.conditions:
        prefilter = condition_filter(item, condition_value(item, fields))
        if prefilter is None:
            return None
        condition &= prefilter
    if rule.exclude_closed:
        condition &= Q(state=LeadState.OPEN)
    return Lead.objects.filter(condition)


def _matching(rule, fields, candidates) -> list:
    """The `candidates` (in their order) that meet every condition of `rule`."""
    return [
        lead
        for lead in candidates
        if all(
            condition_holds(item, condition_value(item, fields), lead)
            for item in rule.conditions
        )
    ]


def _candidates(rule, fields, *, user, exclude_pk):
    queryset = _prefiltered(rule, fields)
    if queryset is None:
        return []
    queryset = queryset.select_related("owner_user", "owner_team").only(*MATCH_COLUMNS)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    in_scope = Value(1) if user is None else scope_column(user)
    queryset = queryset.annotate(in_scope=in_scope).order_by("-in_scope", "-pk")
    with trigram_threshold(fuzzy_threshold([rule])):
        candidates = list(queryset[:CANDIDATE_LIMIT])
    return _matching(rule, fields, candidates)


def fuzzy_threshold(rules) -> float | None:
    """The lowest similarity the rules' fuzzy conditions ask for (None: none)."""
    asked = [
        float(c["parameter"])
        for rule in rules
        for c in rule.conditions
        if c["method"] == DuplicateMethod.FUZZY
    ]
    return min(asked, default=None)


def _found(rule_matches) -> DuplicateCheck:
    """The check from (rule, its matching leads or None: skipped) pairs."""
    found = DuplicateCheck()
    by_pk, hidden = {}, {}
    for rule, matched in rule_matches:
        if matched is None:
            found.skipped.append(rule.name)
            continue
        for lead in matched:
            if ACTION_STRENGTH[rule.action] > ACTION_STRENGTH[found.action]:
                found.action = rule.action
            previous = found.rule_actions.get(lead.pk, DuplicateAction.ALLOW)
            if ACTION_STRENGTH[rule.action] > ACTION_STRENGTH[previous]:
                found.rule_actions[lead.pk] = rule.action
            target = by_pk if lead.in_scope else hidden
            if lead.pk not in target:
                lead.duplicate_reasons = []
                target[lead.pk] = lead
            if rule.name not in target[lead.pk].duplicate_reasons:
                target[lead.pk].duplicate_reasons.append(rule.name)
            found.reasons[lead.pk] = target[lead.pk].duplicate_reasons
    found.leads = sorted(by_pk.values(), key=lambda lead: -lead.pk)
    found.elsewhere = [
        hidden_match("lead", lead, lead.duplicate_reasons)
        for lead in sorted(hidden.values(), key=lambda lead: -lead.pk)
    ]
    return found


def _runnable(rule, state: dict) -> bool:
    """False for a fuzzy rule without pg_trgm (asked once per `state`)."""
    if rule.is_fuzzy and "fuzzy" not in state:
        state["fuzzy"] = trigram_available()
    return not rule.is_fuzzy or state["fuzzy"]


def check_lead_duplicates(
    *, user, fields, exclude_pk=None, business_unit_id=None, rules=None
) -> DuplicateCheck:
    """The existing leads (any owner) that a lead with `fields` (a dict of lead
    field values, or a Lead) duplicates by the published rules for its business
    unit, and the strongest action among the rules that matched.

    `user` decides which matches come as records (in scope) and which as
    HiddenMatch; None (capture, import) takes every match as a record. At most
    CANDIDATE_LIMIT candidates per rule, newest first. Reads only."""
    if rules is None:
        rules = published_rules(business_unit_id=business_unit_id)
    state = {}
    return _found(
        (rule, _candidates(rule, fields, user=user, exclude_pk=exclude_pk))
        if _runnable(rule, state)
        else (rule, None)
        for rule in rules
    )


BATCH_BRANCHES = 200  # (lead, rule) pairs a statement (SQLite: 500 at most)


def _branch(queryset, number):
    """(number, pk) of the newest CANDIDATE_LIMIT leads of `queryset`, as one
    select of a compound statement (SQLite: the limit in a subquery)."""
    if connection.features.supports_slicing_ordering_in_compound:
        found = queryset.annotate(branch=Value(number)).order_by("-pk")
        return found.values_list("branch", "pk")[:CANDIDATE_LIMIT]
    ids = queryset.order_by("-pk").values("pk")[:CANDIDATE_LIMIT]
    found = Lead.objects.filter(pk__in=ids).annotate(branch=Value(number))
    return found.values_list("branch", "pk").order_by()


def check_many_duplicates(entries) -> list[DuplicateCheck]:
    """check_lead_duplicates(user=None, fields=..., rules=...) of each of `entries`
    ((fields, rules) pairs: the new leads of an import's chunk), each as if checked
    alone now, in queries that do not grow with the leads: the candidates' ids of
    BATCH_BRANCHES (lead, rule) pairs a statement (each pair's own prefilter, the
    newest CANDIDATE_LIMIT: the same candidates), then the candidates in one."""
    state, branches, plans, known = {}, [], [], {}
    for fields, rules in entries:
        plan = []
        for rule in rules:
            runnable = _runnable(rule, state)
            same = (rule.pk, *(condition_value(c, fields) for c in rule.conditions))
            fresh = runnable and same not in known
            queryset = _prefiltered(rule, fields) if fresh else None
            if queryset is not None:
                known[same] = len(branches)
                branches.append(_branch(queryset, len(branches)))
            plan.append((rule, known.get(same, [] if runnable else None)))
        plans.append(plan)
    found = {}
    fuzzy = fuzzy_threshold(rule for plan in plans for rule, _branch in plan)
    for start in range(0, len(branches), BATCH_BRANCHES):
        first, *others = branches[start : start + BATCH_BRANCHES]
        with trigram_threshold(fuzzy):
            rows = list(first.union(*others, all=True))
        for branch, pk in rows:
            found.setdefault(branch, []).append(pk)
    wanted = sorted({pk for pks in found.values() for pk in pks})
    leads = Lead.objects.select_related("owner_user", "owner_team").only(*MATCH_COLUMNS)
    leads = leads.annotate(in_scope=Value(1)).in_bulk(wanted)  # none: no query
    checks = []
    for (fields, _rules), plan in zip(entries, plans, strict=True):
        matches = []
        for rule, branch in plan:
            if isinstance(branch, int):
                # Newest first; a copy per check (it writes its reasons on them).
                pks = sorted(found.get(branch, ()), reverse=True)
                branch = [copy.copy(leads[pk]) for pk in pks if pk in leads]
                branch = _matching(rule, fields, branch)
            matches.append((rule, branch))
        checks.append(_found(matches))
    return checks


# --- the pages ------------------------------------------------------------------------


def list_duplicate_rules(*, user) -> list[DuplicateRule]:
    """The rules `user` may see on the rules page (administrators all; managers
    everyone's and their unit's and below), each with `editable`."""
    units = routing_unit_ids(user)
    rules = DuplicateRule.objects.select_related("business_unit", "modified_by")
    if units is not None:
        rules = rules.filter(Q(business_unit__isnull=True) | Q(business_unit__in=units))
    rules = list(rules)
    for rule in rules:
        rule.editable = units is None or rule.business_unit_id in (units or [])
    return rules


def get_editable_rule(*, pk, user) -> DuplicateRule:
    """A rule `user` may change; DuplicateRule.DoesNotExist otherwise."""
    rule = DuplicateRule.objects.get(pk=pk)
    units = routing_unit_ids(user)
    if units is not None and rule.business_unit_id not in units:
        raise DuplicateRule.DoesNotExist
    return rule
