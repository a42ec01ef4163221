"""What every privacy page shares: the role gate and reading the records a
request names."""

from django.http import Http404

from accounts.models import Contact
from accounts.permissions import is_privacy_officer, visible_to
from leads.models import Lead
from privacy.selectors import people


def privacy_only(request) -> None:
    """Privacy officers and administrators; anyone else finds no such page (404),
    as for every page outside a user's role."""
    if not is_privacy_officer(request.user):
        raise Http404("No privacy pages here for you.")


def record_or_404(kind: str, pk):
    """A lead or contact by id, whoever owns it."""
    try:
        return people.get_lead(pk) if kind == "lead" else people.get_contact(pk)
    except (Lead.DoesNotExist, Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such record.") from None


def record_page(user, record) -> str | None:
    """The record's own page, when `user` may open it (its scope), else None."""
    model = type(record)
    if visible_to(user, model.objects.filter(pk=record.pk)).exists():
        return record.get_absolute_url()
    return None
