"""The Django admin writes through the same services as the site: closed leads are
read-only, uploads pass the same checks, owner changes are logged assignments."""

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import OpportunityState
from leads.models import Attachment, Lead, LeadAssignment, LeadState, Note
from tests import factories
from tests.support import change_form_data


def test_qualified_lead_is_read_only_in_admin(admin_client_, administrator):
    lead = factories.LeadFactory(
        owner_user=administrator, qualified=True, subject="Original topic"
    )
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    response, data = change_form_data(admin_client_, url)
    assert "subject" not in response.context["adminform"].form.fields
    assert response.context["inline_admin_formsets"][0].has_add_permission is False
    data["subject"] = "Changed in admin"
    admin_client_.post(url, data)
    lead.refresh_from_db()
    assert lead.subject == "Original topic"
    assert lead.state == LeadState.QUALIFIED


def test_open_lead_edit_in_admin_goes_through_update_lead(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _response, data = change_form_data(admin_client_, url)
    data["subject"] = "Changed in admin"
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.subject == "Changed in admin"


def test_owner_change_in_admin_is_a_logged_assignment(
    admin_client_, administrator, rep
):
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _response, data = change_form_data(admin_client_, url)
    data["owner_user"] = rep.pk
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner_user == rep
    assert lead.business_unit == rep.business_unit
    log = LeadAssignment.objects.get(lead=lead)
    assert (log.assigned_user, log.by) == (rep, administrator)


def test_lead_added_in_admin_is_created_by_the_user(admin_client_, administrator):
    url = reverse("admin:leads_lead_add")
    _response, data = change_form_data(admin_client_, url)
    data.update(
        subject="From admin",
        last_name="Admin",
        owner_user=administrator.pk,
        business_unit=administrator.business_unit_id,
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = Lead.objects.get(subject="From admin")
    assert lead.created_by == administrator


def test_html_upload_in_admin_is_refused_and_nothing_stored(
    admin_client_, administrator
):
    lead = factories.LeadFactory(owner_user=administrator)
    evil = SimpleUploadedFile(
        "evil.html", b"<html><script>alert(1)</script></html>", "text/html"
    )
    response = admin_client_.post(
        reverse("admin:leads_attachment_add"), {"file": evil, "lead": lead.pk}
    )
    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not Attachment.objects.exists()


def test_pdf_upload_in_admin_is_stored_with_checked_type(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    pdf = SimpleUploadedFile("offer.pdf", b"%PDF-1.4\n%...\n", "text/html")
    response = admin_client_.post(
        reverse("admin:leads_attachment_add"), {"file": pdf, "lead": lead.pk}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.created_by == administrator


def test_note_added_in_admin_is_read_only_afterwards(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    response = admin_client_.post(
        reverse("admin:leads_note_add"), {"text": "Called back", "lead": lead.pk}
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.created_by, note.lead) == (administrator, lead)
    page = admin_client_.get(reverse("admin:leads_note_change", args=[note.pk]))
    assert "text" not in page.context["adminform"].form.fields


def test_closed_opportunity_is_read_only_in_admin(admin_client_, administrator):
    opportunity = factories.OpportunityFactory(owner_user=administrator, name="Deal")
    url = reverse("admin:accounts_opportunity_change", args=[opportunity.pk])
    factories_won = reverse(
        "admin:accounts_opportunity_transition", args=[opportunity.pk, "win"]
    )
    admin_client_.post(
        factories_won, {"actual_value": "10", "actual_close_date": "2026-01-15"}
    )
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.WON
    response, data = change_form_data(admin_client_, url)
    assert "name" not in response.context["adminform"].form.fields


def test_delete_is_not_offered_for_leads(admin_client_, administrator):
    lead = factories.LeadFactory(owner_user=administrator)
    url = reverse("admin:leads_lead_delete", args=[lead.pk])
    assert admin_client_.post(url, {"post": "yes"}).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_refused_admin_save_is_a_message_and_writes_nothing(
    admin_client_, administrator, rep
):
    """The lead was qualified between opening the page and saving it."""
    lead = factories.LeadFactory(owner_user=administrator, subject="Before")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    _response, data = change_form_data(admin_client_, url)
    from leads.services.qualification import qualify_lead

    qualify_lead(lead=lead, by=administrator)
    data["subject"] = "After"
    response = admin_client_.post(url, data, follow=True)
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.subject == "Before"


def test_service_refusal_in_admin_is_a_message_and_rolls_back(
    admin_client_, administrator
):
    """An interest on a product no longer sold: the service refuses, nothing stays."""
    opportunity = factories.OpportunityFactory(owner_user=administrator, name="Deal")
    retired = factories.ProductFactory(is_active=False)
    url = reverse("admin:accounts_opportunity_change", args=[opportunity.pk])
    _response, data = change_form_data(admin_client_, url)
    data["name"] = "Renamed"
    prefix = "product_lines"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-product": retired.pk,
            f"{prefix}-0-quantity": "1",
            f"{prefix}-0-price_per_unit": "5",
        }
    )
    response = admin_client_.post(url, data, follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("no longer sold" in t for t in texts), texts
    opportunity.refresh_from_db()
    assert opportunity.name == "Deal"
    assert not opportunity.product_lines.exists()
