"""Fixtures for the plugin tests: an LRS with a chosen set of plugins, on each test database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from conftest import XAPIClient, make_credential
from sqlalchemy import select

from lrs.app import create_app
from lrs.config import Settings
from lrs.plugins import make_plugin_manager
from lrs.services.statements import LRS
from lrs.store.db import Database
from lrs.store.models import Statement


@pytest.fixture
def lrs_with(lrs_instance: LRS, settings: Settings, shared_database: Database) -> Callable[..., LRS]:
    """``lrs_with(("name", plugin), ...)``: an LRS (on the emptied test database) with the built-in plugin,
    no installed entry points, and the given plugins registered after it, in order."""

    def build(*plugins: tuple[str, Any], builtins: bool = True, **settings_changes: Any) -> LRS:
        pm = make_plugin_manager(load_entry_points=False)
        if not builtins:
            for name, _ in list(pm.list_name_plugin()):
                pm.unregister(name=name)
        for name, plugin in plugins:
            pm.register(plugin, name=name)
        return LRS(dataclasses.replace(settings, **settings_changes), db=shared_database, pm=pm)

    return build


@pytest.fixture
def client_for() -> Callable[[LRS], XAPIClient]:
    """An xAPI test client (all scopes) for an LRS."""

    def build(lrs: LRS) -> XAPIClient:
        app = create_app(lrs=lrs)
        app.config["TESTING"] = True
        return XAPIClient(app.test_client(), *make_credential(lrs, ["all"], name="admin"))

    return build


def stored_modes(lrs: LRS) -> dict[str, tuple[str | None, str | None]]:
    """Statement id -> (learning_mode, rules_fingerprint), straight from the table."""
    S = Statement.__table__
    with lrs.db.read() as conn:
        rows = conn.execute(select(S.c.id, S.c.learning_mode, S.c.rules_fingerprint)).all()
    return {r.id: (r.learning_mode, r.rules_fingerprint) for r in rows}
