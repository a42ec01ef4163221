"""Duplicate-rule scenarios for `manage.py bench`.

- duplicate_check: what a create adds with five published rules (same email;
  same phone; same last name and normalised company; same first and last name;
  same first 6 characters of the topic and same last name): the check
  (leads.selectors.duplicate_rules.check_lead_duplicates) of a new lead's values
  that match nothing (the usual create), and under "existing_lead" the values of
  the newest lead, so every rule finds matches (up to 50 a rule).
- duplicate_check_fuzzy: the same five with the fifth replaced by "company similar
  (≥ 0.7)" (PostgreSQL with pg_trgm; a note elsewhere).
- duplicate_scan: one scan (leads.services.duplicates.run_duplicate_scan) with one
  fuzzy rule, company similar (≥ 0.7), on PostgreSQL (a note elsewhere); run once,
  seconds, groups found (set-based: one walk over the leads and one self-join
  of the distinct company names, leads.services.duplicate_scan).

The rules are made in a transaction rolled back after the scenario: the rule set
and the data are left as they were. Timed at the selector/service: the page adds
its own form handling either way.
"""

import time

from django.db import transaction

from leads.management.bench import RESULT_KEYS, scenario
from leads.management.bench.core import _Rollback
from leads.models import DuplicateRule, DuplicateScan, Lead
from leads.selectors.duplicate_rules import check_lead_duplicates, trigram_available
from leads.services.duplicates import run_duplicate_scan

FIVE = [
    ("same email", [("email", "email", None)]),
    ("same phone", [("phone", "phone", None)]),
    (
        "same company and last name",
        [("last_name", "iexact", None), ("company_name", "company", None)],
    ),
    ("same name", [("first_name", "exact", None), ("last_name", "exact", None)]),
    ("same topic start", [("subject", "prefix", 6), ("last_name", "iexact", None)]),
]
FUZZY = ("similar company", [("company_name", "fuzzy", 0.7)])


def _publish(rules):
    DuplicateRule.objects.all().delete()
    DuplicateRule.objects.bulk_create(
        DuplicateRule(
            name=name,
            conditions=[
                {"field": f, "method": m, "parameter": p} for f, m, p in conditions
            ],
            action="warn",
            is_published=True,
        )
        for name, conditions in rules
    )


class _Done:
    status_code = 200


def _check_scenario(bench, rules):
    lead = (
        Lead.objects.exclude(email="")
        .exclude(company_name="")
        .exclude(business_phone="")
        .order_by("-pk")
        .first()
    )
    if lead is None:
        raise LookupError("No lead with an email, a company and a phone.")
    fields = {
        name: getattr(lead, name)
        for name in (
            "email",
            "business_phone",
            "mobile_phone",
            "first_name",
            "last_name",
            "company_name",
            "subject",
        )
    }
    fresh = {
        **fields,
        "email": "nobody.yet@bench.example",
        "business_phone": "+1 999 555 0142",
        "mobile_phone": "",
        "first_name": "Zebulon",
        "last_name": "Quillfeather",
        "company_name": "Quillfeather Orchards",
        "subject": "Quince trees",
    }
    user = bench.users["rep"]
    result = {}
    try:
        with transaction.atomic():
            _publish(rules)

            def timed(values):
                def run():
                    found = check_lead_duplicates(
                        user=user,
                        fields=values,
                        business_unit_id=user.business_unit_id,
                    )
                    run.matches = found.count
                    return _Done()

                numbers = bench.measure(run, None, 200)
                return {**numbers, "matches": run.matches}

            result = timed(fresh)
            result["existing_lead"] = timed(fields)
            raise _Rollback
    except _Rollback:
        pass
    return {"rules": [name for name, _ in rules], **result}


@scenario("duplicate_check")
def duplicate_check(bench):
    return _check_scenario(bench, FIVE)


@scenario("duplicate_check_fuzzy")
def duplicate_check_fuzzy(bench):
    if not trigram_available():
        return {**dict.fromkeys(RESULT_KEYS), "note": "needs PostgreSQL with pg_trgm"}
    return _check_scenario(bench, [*FIVE[:4], FUZZY])


@scenario("duplicate_scan")
def duplicate_scan(bench):
    if not trigram_available():
        return {**dict.fromkeys(RESULT_KEYS), "note": "needs PostgreSQL with pg_trgm"}
    result = {}
    try:
        with transaction.atomic():
            _publish([FUZZY])
            scan = DuplicateScan.objects.create(created_by=bench.users["admin"])
            start = time.perf_counter()
            scan = run_duplicate_scan(scan_id=scan.pk)
            result = {
                "seconds": round(time.perf_counter() - start, 1),
                "leads": scan.records_total,
                "groups": scan.group_count,
            }
            raise _Rollback
    except _Rollback:
        pass
    return {**dict.fromkeys(RESULT_KEYS), **result}
