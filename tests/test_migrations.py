"""The migration history is one line per app, numbered in order and in step with
the models."""

import re

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

APPS = [
    "accounts",
    "leads",
    "scheduling",
    "notifications",
]  # webhooks: 0001_outbound_webhooks


@pytest.mark.parametrize("app", APPS)
def test_each_app_history_is_one_numbered_line(app):
    """0001_initial, 0002_<what>, ...: each migration depends on the one before it
    in its app, and nothing branches or merges."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    names = sorted(name for label, name in graph.nodes if label == app)
    assert names[0] == "0001_initial"
    for number, name in enumerate(names, start=1):
        assert re.fullmatch(rf"{number:04d}_[a-z_]+", name), name
    for earlier, later in zip(names, names[1:], strict=False):
        parents = {
            n for label, n in graph.node_map[(app, later)].parents if label == app
        }
        assert parents == {earlier}, later
    assert graph.leaf_nodes(app) == [(app, names[-1])]


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
