"""Finding 9 of issue 7: no link to a record the viewer cannot open, no caching of
CRM pages and files, no invalid UTF-8 saved as U+FFFD."""

import pytest
from django.urls import reverse

from leads.models import Lead, Note
from tests import factories

pytestmark = pytest.mark.django_db


def test_partner_outside_the_viewers_scope_is_named_not_linked(rep_client, rep, rep2):
    partner = factories.AccountFactory(owner_user=rep2, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    html = rep_client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert partner.name in html
    assert partner.get_absolute_url() not in html


def test_partner_in_scope_is_linked(rep_client, rep):
    partner = factories.AccountFactory(owner_user=rep, is_partner=True)
    lead = factories.LeadFactory(owner_user=rep, channel_partner=partner)
    html = rep_client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert f'href="{partner.get_absolute_url()}"' in html


def _no_store(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= directives


def test_lead_list_detail_and_downloads_are_not_cached(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    attachment = factories.AttachmentFactory(lead=lead, created_by=rep)
    for url in (
        reverse("leads:list"),
        reverse("leads:detail", args=[lead.pk]),
        reverse("leads:download-attachment", args=[attachment.pk]),
        reverse("leads:source-report") + "?format=csv",
    ):
        response = rep_client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


def test_invalid_utf8_in_a_form_is_refused(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    response = rep_client.generic(
        "POST",
        reverse("leads:add-note", args=["lead", lead.pk]),
        b"text=caf%E9+%FF%FE",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()
    assert not Note.objects.exists()


def test_invalid_utf8_in_a_multipart_form_is_refused(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    body = (
        b'--B\r\nContent-Disposition: form-data; name="subject"\r\n\r\nbad \xff\xfe'
        b"\r\n--B--\r\n"
    )
    response = rep_client.generic(
        "POST",
        reverse("leads:edit", args=[lead.pk]),
        body,
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 400
    assert "\ufffd" not in Lead.objects.get(pk=lead.pk).subject


def test_valid_utf8_is_kept(rep_client, rep):
    lead = factories.LeadFactory(owner_user=rep)
    rep_client.post(
        reverse("leads:add-note", args=["lead", lead.pk]), {"text": "Café – 東京 ✓"}
    )
    assert Note.objects.get().text == "Café – 東京 ✓"
