"""Reads for the timeline and related records of leads, accounts, contacts and
opportunities (activities, notes, attachments, links, interests)."""


def lead_related_context(*, lead, user) -> dict:
    """Template context for the related-records part of the lead detail page.

    Filled by the related-records work (issue 4); the lead detail view merges it in and
    templates/leads/partials/lead_related.html renders it.
    """
    return {}


def timeline_context(*, user, record) -> dict:
    """Template context for templates/leads/partials/record_related.html on an
    account, contact or opportunity page: its timeline, the leads linked to it and,
    for an opportunity, the lead it came from.

    Filled by the related-records work (issue 4).
    """
    return {"related_record": record}
