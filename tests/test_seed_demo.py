"""manage.py seed_demo: idempotent, consistent demo data people can log in to."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import CheckConstraint, Count, Min, Q
from django.utils import timezone

from accounts.models import (
    TYPICAL_PROBABILITY,
    Account,
    BusinessUnit,
    Contact,
    Opportunity,
    OpportunityState,
    Product,
    SalesStage,
    Team,
    User,
)
from accounts.permissions import is_administrator, is_manager
from leads.models import (
    LEAD_STATE_OF_STATUS,
    Activity,
    Campaign,
    Lead,
    LeadAssignment,
    LeadProduct,
    LeadState,
    Note,
)

pytestmark = pytest.mark.django_db

MODELS = [
    BusinessUnit,
    Team,
    User,
    Product,
    Campaign,
    Account,
    Contact,
    Opportunity,
    Lead,
    Activity,
    Note,
]


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{"leads": 150, "seed": 7, **options})
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_running_twice_adds_nothing_the_second_time():
    seed()
    first = counts()
    assert first["Lead"] == 150
    output = seed()
    assert counts() == first
    assert "0 added" in output


def test_more_leads_tops_up_to_the_new_total():
    seed(leads=100)
    before = counts()
    seed(leads=130)
    after = counts()
    assert after["Lead"] == 130
    assert after["User"] == before["User"] and after["Product"] == before["Product"]


def test_demo_users_log_in_with_the_password(client):
    output = seed(password="s3cret-demo")
    for username in ["admin", "manager", "rep", "rep2"]:
        assert client.login(username=username, password="s3cret-demo"), username
        assert username in output
        client.logout()


def test_roles_units_and_teams():
    seed()
    users = {u.username: u for u in User.objects.select_related("business_unit")}
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert is_administrator(users["admin"])
    assert users["admin"].business_unit.name == "Contoso"
    assert (
        is_manager(users["manager"]) and users["manager"].business_unit.name == "North"
    )
    assert users["rep"].business_unit.name == "North"
    assert users["rep2"].business_unit.name == "South"
    assert list(users["rep"].teams.values_list("name", flat=True)) == ["North Sales"]
    assert list(users["rep2"].teams.values_list("name", flat=True)) == ["South Sales"]
    north = BusinessUnit.objects.get(name="North")
    assert north.parent.name == "Contoso"


def test_state_and_status_always_agree_and_data_is_varied():
    seed(leads=400)
    for state, status in Lead.objects.values_list("state", "status").distinct():
        assert LEAD_STATE_OF_STATUS[status] == state
    assert Lead.objects.values("source").distinct().count() >= 8
    assert Lead.objects.values("rating").distinct().count() == 3
    assert Lead.objects.values("status").distinct().count() == 7
    assert Lead.objects.filter(owner_team__isnull=False).exists()
    assert Account.objects.filter(is_partner=True).exists()
    assert Campaign.objects.filter(cost__isnull=False).count() >= 5


def test_qualified_leads_carry_their_records():
    seed(leads=400)
    qualified = Lead.objects.filter(state=LeadState.QUALIFIED)
    share = qualified.count() / Lead.objects.count()
    assert 0.08 < share < 0.25
    for lead in qualified.select_related(
        "qualifying_opportunity", "qualifying_account"
    ):
        assert lead.qualified_at and lead.closed_at
        assert lead.qualifying_contact_id and lead.qualifying_account_id
        assert lead.qualifying_opportunity.account_id == lead.qualifying_account_id
        assert lead.qualifying_account.primary_contact_id == lead.qualifying_contact_id
        assert lead.qualifying_opportunity.owner == lead.owner
    states = set(Opportunity.objects.values_list("state", flat=True))
    assert states == {
        OpportunityState.OPEN,
        OpportunityState.WON,
        OpportunityState.LOST,
    }
    for opportunity in Opportunity.objects.filter(state=OpportunityState.WON):
        assert opportunity.actual_value is not None and opportunity.actual_close_date


def test_opportunities_have_a_plausible_stage_and_probability():
    """Won deals at Close with 100 %, lost ones at 0 %, open ones spread over the
    stages with about the stage's usual probability."""
    seed(leads=400)
    rows = list(
        Opportunity.objects.values_list("state", "sales_stage", "close_probability")
    )
    won = {(stage, p) for state, stage, p in rows if state == OpportunityState.WON}
    assert won == {(SalesStage.CLOSE, 100)}
    lost = {p for state, _, p in rows if state == OpportunityState.LOST}
    assert lost == {0}
    open_rows = [
        (stage, p) for state, stage, p in rows if state == OpportunityState.OPEN
    ]
    # The lead was the Qualify stage: its opportunity is at Develop or later.
    assert {stage for stage, _ in open_rows} == set(SalesStage.values) - {
        SalesStage.QUALIFY
    }
    for stage, probability in open_rows:
        assert abs(probability - TYPICAL_PROBABILITY[stage]) <= 5


def test_opportunities_have_their_time_in_each_stage():
    """Each opportunity has one visit per stage from Develop to its own, in order,
    the last one open while the deal is and ended when it closed."""
    seed(leads=300)
    opportunities = Opportunity.objects.all()
    assert opportunities.exists()
    for opportunity in opportunities.prefetch_related("stage_visits"):
        visits = list(opportunity.stage_visits.all())
        assert [v.stage for v in visits] == list(
            range(SalesStage.DEVELOP, opportunity.sales_stage + 1)
        )
        for before, after in zip(visits, visits[1:], strict=False):
            assert before.left_at == after.entered_at
        last = visits[-1]
        if opportunity.state == OpportunityState.OPEN:
            assert last.left_at is None
        else:
            assert last.left_at == opportunity.closed_at


def test_first_activity_time_matches_the_earliest_activity():
    seed(leads=200)
    earliest = dict(
        Activity.objects.filter(lead__isnull=False)
        .values("lead")
        .annotate(first=Min("created_at"))
        .values_list("lead", "first")
    )
    assert earliest
    for pk, first_activity_at in Lead.objects.values_list("pk", "first_activity_at"):
        assert earliest.get(pk) == first_activity_at


def test_closed_leads_closed_after_they_were_created():
    seed(leads=200)
    for lead in Lead.objects.exclude(state=LeadState.OPEN):
        assert lead.created_at <= lead.closed_at
    assert not Lead.objects.filter(
        state=LeadState.OPEN, closed_at__isnull=False
    ).exists()


def test_owning_business_unit_is_the_owners():
    seed()
    for lead in Lead.objects.select_related("owner_user", "owner_team"):
        owner = lead.owner_user or lead.owner_team
        assert lead.business_unit_id == owner.business_unit_id


def test_created_dates_spread_over_about_eighteen_months():
    seed(leads=300)
    first = Lead.objects.aggregate(first=Min("created_at"))["first"]
    assert (timezone.now() - first).days > 300
    assert len(Lead.objects.dates("created_at", "month")) >= 15


def test_seeded_rows_pass_model_validation():
    seed(leads=400)
    pks = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    sample = Lead.objects.filter(pk__in=pks[::8])
    assert sample.count() == 50
    for lead in sample:
        lead.full_clean(exclude=["status"])
    # The records qualification made, and the timeline, validate too.
    for model, exclude in [
        (Account, []),
        (Contact, []),
        (Opportunity, ["status"]),
        (Activity, ["state"]),
        (Note, []),
        (LeadProduct, []),
        (LeadAssignment, []),
    ]:
        rows = model.objects.order_by("-pk")[:20]
        assert rows, model.__name__
        for row in rows:
            row.full_clean(exclude=exclude)


def test_every_seeded_row_keeps_the_constraints():
    seed(leads=400)
    owner_xor = (Q(owner_user__isnull=False) & Q(owner_team__isnull=True)) | (
        Q(owner_user__isnull=True) & Q(owner_team__isnull=False)
    )
    state_matches = Q()
    for status, state in LEAD_STATE_OF_STATUS.items():
        state_matches |= Q(state=state, status=status)
    checked = Lead.objects.aggregate(
        total=Count("pk"),
        bad_state=Count("pk", filter=~state_matches),
        bad_owner=Count("pk", filter=~owner_xor),
        open_but_closed=Count(
            "pk", filter=Q(state=LeadState.OPEN, closed_at__isnull=False)
        ),
        qualified_without_records=Count(
            "pk",
            filter=Q(state=LeadState.QUALIFIED)
            & (
                Q(qualifying_account__isnull=True)
                | Q(qualifying_contact__isnull=True)
                | Q(qualifying_opportunity__isnull=True)
            ),
        ),
    )
    assert checked == {
        "total": 400,
        "bad_state": 0,
        "bad_owner": 0,
        "open_but_closed": 0,
        "qualified_without_records": 0,
    }
    # Every check constraint the models declare, counted over all rows.
    for model in [Lead, Account, Contact, Opportunity, Activity, LeadProduct]:
        checks = [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]
        assert checks, model.__name__
        broken = model.objects.aggregate(
            **{c.name: Count("pk", filter=~c.condition) for c in checks}
        )
        assert set(broken.values()) == {0}, broken


def _indexes_and_keys(model):
    """Every index and foreign key of the model's table, as the database has it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With each index column's statistics target where one is set (leads
            # 0021: the searched expressions'), which a rebuilt index would lose.
            cursor.execute(
                "SELECT indexname, indexdef || coalesce(' targets ' || ("
                "SELECT string_agg(a.attnum || '=' || a.attstattarget, ',') "
                "FROM pg_attribute a WHERE a.attrelid = (quote_ident(indexname))::regclass "
                "AND a.attstattarget >= 0), '') FROM pg_indexes WHERE tablename = %s "
                "UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass",
                [table, table],
            )
        else:  # foreign keys are part of the table on SQLite
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = %s", [table]
            )
        return dict(cursor.fetchall())


def test_a_big_load_builds_the_indexes_and_keys_again():
    """Large loads drop indexes (and foreign keys on PostgreSQL) and rebuild them."""
    before = {model: _indexes_and_keys(model) for model in [Lead, Activity, Account]}
    assert len(before[Lead]) > 20
    if connection.vendor == "postgresql":
        assert "targets 1=1000" in before[Lead]["lead_last_name_trgm"]
    output = seed(defer_indexes="yes", batch_size=60)
    assert "building indexes" in output
    assert Lead.objects.count() == 150
    assert {model: _indexes_and_keys(model) for model in before} == before
    # The rebuilt indexes answer queries as before.
    assert Lead.objects.filter(email__startswith="a").count() == sum(
        1 for email in Lead.objects.values_list("email", flat=True) if email[0] == "a"
    )


def test_leads_are_created_in_time_order():
    """Creation dates rise with the id, as in a real table (date ranges meet the
    real on-disk layout)."""
    seed(leads=300, batch_size=70)
    created = list(Lead.objects.order_by("pk").values_list("created_at", flat=True))
    assert len(created) == 300
    assert created == sorted(created)
    assert created[0] < created[-1]


def test_a_large_organisation_has_200_users_in_20_teams_across_5_units(client):
    output = seed(leads=50, org="large", password="s3cret-demo")
    assert User.objects.count() == 200
    assert Team.objects.count() == 20
    assert BusinessUnit.objects.count() == 5
    assert "200 users, 20 teams, 5 business units" in output
    # Every rep sits in a team of their own business unit; the demo logins stay.
    reps = User.objects.filter(groups__name="Sales rep").prefetch_related("teams")
    assert reps.count() == 194  # and 4 managers, 1 administrator, 1 privacy officer
    for user in reps:
        assert [t.business_unit_id for t in user.teams.all()] == [user.business_unit_id]
    for username in ["admin", "manager", "rep", "rep2"]:
        assert client.login(username=username, password="s3cret-demo"), username
    owners = Lead.objects.values("owner_user", "owner_team").distinct().count()
    assert owners > 20
