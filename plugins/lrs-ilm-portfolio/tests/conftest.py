"""Fixtures for the ILM portfolio tests; the record itself is built in ilm_records.py."""

from __future__ import annotations

import pytest
from ilm_records import ENV, make_record

from lrs.hookspecs import ExportRecord


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing and issuer settings come from the environment; each test starts without them."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def record() -> ExportRecord:
    return make_record()
