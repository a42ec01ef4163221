"""Property-based (Hypothesis): junk in the main forms and list filters never gives
a 500, and a refused POST writes nothing. Bounded: a fixed number of examples per
test and no per-example deadline (the suite's CPU is shared), well under a minute."""

import datetime

from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Account, Contact, Opportunity
from leads.forms.lifecycle import LEAD_FORM_FIELDS
from leads.models import Activity, Attachment, Lead, Note
from tests import factories
from tests.support import ensure_roles

BOUNDED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

junk = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).map(str),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    st.sampled_from(
        ["", "0", "-1", "on", "9999-12-31", "0001-01-01", "1e309", "NaN", "²"]
        + ["' OR 1=1 --", "<script>x</script>", "\x00", "-" * 300, "12.345678"]
    ),
)


def params(names):
    """A query or form: some of `names` (and one unknown), each repeated 1–3 times."""
    return st.dictionaries(
        st.sampled_from([*names, "page", "sort", "unknown"]),
        st.lists(junk, min_size=1, max_size=3),
        max_size=8,
    )


LIST_FILTERS = {
    "leads:list": [
        "view", "q", "state", "status", "source", "rating", "owner", "team",
        "business_unit", "campaign", "created_after", "created_before",
        "close_after", "close_before",
    ],
    "accounts:account-list": ["q", "mine", "industry", "is_partner", "country"],
    "accounts:contact-list": ["q", "mine", "account", "city"],
    "accounts:opportunity-list": [
        "q", "mine", "state", "status", "close_after", "close_before", "account",
        "contact",
    ],
}  # fmt: skip

TIMELINE = {
    "note": ["title", "text", "submission_token"],
    "activity": [
        "kind", "subject", "direction", "description", "due_at", "start_at",
        "end_at", "completed", "submission_token",
    ],
}  # fmt: skip


class JunkInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        ensure_roles()
        from django.contrib.auth.models import Group

        from accounts.permissions import SALES_REP

        unit = factories.BusinessUnitFactory(name="North")
        cls.user = factories.UserFactory(username="fuzz", business_unit=unit)
        cls.user.groups.add(Group.objects.get(name=SALES_REP))
        cls.lead = factories.LeadFactory(owner_user=cls.user)
        cls.account = factories.AccountFactory(owner_user=cls.user)
        cls.contact = factories.ContactFactory(owner_user=cls.user)
        cls.opportunity = factories.OpportunityFactory(
            owner_user=cls.user, account=cls.account
        )

    def signed_in(self):
        client = Client()
        client.force_login(self.user)
        return client

    def snapshot(self):
        counts = tuple(
            model.objects.count()
            for model in (Lead, Account, Contact, Opportunity, Note, Activity)
        ) + (Attachment.objects.count(),)
        versions = tuple(
            type(record).objects.get(pk=record.pk).version
            for record in (self.lead, self.account, self.contact, self.opportunity)
        )
        return counts, versions

    @BOUNDED
    @given(
        url=st.sampled_from(sorted(LIST_FILTERS)),
        data=st.data(),
    )
    def test_list_filters_never_fail(self, url, data):
        query = data.draw(params(LIST_FILTERS[url]))
        response = self.signed_in().get(reverse(url), query)
        self.assertLess(response.status_code, 500)

    @BOUNDED
    @given(
        form=st.sampled_from(
            ["lead-create", "lead-edit", "account-edit", "contact-edit"]
            + ["opportunity-edit", "note", "activity"]
        ),
        data=st.data(),
    )
    def test_refused_posts_write_nothing(self, form, data):
        url, names = {
            "lead-create": (reverse("leads:create"), LEAD_FORM_FIELDS),
            "lead-edit": (reverse("leads:edit", args=[self.lead.pk]), LEAD_FORM_FIELDS),
            "account-edit": (
                reverse("accounts:account-edit", args=[self.account.pk]),
                ["name", "parent_account", "primary_contact", "phone", "email"],
            ),
            "contact-edit": (
                reverse("accounts:contact-edit", args=[self.contact.pk]),
                ["last_name", "first_name", "account", "email", "business_phone"],
            ),
            "opportunity-edit": (
                reverse("accounts:opportunity-edit", args=[self.opportunity.pk]),
                ["name", "account", "contact", "estimated_value"]
                + ["estimated_close_date"],
            ),
            "note": (
                reverse("leads:add-note", args=["lead", self.lead.pk]),
                TIMELINE["note"],
            ),
            "activity": (
                reverse("leads:add-activity", args=["lead", self.lead.pk]),
                TIMELINE["activity"],
            ),
        }[form]
        body = data.draw(params([*names, "version", "submission_token"]))
        before = self.snapshot()
        response = self.signed_in().post(url, body)
        self.assertLess(response.status_code, 500)
        refused = response.status_code != 302 or any(
            message.level_tag == "error" for message in response.wsgi_request._messages
        )
        if refused:
            self.assertEqual(self.snapshot(), before)
