"""The lead's dashboard works out its CPD readiness column in a second thread, on a second pooled connection, while
the request's own thread reads the totals, the months and the unit progress (lrs.services.dashboard): the answer
is the same bytes as with everything in one thread (``GET /api/cohorts/dashboard``; the page and its CSV:
tests/web/test_dashboard_overlap_pages.py), the hook
is asked about the same learners in the same order, an error in either thread surfaces as it did in one (the
request's own first), the second thread has ended before the request does, and it carries the request's id.
Both databases (SQLite works it out in one thread: the second thread is forced there, so its answers are held
the same on both)."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import pytest

from lrs.logs import current_request_id
from lrs.services import dashboard
from lrs.store import dashboard as dashboard_store

from .conftest import NORTH
from .test_cohort_dashboard import _build, _path


def _lead(lrs, people):  # noqa: ANN001, ANN202
    key, secret = base64.b64decode(people["lead"].auth["Authorization"].split()[1]).decode().split(":", 1)
    return lrs.authenticate(key, secret)


def _asked(monkeypatch):  # noqa: ANN001, ANN202
    """The readiness hook wrapped: each call's thread and learner keys."""
    calls = []
    real = dashboard.cpd_readiness

    def recorded(lrs, keys, year):  # noqa: ANN001, ANN202
        calls.append((threading.current_thread(), list(keys), current_request_id.get()))
        return real(lrs, keys, year)

    monkeypatch.setattr(dashboard, "cpd_readiness", recorded)
    return calls


def test_the_overlapped_readiness_gives_the_same_answers(centre, lrs_instance, app, monkeypatch):  # noqa: ANN001
    people = _build(centre, lrs_instance, app)
    # PostgreSQL overlaps; SQLite does not, but its answers through the second thread are held the same too.
    assert dashboard._can_overlap(lrs_instance) == (lrs_instance.db.dialect == "postgresql")
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)
    calls = _asked(monkeypatch)
    lead = people["lead"]
    overlapped = lead.get(_path(NORTH)).get_data()
    assert len(calls) == 1 and calls[0][0] is not threading.current_thread()
    when = datetime.now(UTC)
    principal = _lead(lrs_instance, people)
    data_overlapped = dashboard.cohort_dashboard(lrs_instance, principal, NORTH, when)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: False)
    calls.clear()
    alone = lead.get(_path(NORTH)).get_data()
    assert len(calls) == 1 and calls[0][0] is threading.current_thread()
    data_alone = dashboard.cohort_dashboard(lrs_instance, principal, NORTH, when)
    assert overlapped == alone
    assert data_overlapped == data_alone
    assert [r["agent"] for r in data_alone["rows"]] != []
    assert any(r["cpd"] for r in data_alone["rows"])  # the column is there, not left empty
    # The hook is asked about the enrolled learners in key order, as the totals give them, in both ways.
    keys = [x.agent_key for x in _totals(lrs_instance)]
    assert keys == sorted(keys) and len(keys) == 3
    monkeypatch.undo()
    calls = _asked(monkeypatch)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)
    dashboard.cohort_dashboard(lrs_instance, principal, NORTH, when)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: False)
    dashboard.cohort_dashboard(lrs_instance, principal, NORTH, when)
    assert [c[1] for c in calls] == [keys, keys]


def _totals(lrs):  # noqa: ANN001, ANN202
    with lrs.db.read() as conn:
        return dashboard_store.cohort_learner_totals(conn, NORTH, dashboard.MODES)


class Refused(Exception):
    pass


def test_an_error_in_the_readiness_surfaces_as_before(centre, lrs_instance, app, monkeypatch):  # noqa: ANN001
    people = _build(centre, lrs_instance, app)
    principal = _lead(lrs_instance, people)

    def fails(lrs, keys, year):  # noqa: ANN001, ANN202
        raise Refused(threading.current_thread().name)

    monkeypatch.setattr(dashboard, "cpd_readiness", fails)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)
    with pytest.raises(Refused) as overlapped:
        dashboard.cohort_dashboard(lrs_instance, principal, NORTH)
    assert overlapped.value.args[0] != threading.current_thread().name  # raised in the second thread
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: False)
    with pytest.raises(Refused) as alone:
        dashboard.cohort_dashboard(lrs_instance, principal, NORTH)
    assert alone.value.args[0] == threading.current_thread().name


def test_an_error_of_the_requests_own_thread_waits_for_the_readiness(centre, lrs_instance, app, monkeypatch):  # noqa: ANN001
    """The request's own error is the one raised (also when the readiness fails too), once the second thread
    has ended; the pool has every connection back."""
    people = _build(centre, lrs_instance, app)
    principal = _lead(lrs_instance, people)
    ended = []
    real = dashboard.cpd_readiness

    def slow(lrs, keys, year, *, fail=False):  # noqa: ANN001, ANN202
        time.sleep(0.3)
        try:
            if fail:
                raise Refused("readiness")
            return real(lrs, keys, year)
        finally:
            ended.append(time.monotonic())

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise Refused("totals")

    monkeypatch.setattr(dashboard_store, "cohort_learner_totals", broken)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)
    checked_out = lrs_instance.db.engine.pool.checkedout()
    for fail in (False, True):
        ended.clear()
        monkeypatch.setattr(dashboard, "cpd_readiness", lambda lrs, keys, year, fail=fail: slow(lrs, keys, year, fail=fail))
        with pytest.raises(Refused) as raised:
            dashboard.cohort_dashboard(lrs_instance, principal, NORTH)
        caught = time.monotonic()
        assert raised.value.args == ("totals",)
        assert len(ended) == 1 and ended[0] <= caught
        assert lrs_instance.db.engine.pool.checkedout() == checked_out
    assert not [t for t in threading.enumerate() if t.name == "lrs-dashboard-readiness"]


def test_the_second_thread_carries_the_requests_id(centre, lrs_instance, app, monkeypatch):  # noqa: ANN001
    people = _build(centre, lrs_instance, app)
    calls = _asked(monkeypatch)
    monkeypatch.setattr(dashboard, "_can_overlap", lambda lrs: True)
    token = current_request_id.set("req-overlap-1")
    try:
        dashboard.cohort_dashboard(lrs_instance, _lead(lrs_instance, people), NORTH)
    finally:
        current_request_id.reset(token)
    assert calls[0][0] is not threading.current_thread() and calls[0][2] == "req-overlap-1"
