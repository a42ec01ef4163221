"""A mass update tells each owner once, in sum: the user it gave leads to and the
user it took them from get one notification each (not one per lead), and so does
its undo."""

from accounts.permissions import SALES_REP
from leads.models import LeadRating
from leads.services import mass_update as services
from leads.services import mass_update_undo
from notifications.models import Kind, Notification
from tests import factories
from tests.support import user_in


def _run(by, changes, leads):
    job = services.create_mass_update(
        by=by, changes=changes, selection=[(lead.pk, lead.version) for lead in leads]
    )
    return services.process_mass_update(mass_update_id=job.pk, by=by)


def _texts(user, kind):
    return list(
        Notification.objects.filter(user=user, kind=kind).values_list("text", flat=True)
    )


def test_new_and_previous_owners_are_told_once_with_the_count(manager, rep, org):
    colleague = user_in(SALES_REP, username="colleague", business_unit=org.north)
    leads = [factories.LeadFactory(owner_user=rep) for _ in range(3)]
    stays = factories.LeadFactory(owner_user=colleague, rating=LeadRating.COLD)

    job = _run(
        manager, {"owner_user": colleague, "rating": LeadRating.HOT}, leads + [stays]
    )

    assert job.updated_count == 4
    assert _texts(colleague, Kind.LEAD_ASSIGNED) == [
        f"{manager} assigned you 3 leads in a mass update."
    ]
    assert _texts(rep, Kind.LEAD_REASSIGNED) == [
        f"{manager} gave 3 of your leads to others in a mass update."
    ]
    assert not Notification.objects.filter(user=manager).exists()

    mass_update_undo.undo_mass_update(mass_update=job, by=manager)
    mass_update_undo.process_mass_update_undo(mass_update_id=job.pk, by=manager)

    assert _texts(rep, Kind.LEAD_ASSIGNED) == [
        f"{manager} undid a mass update: 3 leads are yours again."
    ]
    assert _texts(colleague, Kind.LEAD_REASSIGNED) == [
        f"{manager} undid a mass update: 3 leads went back to their previous owners."
    ]


def test_one_lead_reads_in_the_singular(manager, rep, org):
    colleague = user_in(SALES_REP, username="colleague", business_unit=org.north)
    _run(manager, {"owner_user": colleague}, [factories.LeadFactory(owner_user=rep)])

    assert _texts(colleague, Kind.LEAD_ASSIGNED) == [
        f"{manager} assigned you 1 lead in a mass update."
    ]
    assert _texts(rep, Kind.LEAD_REASSIGNED) == [
        f"{manager} gave 1 of your leads to someone else in a mass update."
    ]
