"""Merge compare page: the differing fields come first, the identical ones are behind
"show all N fields", and every field defaults to the value that is not empty."""

import re

from django.urls import reverse

from leads.models import Lead
from tests import factories


def _page(client, a, b):
    return client.get(reverse("leads:merge"), {"ids": f"{a.pk},{b.pk}"})


def test_an_empty_company_on_a_defaults_to_b(rep_client, rep):
    a = factories.LeadFactory(owner_user=rep, company_name="", job_title="Buyer")
    b = factories.LeadFactory(owner_user=rep, company_name="Fabrikam", job_title="")
    form = _page(rep_client, a, b).context["form"]
    assert form["pick_company_name"].initial == "b"
    # A's non-empty value still wins over B's blank, and both-filled stays with A.
    assert form["pick_job_title"].initial == "a"
    assert form["pick_subject"].initial == "a"


def test_posting_the_defaults_keeps_the_non_empty_company(rep_client, rep):
    a = factories.LeadFactory(owner_user=rep, company_name="", subject="First")
    b = factories.LeadFactory(owner_user=rep, company_name="Fabrikam", subject="Second")
    form = _page(rep_client, a, b).context["form"]
    data = {"master": "a"}
    for name in form.differing:
        data[f"pick_{name}"] = form[f"pick_{name}"].initial
    response = rep_client.post(
        reverse("leads:merge") + f"?ids={a.pk},{b.pk}", data, follow=True
    )
    assert response.status_code == 200
    a.refresh_from_db()
    assert (a.company_name, a.subject) == ("Fabrikam", "First")
    assert Lead.objects.get(pk=b.pk).merged


def test_differing_fields_first_identical_hidden(rep_client, rep):
    a = factories.LeadFactory(owner_user=rep, city="Oslo", company_name="Same Co")
    b = factories.LeadFactory(owner_user=rep, city="Bergen", company_name="Same Co")
    html = _page(rep_client, a, b).content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r'<tr class="(merge-[a-z]+)[^"]*"( hidden)?', body)
    kinds = [kind for kind, _ in rows]
    # All differing rows before any identical one, and every identical one hidden.
    assert kinds.index("merge-same") > max(
        i for i, kind in enumerate(kinds) if kind == "merge-differs"
    )
    assert all(hidden for kind, hidden in rows if kind == "merge-same")
    total = len([kind for kind in kinds if kind in ("merge-differs", "merge-same")])
    assert f"Show all {total} fields" in html
