"""The duplicate scan's pages: the latest scans and the groups a scan found, with
the members the user may see (leads.services.duplicate_scan runs the scans)."""

from accounts.permissions import visible_to
from leads.models import DuplicateScan, Lead


def latest_scans(*, limit=5) -> list[DuplicateScan]:
    return list(DuplicateScan.objects.select_related("created_by")[:limit])


def scan_groups(*, scan, user, page) -> None:
    """Each group on `page` gets `leads`: its members the user may see (one
    query for the page), `hidden`: how many others, and `merge_pairs`: the first
    open lead beside each other open one (the merge screen takes two)."""
    ids = {pk for group in page.object_list for pk in group.record_ids}
    visible = {
        lead.pk: lead
        for lead in visible_to(user, Lead.objects.filter(pk__in=ids)).select_related(
            "owner_user", "owner_team"
        )
    }
    for group in page.object_list:
        group.leads = [visible[pk] for pk in group.record_ids if pk in visible]
        group.hidden = group.size - len(group.leads)
        open_leads = [lead for lead in group.leads if lead.is_open]
        group.merge_pairs = [(open_leads[0], other) for other in open_leads[1:]]
