"""The scan of a rule with a similarity condition, set-based: the similar value
pairs come from one self-join (leads.sql.similar_value_pairs), and the groups
must be those the lead-by-lead way (the check's own query per lead) finds."""

import random

import pytest
from django.db import connection
from django.db.models import F, FloatField, Func, Value
from django.db.models.functions import Upper

from leads.models import DuplicateGroup, DuplicateRule, Lead
from leads.selectors.duplicate_rules import trigram_available
from leads.services import duplicate_scan
from leads.services.duplicates import save_duplicate_rule
from leads.sql import similar_value_pairs
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="similarity needs PostgreSQL with pg_trgm"
)

COMPANIES = [
    "Contoso Pharmaceuticals",
    "Contoso Pharmaceutical",
    "Contoso Pharma",
    "Fabrikam Residences",
    "Fabrikam Residence",
    "Northwind Traders",
    "Northwind Trading",
    "Adventure Works",
    "Adventure Works Cycles",
    "Tailspin Toys",
    "Wide World Importers",
    "Wide World Importer",
]
LAST_NAMES = ["Scully", "Mulder", "Skinner"]


def _rule(by, *conditions):
    DuplicateRule.objects.all().delete()
    return save_duplicate_rule(
        rule=None,
        by=by,
        conditions=[
            {"field": f, "method": m, "parameter": p} for f, m, p in conditions
        ],
        name="similar",
        action="warn",
        is_published=True,
    )


def _scan(rule, way):
    scan = duplicate_scan.start_duplicate_scan(by=rule.modified_by)
    groups = way(scan, rule, duplicate_scan._rule_leads(rule))
    return sorted(groups)


@pytest.fixture
def leads(rep):
    if not trigram_available():
        pytest.skip("pg_trgm is not installed")
    chosen = random.Random(7)
    return [
        factories.LeadFactory(
            owner_user=rep,
            company_name=chosen.choice(COMPANIES),
            last_name=chosen.choice(LAST_NAMES),
        )
        for _ in range(60)
    ]


def test_similar_value_pairs_are_the_pairs_similarity_gives(leads):
    values = sorted({c.upper() for c in COMPANIES})
    expected = set()
    for value in values:
        similar = (
            Lead.objects.annotate(
                similarity=Func(
                    Upper(F("company_name")),
                    Value(value),
                    function="similarity",
                    output_field=FloatField(),
                )
            )
            .filter(similarity__gte=0.6)
            .values_list(Upper("company_name"), flat=True)
        )
        expected |= {(value, other) for other in similar if value < other}
    assert set(similar_value_pairs(values, 0.6)) == expected
    assert ("NORTHWIND TRADERS", "NORTHWIND TRADING") in expected
    assert not any("TAILSPIN" in a + b for a, b in expected)


@pytest.mark.parametrize(
    "conditions",
    [
        [("company_name", "fuzzy", 0.6)],
        [("company_name", "fuzzy", 0.5), ("last_name", "iexact", None)],
        [("company_name", "fuzzy", 0.8), ("last_name", "prefix", 3)],
    ],
)
def test_the_set_based_scan_finds_the_groups_lead_by_lead_finds(
    leads, administrator, conditions
):
    rule = _rule(administrator, *conditions)
    by_lead = _scan(rule, duplicate_scan._scan_fuzzy_by_lead)
    assert by_lead, "the data must hold similar leads"
    assert _scan(rule, duplicate_scan._scan_fuzzy) == by_lead


def test_a_scan_with_a_similar_rule_saves_its_groups(administrator, rep):
    if not trigram_available():
        pytest.skip("pg_trgm is not installed")
    a = factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmaceuticals")
    b = factories.LeadFactory(owner_user=rep, company_name=" contoso pharmaceutical")
    c = factories.LeadFactory(owner_user=rep, company_name="Contoso Pharmaceuticals")
    factories.LeadFactory(owner_user=rep, company_name="Fabrikam")
    factories.LeadFactory(owner_user=rep, company_name="")
    _rule(administrator, ("company_name", "fuzzy", 0.6))
    scan = duplicate_scan.run_duplicate_scan(
        scan_id=duplicate_scan.start_duplicate_scan(by=administrator).pk
    )
    assert scan.group_count == 1
    assert [g.record_ids for g in DuplicateGroup.objects.filter(scan=scan)] == [
        sorted([a.pk, b.pk, c.pk])
    ]
