"""Finding 5 of issue 7: two accounts cannot become each other's parent, even at the
same moment, and a deadlock or lock timeout is a "try again" page, never a 500."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, transaction
from django.test import RequestFactory

from accounts.models import Account
from accounts.services import update_account
from leadsite.core.middleware import TransientDatabaseErrorMiddleware
from tests import factories
from tests.integrity_helpers import on_postgresql
from tests.test_lead_concurrency import run_together


@pytest.mark.django_db
def test_account_cannot_become_its_childs_parent(rep):
    parent = factories.AccountFactory(owner_user=rep)
    child = factories.AccountFactory(owner_user=rep, parent_account=parent)
    with pytest.raises(ValidationError, match="own parent or ancestor"):
        update_account(account=parent, by=rep, parent_account=child)


@on_postgresql
@pytest.mark.parametrize("attempt", range(5))
def test_two_accounts_made_each_others_parent_at_once(rep, attempt):
    first = factories.AccountFactory(owner_user=rep)
    second = factories.AccountFactory(owner_user=rep)
    outcomes = run_together(
        lambda: update_account(account=first, by=rep, parent_account=second),
        lambda: update_account(account=second, by=rep, parent_account=first),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, ValidationError), error
    first.refresh_from_db()
    second.refresh_from_db()
    assert not (first.parent_account_id and second.parent_account_id)


def _real_deadlock() -> DatabaseError:
    """Two connections locking two rows in opposite order: PostgreSQL picks one."""
    a = factories.AccountFactory()
    b = factories.AccountFactory()
    barrier = threading.Barrier(2)
    errors = []

    def lock(first, second):
        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=first.pk)
                barrier.wait(timeout=10)
                Account.objects.select_for_update().get(pk=second.pk)
        except DatabaseError as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=lock, args=(a, b)),
        threading.Thread(target=lock, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    [error] = errors
    return error


@on_postgresql
def test_deadlock_answers_with_a_try_again_page():
    error = _real_deadlock()
    middleware = TransientDatabaseErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/"), error)
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
