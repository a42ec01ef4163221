"""Duplicate rules: saving and publishing them, flagging the leads a warning rule
matched, refusing what a block rule matched, and the scan of the existing leads
(the background task's body).

Who may change a rule: administrators every rule, managers the rules of their
business unit and below (leads.permissions.routing_unit_ids: the same rights as
routing rules); everyone's rules (no unit) are administrators'.
"""

from itertools import product
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.permissions import business_unit_subtree_ids
from leads.models import (
    DuplicateAction,
    DuplicateGroup,
    DuplicateMethod,
    DuplicateRule,
    DuplicateScan,
    Lead,
    LeadState,
    PossibleDuplicate,
    ScanStatus,
)
from leads.models.duplicates import clean_condition
from leads.permissions import routing_unit_ids
from leads.selectors.duplicate_rules import (
    FUZZY_SKIPPED,
    DuplicateCheck,
    condition_filter,
    condition_holds,
    trigram_available,
)
from leads.selectors.duplicates import PHONE_DIGIT_COLUMNS, normalise_company
from leadsite.core.phones import MIN_DIGITS, same_number
from leadsite.core.services import service
from leadsite.core.versioning import changed_fields, check_version

RULE_FIELDS = ["name", "business_unit", "action", "exclude_closed", "is_published"]
SCAN_CHUNK = 2000
FLAGS_KEPT = 10


class DuplicateBlocked(ValidationError):
    """A write a block rule refuses; `check` holds the matches to show."""

    def __init__(self, check: DuplicateCheck):
        names = sorted({r for reasons in check.reasons.values() for r in reasons})
        super().__init__(
            gettext(
                "Not saved: this lead duplicates an existing one (%(reasons)s). "
                "Open the match to work on it instead."
            )
            % {"reasons": ", ".join(names)},
            code="duplicate-blocked",
        )
        self.check = check


def refuse_blocked(check: DuplicateCheck) -> None:
    """Raise DuplicateBlocked when a block rule matched."""
    if check.blocked:
        raise DuplicateBlocked(check)


def can_edit_duplicate_rule(user, rule) -> bool:
    """Administrators every rule; managers those of their unit and below."""
    units = routing_unit_ids(user)
    if units is None:
        return True
    return bool(rule.business_unit_id) and rule.business_unit_id in units


def _check_may_edit(by, rule):
    if not can_edit_duplicate_rule(by, rule):
        raise PermissionDenied(gettext("You may not change this duplicate rule."))


@service
@transaction.atomic
def save_duplicate_rule(
    *,
    by,
    rule: DuplicateRule | None = None,
    conditions: list,
    expected_version: int | None = None,
    **fields,
) -> DuplicateRule:
    """Create (rule=None) or change a rule; `fields`: any of RULE_FIELDS.
    Conditions are validated (clean_condition), a rule needs one. A change based
    on another version than the stored one raises EditConflict (checked under
    the row lock); a change raises the version, no change saves nothing. A
    manager may only touch rules of their unit and below, before and after."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(
            f"save_duplicate_rule cannot set {', '.join(sorted(unknown))}."
        )
    errors, cleaned = [], []
    for condition in conditions:
        try:
            cleaned.append(clean_condition(condition))
        except ValidationError as error:
            errors += error.messages
    if errors:
        raise ValidationError({"conditions": errors})
    if rule is None:
        rule = DuplicateRule()
    else:
        rule = DuplicateRule.objects.select_for_update().get(pk=rule.pk)
        _check_may_edit(by, rule)
        check_version(rule, expected_version)
        fields = changed_fields(rule, fields)
        if not fields and cleaned == rule.conditions:
            return rule
        rule.version += 1
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.conditions = cleaned
    rule.modified_by = by
    rule.modified_at = timezone.now()
    _check_may_edit(by, rule)
    rule.full_clean()
    rule.save()
    return rule


@service
@transaction.atomic
def set_duplicate_rule_published(
    *, rule: DuplicateRule, by, published: bool, expected_version=None
) -> DuplicateRule:
    """Publish (checked on every write from now on) or withdraw a rule; a new
    version when that changes it."""
    return save_duplicate_rule(
        by=by,
        rule=rule,
        conditions=rule.conditions,
        expected_version=expected_version,
        is_published=published,
    )


@service
@transaction.atomic
def delete_duplicate_rule(*, rule: DuplicateRule, by) -> None:
    """Delete a rule (scans keep their groups, with the rule's name)."""
    locked = DuplicateRule.objects.select_for_update().get(pk=rule.pk)
    _check_may_edit(by, locked)
    locked.delete()


@service
@transaction.atomic
def flag_duplicate_matches(
    *, lead: Lead, check: DuplicateCheck, origin: str
) -> list[PossibleDuplicate]:
    """Flag `lead` as a possible duplicate of the leads `check` found (the newest
    FLAGS_KEPT; those it is flagged against already are left), the rule names as
    the reason. The lead stays as it is."""
    known = set(
        PossibleDuplicate.objects.filter(
            lead=lead, matched_lead__isnull=False
        ).values_list("matched_lead_id", flat=True)
    )
    ids = sorted(set(check.matched_ids()) - known - {lead.pk}, reverse=True)
    flags = [
        PossibleDuplicate(
            lead=lead,
            matched_lead_id=pk,
            reason=", ".join(check.reasons[pk])[:100],
            origin=origin,
        )
        for pk in ids[:FLAGS_KEPT]
    ]
    return PossibleDuplicate.objects.bulk_create(flags)


# --- the scan ---------------------------------------------------------------------


@service
@transaction.atomic
def start_duplicate_scan(*, by) -> DuplicateScan:
    """A queued scan of the existing leads against the published rules (the
    caller queues tasks.run_duplicate_scan after the commit)."""
    return DuplicateScan.objects.create(created_by=by)


def _condition_keys(condition, row) -> list:
    method, name = condition["method"], condition["field"]
    if method == DuplicateMethod.PHONE:
        # Same number = equal, or one ends with the other (MIN_DIGITS at least):
        # they share their last MIN_DIGITS digits; pairs are checked after.
        return list(
            dict.fromkeys(
                row[c][-MIN_DIGITS:]
                for c in PHONE_DIGIT_COLUMNS
                if len(row[c] or "") >= MIN_DIGITS
            )
        )
    value = (row[name] or "").strip()
    if not value:
        return []
    if method == DuplicateMethod.EXACT:
        return [value]
    if method in (DuplicateMethod.IEXACT, DuplicateMethod.EMAIL):
        return [value.lower()]
    if method == DuplicateMethod.COMPANY:
        core = normalise_company(value)
        return [core] if core else []
    n = condition["parameter"]  # prefix
    return [value[:n].lower()] if len(value) >= n else []


class _Groups:
    """Union-find over lead ids."""

    def __init__(self):
        self.parent = {}

    def find(self, pk):
        root = pk
        while self.parent.setdefault(root, root) != root:
            root = self.parent[root]
        while self.parent[pk] != root:
            self.parent[pk], pk = root, self.parent[pk]
        return root

    def join(self, a, b):
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[int]]:
        members = {}
        for pk in self.parent:
            members.setdefault(self.find(pk), []).append(pk)
        return [sorted(m) for m in members.values() if len(m) > 1]


def _rule_leads(rule):
    queryset = Lead.objects.all()
    if rule.exclude_closed:
        queryset = queryset.filter(state=LeadState.OPEN)
    if rule.business_unit_id:
        units = business_unit_subtree_ids(rule.business_unit_id)
        queryset = queryset.filter(business_unit_id__in=units)
    return queryset


def _chunks(queryset, columns):
    """`queryset`'s rows as dicts of `columns`, in pk order, SCAN_CHUNK at a time."""
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last)
            .order_by("pk")
            .values("pk", *columns)[:SCAN_CHUNK]
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


def _progress(scan, done):
    DuplicateScan.objects.filter(pk=scan.pk).update(records_done=done)


def _scan_by_keys(scan, rule, queryset) -> list[list[int]]:
    """Leads whose every condition gives the same key; phone pairs checked."""
    columns = {
        c
        for item in rule.conditions
        for c in (PHONE_DIGIT_COLUMNS if item["field"] == "phone" else [item["field"]])
    }
    phone = any(item["method"] == DuplicateMethod.PHONE for item in rule.conditions)
    buckets, done = {}, 0
    for rows in _chunks(queryset, sorted(columns)):
        for row in rows:
            keys = [_condition_keys(item, row) for item in rule.conditions]
            for key in product(*keys):
                buckets.setdefault(key, []).append(
                    (row["pk"], SimpleNamespace(**row)) if phone else row["pk"]
                )
        done += len(rows)
        _progress(scan, done)
    found = _Groups()
    for members in buckets.values():
        if len(members) < 2:
            continue
        if not phone:
            for pk in members[1:]:
                found.join(members[0], pk)
            continue
        for i, (a, row_a) in enumerate(members):
            for b, row_b in members[i + 1 :]:
                if any(
                    same_number(getattr(row_a, x), getattr(row_b, y))
                    for x in PHONE_DIGIT_COLUMNS
                    for y in PHONE_DIGIT_COLUMNS
                ):
                    found.join(a, b)
    return found.groups()


def _scan_fuzzy(scan, rule, queryset) -> list[list[int]]:
    """Each lead against the later ones, by the check's own query (one query per
    lead, served by the trigram index)."""
    fields = {item["field"] for item in rule.conditions}
    columns = {"business_phone", "mobile_phone"} if "phone" in fields else set()
    columns |= fields - {"phone"}
    found, done = _Groups(), 0
    for rows in _chunks(queryset, sorted(columns)):
        for row in rows:
            record = SimpleNamespace(**row)
            condition = Q(pk__gt=row["pk"])
            for item in rule.conditions:
                value = _value(item, record)
                prefilter = condition_filter(item, value)
                if prefilter is None:
                    break
                condition &= prefilter
            else:
                needs_check = any(
                    item["method"] != DuplicateMethod.FUZZY for item in rule.conditions
                )
                for other in queryset.filter(condition).only(
                    *columns, *(PHONE_DIGIT_COLUMNS if "phone" in fields else [])
                ):
                    if not needs_check or all(
                        condition_holds(item, _value(item, record), other)
                        for item in rule.conditions
                    ):
                        found.join(row["pk"], other.pk)
        done += len(rows)
        _progress(scan, done)
    return found.groups()


def _value(condition, record) -> str:
    if condition["field"] == "phone":
        return (record.business_phone or record.mobile_phone or "").strip()
    return (getattr(record, condition["field"]) or "").strip()


def run_duplicate_scan(*, scan_id: int) -> DuplicateScan | None:
    """The background task's body: claim a queued scan and check every published
    rule (allow rules check nothing) against the existing leads, one rule after
    the other, saving each rule's groups with its progress. A fuzzy rule on a
    database without pg_trgm is skipped with a note. None when the scan was not
    waiting (another worker took it)."""
    claimed = DuplicateScan.objects.filter(pk=scan_id, status=ScanStatus.QUEUED).update(
        status=ScanStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    scan = DuplicateScan.objects.get(pk=scan_id)
    rules = list(
        DuplicateRule.objects.filter(is_published=True).exclude(
            action=DuplicateAction.ALLOW
        )
    )
    scan.rules_total = len(rules)
    scan.save(update_fields=["rules_total"])
    try:
        for rule in rules:
            _scan_rule(scan, rule)
    except Exception:
        DuplicateScan.objects.filter(pk=scan.pk).update(
            status=ScanStatus.FAILED, finished_at=timezone.now()
        )
        raise
    scan.refresh_from_db()
    scan.status = ScanStatus.DONE
    scan.finished_at = timezone.now()
    scan.save(update_fields=["status", "finished_at"])
    return scan


def _scan_rule(scan, rule):
    queryset = _rule_leads(rule)
    scan.records_total = queryset.count()
    scan.records_done = 0
    scan.save(update_fields=["records_total", "records_done"])
    if rule.is_fuzzy and not trigram_available():
        scan.notes = [*scan.notes, f"{rule.name}: {FUZZY_SKIPPED}"]
        groups = []
    elif rule.is_fuzzy:
        groups = _scan_fuzzy(scan, rule, queryset)
    else:
        groups = _scan_by_keys(scan, rule, queryset)
    with transaction.atomic():
        DuplicateGroup.objects.bulk_create(
            [
                DuplicateGroup(
                    scan=scan,
                    rule=rule,
                    rule_name=rule.name,
                    record_ids=ids[: DuplicateGroup.GROUP_IDS_KEPT],
                    size=len(ids),
                )
                for ids in groups
            ],
            batch_size=1000,
        )
        scan.rules_done += 1
        scan.group_count += len(groups)
        scan.save(update_fields=["rules_done", "group_count", "notes"])
