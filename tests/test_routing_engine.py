"""The routing engine's own boundaries: it imports no models, its condition choices
are the lead fields' choices, and a rule's fields are listed once. What the
situation builder reads (leads.selectors.routing.situation through leads.sql) is
tested against the ORM in tests/test_sql.py."""

import subprocess
import sys

from django.conf import settings as django_settings
from django.contrib.admin.utils import flatten_fieldsets

from accounts.models import Industry
from leads.admin.routing import RoutingRuleAdmin
from leads.forms.routing import RoutingRuleForm
from leads.models import LeadRating, LeadSource
from leads.routing.conditions import FIELDS
from leads.services.routing import RULE_FIELDS


def test_condition_choices_are_the_lead_fields_choices():
    assert FIELDS["source"].choices == tuple(LeadSource.choices)
    assert FIELDS["industry"].choices == tuple(Industry.choices)
    assert FIELDS["rating"].choices == tuple(LeadRating.choices)
    assert FIELDS["country"].choices == ()


def test_routing_engine_imports_no_models():
    """The rule model imports the engine's conditions: the engine may import none."""
    code = (
        "import sys, leads.routing.decision; "
        "print(sorted(m for m in sys.modules if m.startswith(('leads.', 'accounts'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "leads.models" not in loaded and "accounts" not in loaded
    assert "leads.routing.conditions" in loaded


def test_rule_form_admin_and_service_edit_the_same_rule_fields():
    assert tuple(RoutingRuleForm._meta.fields) == RULE_FIELDS
    admin_fields = flatten_fieldsets(RoutingRuleAdmin.fieldsets)
    assert admin_fields == [*RULE_FIELDS[:5], "conditions", *RULE_FIELDS[5:]] + [
        "last_assigned_user"
    ]
