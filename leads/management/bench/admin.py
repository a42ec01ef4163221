"""The Django admin's lead changelist, plain and with a search."""

from leads.management.bench import scenario


@scenario("admin_changelist")
def admin_changelist(bench):
    floor = [
        (
            "SELECT l.id, l.first_name, l.last_name, l.company_name, l.source, "
            "l.rating, l.state, l.status, l.created_at, u.username, t.name, b.name "
            "FROM leads_lead l LEFT JOIN accounts_user u ON u.id = l.owner_user_id "
            "LEFT JOIN accounts_team t ON t.id = l.owner_team_id "
            "LEFT JOIN accounts_businessunit b ON b.id = l.business_unit_id "
            "ORDER BY l.id DESC LIMIT 100",
            [],
        ),
        ("SELECT reltuples FROM pg_class WHERE relname = 'leads_lead'", []),
    ]
    return bench.get("admin", "/admin/leads/lead/", floor=_postgres_only(floor))


@scenario("admin_changelist_search")
def admin_changelist_search(bench):
    return bench.get("admin", "/admin/leads/lead/?q=smith")


def _postgres_only(floor):
    from django.db import connection

    return floor if connection.vendor == "postgresql" else floor[:1]
