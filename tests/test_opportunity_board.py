"""The opportunity board (/opportunities/board/): open opportunities by sales
stage, moved through the stage service with the card's version; Won and Lost open
the outcome pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Opportunity, SalesStage
from tests import factories
from tests.reading import page

pytestmark = pytest.mark.django_db

BOARD = "/opportunities/board/"
JSON = {"HTTP_ACCEPT": "application/json"}


def _names(html, stage):
    column = page(html).find("ol", css="board-cards", **{"data-column": str(stage)})
    return [a.text for a in column.find_all("a", css="board-card-name")]


def _move(client, opportunity, to, version=None):
    data = {"to": to, "version": opportunity.version if version is None else version}
    url = reverse("accounts:opportunity-board-move", args=[opportunity.pk])
    return client.post(url, data, **JSON)


def test_board_shows_open_opportunities_by_stage(rep_client, rep):
    factories.OpportunityFactory(owner_user=rep, name="Fleet")
    factories.OpportunityFactory(
        owner_user=rep, name="Tires", sales_stage=SalesStage.PROPOSE
    )
    factories.OpportunityFactory(owner_user=rep, name="Closed", won=True)
    html = rep_client.get(BOARD).content.decode()
    assert _names(html, SalesStage.QUALIFY) == ["Fleet"]
    assert _names(html, SalesStage.PROPOSE) == ["Tires"]
    assert "Closed" not in html
    assert 'data-target="won"' in html and 'data-target="lost"' in html
    assert BOARD in rep_client.get("/opportunities/").content.decode()


def test_rep_sees_only_their_scope(rep_client, rep2):
    factories.OpportunityFactory(owner_user=rep2, name="Elsewhere")
    assert "Elsewhere" not in rep_client.get(BOARD).content.decode()


def test_queries_are_constant(rep_client, rep):
    def queries_for(n):
        for _ in range(n):
            factories.OpportunityFactory(owner_user=rep)
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(BOARD).status_code == 200
        return len(captured)

    assert queries_for(2) == queries_for(40)


def test_stage_move_goes_through_the_stage_service(rep_client, rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep, sales_stage=SalesStage.PROPOSE
    )
    answer = _move(rep_client, opportunity, str(SalesStage.DEVELOP.value)).json()
    assert answer["ok"], answer
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    assert fresh.sales_stage == SalesStage.DEVELOP
    assert answer["column"] == str(SalesStage.DEVELOP.value)
    assert answer["version"] == fresh.version == opportunity.version + 1


def test_stale_card_is_refused_and_changes_nothing(rep_client, rep):
    opportunity = factories.OpportunityFactory(
        owner_user=rep, sales_stage=SalesStage.PROPOSE
    )
    response = _move(rep_client, opportunity, str(SalesStage.DEVELOP.value), version=99)
    assert response.status_code == 409
    assert response.json()["message"].startswith("This opportunity changed")
    assert Opportunity.objects.get(pk=opportunity.pk).sales_stage == SalesStage.PROPOSE


def test_won_and_lost_open_the_outcome_pages(rep_client, rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    assert _move(rep_client, opportunity, "won").url == reverse(
        "accounts:opportunity-win", args=[opportunity.pk]
    )
    assert _move(rep_client, opportunity, "lost").url == reverse(
        "accounts:opportunity-lose", args=[opportunity.pk]
    )
    assert Opportunity.objects.get(pk=opportunity.pk).is_open


def test_outside_scope_is_404(rep_client, rep2):
    opportunity = factories.OpportunityFactory(owner_user=rep2)
    assert _move(rep_client, opportunity, "1").status_code == 404


def test_every_role_sees_the_board(client, rep, manager, administrator):
    for user in (rep, manager, administrator):
        client.force_login(user)
        assert client.get(BOARD).status_code == 200
