"""Editing accounts, contacts and opportunities and their product lines; two
accounts never become each other's parent, even when linked at the same moment."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Account, OpportunityProduct
from tests import factories
from tests.support import on_postgresql, run_together


def test_update_account_changes_fields_and_keeps_owner(rep):
    account = factories.AccountFactory(owner_user=rep, name="Old name")
    updated = services.update_account(
        account=account, by=rep, name="New name", is_partner=True, city="Oslo"
    )
    account.refresh_from_db()
    assert (account.name, account.is_partner, account.city) == (
        "New name",
        True,
        "Oslo",
    )
    assert updated.owner_user == rep


def test_update_account_validates_before_saving(rep):
    account = factories.AccountFactory(owner_user=rep, name="Keep me")
    with pytest.raises(ValidationError) as error:
        services.update_account(account=account, by=rep, name="", email="not-an-email")
    assert set(error.value.message_dict) >= {"name", "email"}
    account.refresh_from_db()
    assert account.name == "Keep me"


def test_update_account_refuses_owner_changes(rep, rep2):
    account = factories.AccountFactory(owner_user=rep)
    with pytest.raises(TypeError):
        services.update_account(account=account, by=rep, owner_user=rep2)


def test_update_account_refuses_a_parent_cycle(rep):
    parent = factories.AccountFactory(owner_user=rep)
    child = factories.AccountFactory(owner_user=rep, parent_account=parent)
    with pytest.raises(ValidationError) as error:
        services.update_account(account=parent, by=rep, parent_account=child)
    assert "parent_account" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.update_account(account=parent, by=rep, parent_account=parent)
    assert Account.objects.get(pk=parent.pk).parent_account is None


def test_update_contact_moves_contact_to_another_account(rep):
    first, second = factories.AccountFactory.create_batch(2, owner_user=rep)
    contact = factories.ContactFactory(owner_user=rep, account=first)
    services.update_contact(contact=contact, by=rep, account=second, job_title="CTO")
    contact.refresh_from_db()
    assert (contact.account, contact.job_title) == (second, "CTO")


def test_update_contact_requires_last_name(rep):
    contact = factories.ContactFactory(owner_user=rep)
    with pytest.raises(ValidationError) as error:
        services.update_contact(contact=contact, by=rep, last_name="")
    assert "last_name" in error.value.message_dict


def test_update_opportunity_changes_forecast(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    services.update_opportunity(
        opportunity=opportunity, by=rep, estimated_value=Decimal("9000"), name="Bigger"
    )
    opportunity.refresh_from_db()
    assert (opportunity.name, opportunity.estimated_value) == (
        "Bigger",
        Decimal("9000"),
    )


def test_update_opportunity_needs_a_customer(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError, match="customer"):
        services.update_opportunity(opportunity=opportunity, by=rep, account=None)


def test_update_opportunity_refuses_closed_opportunity(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep, won=True)
    with pytest.raises(ValidationError, match="closed"):
        services.update_opportunity(opportunity=opportunity, by=rep, name="Changed")


def test_update_opportunity_cannot_touch_status_or_actuals(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(TypeError):
        services.update_opportunity(opportunity=opportunity, by=rep, actual_value=1)
    with pytest.raises(TypeError):
        services.update_opportunity(opportunity=opportunity, by=rep, status=3)


def test_add_product_prices_from_catalog(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(price=Decimal("250.00"))
    line = services.add_opportunity_product(
        opportunity=opportunity, by=rep, product=product, quantity=Decimal("3")
    )
    assert (line.quantity, line.price_per_unit) == (Decimal("3"), Decimal("250.00"))
    assert list(opportunity.products.all()) == [product]


def test_add_product_with_own_price_and_note(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory()
    line = services.add_opportunity_product(
        opportunity=opportunity,
        by=rep,
        product=product,
        price_per_unit=Decimal("80.00"),
        note="Discounted",
    )
    assert (line.price_per_unit, line.note) == (Decimal("80.00"), "Discounted")


def test_add_product_twice_is_refused_with_a_message(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(name="Widget")
    services.add_opportunity_product(opportunity=opportunity, by=rep, product=product)
    with pytest.raises(ValidationError) as error:
        services.add_opportunity_product(
            opportunity=opportunity, by=rep, product=product
        )
    assert error.value.message_dict["product"] == [
        "Widget is already on this opportunity."
    ]
    assert opportunity.product_lines.count() == 1


def test_add_inactive_product_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    product = factories.ProductFactory(is_active=False)
    with pytest.raises(ValidationError):
        services.add_opportunity_product(
            opportunity=opportunity, by=rep, product=product
        )


def test_add_product_with_negative_quantity_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    with pytest.raises(ValidationError):
        services.add_opportunity_product(
            opportunity=opportunity,
            by=rep,
            product=factories.ProductFactory(),
            quantity=Decimal("-1"),
        )
    assert not opportunity.product_lines.exists()


@pytest.mark.parametrize("trait", ["won", "lost"])
def test_products_of_closed_opportunity_are_read_only(rep, trait):
    opportunity = factories.OpportunityFactory(owner_user=rep, **{trait: True})
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    with pytest.raises(ValidationError, match="closed"):
        services.add_opportunity_product(
            opportunity=opportunity, by=rep, product=factories.ProductFactory()
        )
    with pytest.raises(ValidationError, match="closed"):
        services.remove_opportunity_product(opportunity=opportunity, by=rep, line=line)
    assert OpportunityProduct.objects.filter(pk=line.pk).exists()


def test_remove_product_line(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    line = factories.OpportunityProductFactory(opportunity=opportunity)
    services.remove_opportunity_product(opportunity=opportunity, by=rep, line=line)
    assert not opportunity.product_lines.exists()


def test_remove_line_of_another_opportunity_is_refused(rep):
    opportunity = factories.OpportunityFactory(owner_user=rep)
    other_line = factories.OpportunityProductFactory()
    with pytest.raises(ValidationError):
        services.remove_opportunity_product(
            opportunity=opportunity, by=rep, line=other_line
        )
    assert OpportunityProduct.objects.filter(pk=other_line.pk).exists()


def test_records_handed_to_a_service_are_not_read_back_to_check_they_exist(rep):
    """full_clean() would SELECT the owner, the unit and the account to prove they
    exist; the service was given them (leadsite.core.validation)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        account = services.create_account(name="Fabrikam", owner_user=rep)
        services.create_opportunity(name="Deal", account=account, owner_user=rep)
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if 'FROM "accounts_user"' in sql]
    assert not [sql for sql in reads if 'FROM "accounts_account"' in sql]
    assert not [sql for sql in reads if 'FROM "accounts_businessunit"' in sql]


def test_constraints_still_hold_for_records_handed_over(rep):
    team = factories.TeamFactory()
    with pytest.raises(ValidationError):
        services.create_account(name="Both owners", owner_user=rep, owner_team=team)
    assert not Account.objects.filter(name="Both owners").exists()


@pytest.mark.django_db
def test_account_cannot_become_its_childs_parent(rep):
    parent = factories.AccountFactory(owner_user=rep)
    child = factories.AccountFactory(owner_user=rep, parent_account=parent)
    with pytest.raises(ValidationError, match="own parent or ancestor"):
        services.update_account(account=parent, by=rep, parent_account=child)


@on_postgresql
@pytest.mark.parametrize("attempt", range(5))
def test_two_accounts_made_each_others_parent_at_once(rep, attempt):
    first = factories.AccountFactory(owner_user=rep)
    second = factories.AccountFactory(owner_user=rep)
    outcomes = run_together(
        lambda: services.update_account(account=first, by=rep, parent_account=second),
        lambda: services.update_account(account=second, by=rep, parent_account=first),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, ValidationError), error
    first.refresh_from_db()
    second.refresh_from_db()
    assert not (first.parent_account_id and second.parent_account_id)
