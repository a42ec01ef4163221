"""Views for records related to a lead: links, interests, timeline items, merge.

Filled by the related-records work (issue 4).
"""

from django.http import Http404


def _not_yet(request, *args, **kwargs):
    raise Http404("Not built yet")


merge_leads = link_account = unlink_account = link_contact = unlink_contact = _not_yet
add_interest = remove_interest = add_note = add_activity = add_attachment = _not_yet
complete_activity = cancel_activity = download_attachment = _not_yet
