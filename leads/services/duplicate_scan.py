"""The scan of the existing leads against the published duplicate rules (the
background task's body): each rule's groups of leads that match one another, saved
with the scan's progress.

Exact-style rules bucket the leads by their conditions' keys in one keyset walk.
A rule with one similarity condition does the same with the similar field's value
beside the key, and pairs the distinct values once, in the database, through a
trigram index (leads.sql.similar_value_pairs): the scan's time grows with the
number of leads and of similar value pairs, not with leads times similar leads.
"""

from itertools import product
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import business_unit_subtree_ids
from leads.models import (
    DuplicateAction,
    DuplicateGroup,
    DuplicateMethod,
    DuplicateRule,
    DuplicateScan,
    Lead,
    LeadState,
    ScanStatus,
)
from leads.selectors.duplicate_rules import (
    FUZZY_SKIPPED,
    condition_filter,
    condition_holds,
    trigram_available,
)
from leads.selectors.duplicates import PHONE_DIGIT_COLUMNS, normalise_company
from leads.sql import similar_value_pairs
from leadsite.core.phones import MIN_DIGITS, same_number
from leadsite.core.services import service

SCAN_CHUNK = 2000


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
    """Leads whose fuzzy field is similar and whose other conditions give the same
    key. Set-based: the leads are bucketed as for an exact rule, with the fuzzy
    field's value (trimmed, upper case: what the check compares) beside the key;
    the similar pairs among the distinct values come from one self-join on a
    trigram index (leads.sql.similar_value_pairs); leads of two similar values
    (or of the same value) in the same bucket are joined. A rule with a phone
    condition or several similar conditions takes the lead-by-lead way."""
    fuzzy = [c for c in rule.conditions if c["method"] == DuplicateMethod.FUZZY]
    others = [c for c in rule.conditions if c["method"] != DuplicateMethod.FUZZY]
    if len(fuzzy) > 1 or any(c["method"] == DuplicateMethod.PHONE for c in others):
        return _scan_fuzzy_by_lead(scan, rule, queryset)
    (similar,) = fuzzy
    columns = sorted({similar["field"], *(c["field"] for c in others)})
    # value -> key of the other conditions -> lead ids
    members, done = {}, 0
    for rows in _chunks(queryset, columns):
        for row in rows:
            value = (row[similar["field"]] or "").strip().upper()
            if not value:
                continue
            keys = [_condition_keys(item, row) for item in others]
            by_key = members.setdefault(value, {})
            for key in product(*keys):
                by_key.setdefault(key, []).append(row["pk"])
        done += len(rows)
        _progress(scan, done)
    found = _Groups()
    for by_key in members.values():
        for pks in by_key.values():
            for pk in pks[1:]:
                found.join(pks[0], pk)
    pairs = similar_value_pairs(list(members), float(similar["parameter"]))
    for a, b in pairs:
        keys_a, keys_b = members[a], members[b]
        for key in keys_a.keys() & keys_b.keys():
            found.join(keys_a[key][0], keys_b[key][0])
    return found.groups()


def _scan_fuzzy_by_lead(scan, rule, queryset) -> list[list[int]]:
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
