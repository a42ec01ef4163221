"""`manage.py bench` keeps working: every page it times answers 200 (no timings here)."""

import io
import json

from django.core.management import call_command

from leads.models import Lead, LeadState
from tests import factories


def test_bench_times_every_page_and_rolls_back_qualification(administrator, rep):
    factories.LeadFactory.create_batch(3, owner_user=rep)
    out = io.StringIO()
    call_command("bench", runs=1, user=administrator.username, stdout=out)
    report = json.loads(out.getvalue())
    assert report["leads"] == 3
    for name, page in report["pages"].items():
        if name == "qualification":
            assert page["queries"] > 0
        else:
            assert page["status"] == 200, name
            assert page["queries"] > 0
    # The timed qualification was rolled back.
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 3
