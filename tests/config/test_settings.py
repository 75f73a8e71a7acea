"""Settings read from the environment: what `lrs serve` runs when the operator says nothing."""

from __future__ import annotations

import pytest

from lrs.config import Settings


@pytest.mark.parametrize("cpus, workers", [(1, 2), (2, 3), (4, 5), (64, 8), (None, 2)])
def test_sqlite_serves_one_request_per_process_and_a_process_per_cpu(monkeypatch, cpus, workers):
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    settings = Settings.from_env({"LRS_DATABASE_URL": "sqlite:////tmp/lrs.sqlite3"})
    assert (settings.workers, settings.threads) == (workers, 1)


def test_the_embedded_default_is_sqlite_and_gets_the_sqlite_shape(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    settings = Settings.from_env({})
    assert settings.is_sqlite
    assert (settings.workers, settings.threads) == (3, 1)


def test_postgresql_keeps_two_workers_of_four_threads(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    settings = Settings.from_env({"LRS_DATABASE_URL": "postgresql://db.example/lrs"})
    assert (settings.workers, settings.threads) == (2, 4)


def test_the_operator_s_numbers_win(monkeypatch):
    settings = Settings.from_env({"LRS_DATABASE_URL": "sqlite:////tmp/x.sqlite3", "LRS_WORKERS": "6", "LRS_THREADS": "2"})
    assert (settings.workers, settings.threads) == (6, 2)


def test_a_workers_value_that_is_not_a_number_stops_with_a_message():
    with pytest.raises(SystemExit, match="LRS_WORKERS must be a whole number"):
        Settings.from_env({"LRS_WORKERS": "many"})
