"""Django's guard against synchronous ORM calls from an event loop stays on outside
the browser tests (tests/browser/conftest.py lifts it for them alone)."""

import asyncio
import os

import pytest
from django.core.exceptions import SynchronousOnlyOperation

from leads.models import Lead


def test_orm_refuses_calls_from_an_event_loop_outside_browser_tests(db):
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ

    async def count_leads():
        return Lead.objects.count()

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(count_leads())
