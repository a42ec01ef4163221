"""The pipeline: an opportunity's sales stage and probability, the
opportunity list that opens on the open deals with their totals, and the detail
page whose primary action is Edit."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import (
    TYPICAL_PROBABILITY,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
    SalesStage,
)
from accounts.templatetags.ui import money
from tests import factories
from tests.reading import page, table_rows

pytestmark = pytest.mark.django_db


# --- stage and probability --------------------------------------------------------


def test_new_opportunity_starts_at_qualify_with_its_usual_probability(rep):
    opportunity = services.create_opportunity(
        name="Fleet", account=factories.AccountFactory(owner_user=rep), owner_user=rep
    )
    assert opportunity.sales_stage == SalesStage.QUALIFY
    assert opportunity.close_probability == TYPICAL_PROBABILITY[SalesStage.QUALIFY]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"close_probability": 101}, "close_probability"),
        ({"close_probability": -1}, "close_probability"),
        ({"sales_stage": 4}, "sales_stage"),
    ],
)
def test_stage_and_probability_out_of_range_are_refused(rep, fields, field):
    account = factories.AccountFactory(owner_user=rep)
    with pytest.raises(ValidationError) as refused:
        services.create_opportunity(
            name="Fleet", account=account, owner_user=rep, **fields
        )
    assert field in refused.value.message_dict
    assert not Opportunity.objects.filter(name="Fleet").exists()


@pytest.mark.parametrize(
    "values", [{"close_probability": 101}, {"sales_stage": 7}], ids=str
)
def test_the_database_refuses_what_the_form_would(rep, values):
    """The CHECK constraints guard every write, also one that skips validation."""
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opportunity.pk).update(**values)


def test_the_edit_form_saves_stage_and_probability_and_refuses_150(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    url = reverse("accounts:opportunity-edit", args=[opportunity.pk])
    data = {
        "name": opportunity.name,
        "account": opportunity.account_id,
        "estimated_value": "8000",
        "sales_stage": str(SalesStage.PROPOSE.value),
        "close_probability": "150",
        "version": opportunity.version,
    }
    response = rep_client.post(url, data)
    assert response.status_code == 200
    assert "close_probability" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    response = rep_client.post(url, {**data, "close_probability": "65"})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.sales_stage, opportunity.close_probability) == (
        SalesStage.PROPOSE,
        65,
    )


def test_winning_losing_and_reopening_move_the_probability(rep):
    won = factories.OpportunityFactory(
        owner_user=rep, sales_stage=SalesStage.PROPOSE, close_probability=55
    )
    won = services.win_opportunity(
        opportunity=won,
        by=rep,
        actual_value=Decimal("900"),
        actual_close_date=datetime.date(2030, 1, 2),
    )
    assert (won.sales_stage, won.close_probability) == (SalesStage.CLOSE, 100)
    lost = factories.OpportunityFactory(
        owner_user=rep, sales_stage=SalesStage.DEVELOP, close_probability=35
    )
    lost = services.lose_opportunity(
        opportunity=lost, by=rep, reason=OpportunityStatus.CANCELED
    )
    assert (lost.sales_stage, lost.close_probability) == (SalesStage.DEVELOP, 0)
    reopened = services.reopen_opportunity(opportunity=lost, by=rep)
    assert reopened.close_probability == TYPICAL_PROBABILITY[SalesStage.DEVELOP]


def test_the_detail_page_shows_stage_probability_and_weighted_revenue(rep_client, rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep,
        estimated_value=Decimal("12000"),
        sales_stage=SalesStage.PROPOSE,
        close_probability=60,
    )
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert "<dt>Sales stage</dt><dd>Propose</dd>" in html
    assert "<dt>Probability</dt><dd>60 %</dd>" in html
    assert f'<dt>Weighted revenue</dt><dd class="money">{money(7200)}</dd>' in html


# --- the detail page's buttons ----------------------------------------------------


def _header_buttons(html):
    header = html.split('<div class="actions">', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<(?:a|button)[^>]*class="(button[^"]*)"[^>]*>([^<]+)<', header)


def test_an_open_opportunitys_primary_action_is_edit_not_close_as_won(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    buttons = _header_buttons(html)
    assert buttons == [
        ("button primary", "Edit"),
        ("button", "Close as won"),
        ("button danger", "Close as lost"),
    ]


def test_a_closed_opportunity_offers_reopen_and_no_primary_action(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    html = rep_client.get(opportunity.get_absolute_url()).content.decode()
    assert _header_buttons(html) == [("button", "Reopen")]


# --- the list: default view, columns, totals --------------------------------------


@pytest.fixture
def pipeline(rep, rep2):
    """The rep's deals in every state, plus a colleague's the rep may not see."""
    account = factories.AccountFactory(owner_user=rep, name="Fabrikam")
    rows = [
        ("Open A", Decimal("10000.00"), 10, SalesStage.QUALIFY, {}),
        ("Open B", Decimal("25000.50"), 30, SalesStage.DEVELOP, {}),
        ("Open C", Decimal("7333.33"), 65, SalesStage.PROPOSE, {}),
        ("Open D", None, 80, SalesStage.CLOSE, {}),
        ("Won E", Decimal("40000.00"), 100, SalesStage.CLOSE, {"won": True}),
        ("Lost F", Decimal("90000.00"), 0, SalesStage.DEVELOP, {"lost": True}),
    ]
    made = [
        factories.OpportunityFactory(
            owner_user=rep,
            account=account,
            name=name,
            estimated_value=value,
            close_probability=probability,
            sales_stage=stage,
            **state,
        )
        for name, value, probability, stage, state in rows
    ]
    factories.OpportunityFactory(
        owner_user=rep2, name="Elsewhere", estimated_value=Decimal("555555.00")
    )
    return made


def _expected(opportunities):
    """The totals computed here, in Python, from the rows themselves."""
    estimated = sum(
        (o.estimated_value or Decimal(0) for o in opportunities), Decimal(0)
    )
    weighted = sum(
        ((o.estimated_value or Decimal(0)) * o.close_probability / 100)
        for o in opportunities
    )
    return estimated.quantize(Decimal("0.01")), Decimal(weighted).quantize(
        Decimal("0.01")
    )


def test_the_list_opens_on_open_deals_with_totals_summed_in_the_database(
    rep_client, pipeline
):
    response = rep_client.get("/opportunities/")
    html = response.content.decode()
    names = [o.name for o in response.context["object_list"]]
    assert sorted(names) == ["Open A", "Open B", "Open C", "Open D"]
    assert '<a href="?state=0" class="active" aria-current="page">Open</a>' in html
    assert '<a href="?state=">All</a>' in html  # one click away
    totals = response.context["totals"]
    estimated, weighted = _expected([o for o in pipeline if o.is_open])
    assert (totals.estimated_value, totals.weighted_value) == (estimated, weighted)
    assert (estimated, weighted) == (Decimal("42333.83"), Decimal("13266.81"))
    totals_html = html.split('id="opportunity-totals"', 1)[1].split("</dl>", 1)[0]
    assert money(estimated, 0) in totals_html and money(weighted, 0) in totals_html


def test_all_is_one_click_away_and_its_totals_cover_every_visible_deal(
    rep_client, pipeline
):
    response = rep_client.get("/opportunities/", {"state": ""})
    names = {o.name for o in response.context["object_list"]}
    assert names == {o.name for o in pipeline}  # not the colleague's deal
    estimated, weighted = _expected(pipeline)
    totals = response.context["totals"]
    assert (totals.estimated_value, totals.weighted_value) == (estimated, weighted)
    html = response.content.decode()
    assert '<a href="?state=" class="active" aria-current="page">All</a>' in html
    assert "· filtered" not in html


def test_a_filter_in_the_query_replaces_the_default_view(rep_client, pipeline):
    """The account page's "all opportunities" link, the report drill-downs: every
    state of what they name."""
    account = pipeline[0].account_id
    response = rep_client.get("/opportunities/", {"account": account})
    assert len(response.context["object_list"]) == len(pipeline)
    won = rep_client.get("/opportunities/", {"state": OpportunityState.WON})
    assert [o.name for o in won.context["object_list"]] == ["Won E"]
    assert won.context["totals"].weighted_value == Decimal("40000.00")


@pytest.mark.parametrize(
    ("role", "sees_south"), [("manager", False), ("administrator", True)]
)
def test_the_totals_follow_the_record_scope(
    client, request, pipeline, role, sees_south
):
    """A North manager's totals leave out the South deal; an administrator's
    include it."""
    client.force_login(request.getfixturevalue(role))
    response = client.get("/opportunities/", {"state": ""})
    south = list(Opportunity.objects.filter(name="Elsewhere"))
    estimated, weighted = _expected(pipeline + (south if sees_south else []))
    totals = response.context["totals"]
    assert (totals.estimated_value, totals.weighted_value) == (estimated, weighted)


def test_rows_show_stage_and_probability(rep_client, pipeline):
    html = rep_client.get("/opportunities/").content
    table = page(html).find("table", css="opportunity-table")
    header = [th.text for th in table.find_all("th")]
    stage, probability = header.index("Stage"), header.index("Probability")
    shown = {
        (row[stage], row[probability]) for row in table_rows(html, "opportunity-table")
    }
    assert ("Develop", "30 %") in shown


def test_no_open_deal_says_so_and_links_to_all(rep_client, rep):
    factories.OpportunityFactory(owner_user=rep, won=True)
    html = rep_client.get("/opportunities/").content.decode()
    assert 'No open opportunities. <a href="?state=">See all opportunities</a>' in html


def test_the_totals_are_one_query_and_the_page_does_not_grow_with_rows(
    rep_client, rep, django_assert_max_num_queries
):
    account = factories.AccountFactory(owner_user=rep)
    factories.OpportunityFactory.create_batch(3, owner_user=rep, account=account)
    with CaptureQueriesContext(connection) as few:
        rep_client.get("/opportunities/")
    sums = [q["sql"] for q in few.captured_queries if "SUM(" in q["sql"].upper()]
    assert len(sums) == 1
    factories.OpportunityFactory.create_batch(60, owner_user=rep, account=account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = rep_client.get("/opportunities/")
    assert response.context["totals"].estimated_value == Decimal("5000.00") * 63


def test_totals_past_the_cap_say_to_narrow_the_list_instead_of_summing_it(
    rep_client, pipeline, monkeypatch
):
    """The sums read at most TOTALS_CAP + 1 rows, as the count does: a list past
    it shows no totals but says how to get them; narrowed below it, the totals
    are back and exact."""
    from accounts import selectors

    monkeypatch.setattr(selectors, "TOTALS_CAP", 3)
    response = rep_client.get("/opportunities/")  # four open deals
    assert response.context["totals"].capped
    totals_html = (
        response.content.decode()
        .split('id="opportunity-totals"', 1)[1]
        .split("</dl>", 1)[0]
    )
    assert "Over 3 opportunities: narrow the filters to total them." in totals_html
    assert "Total est. revenue" not in totals_html
    response = rep_client.get(
        "/opportunities/", {"state": "0", "sales_stage": SalesStage.DEVELOP}
    )
    totals = response.context["totals"]
    expected = _expected([o for o in pipeline if o.name == "Open B"])
    assert not totals.capped
    assert (totals.estimated_value, totals.weighted_value) == expected
