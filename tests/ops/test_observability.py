"""Health, readiness, Prometheus metrics and request ids."""

from __future__ import annotations

import json
import logging
import re

from conftest import statement

from lrs.logs import JsonFormatter, RequestIdFilter


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_healthz_and_readyz_need_no_credentials(app) -> None:  # noqa: ANN001
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ok" and body["revision"] == body["head"] and body["head"]


def test_readyz_is_503_when_the_schema_is_behind(app, lrs_instance, monkeypatch) -> None:  # noqa: ANN001
    from lrs.store import migrate

    monkeypatch.setattr(migrate, "_head_cached", lambda: "9999_future")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["detail"] == "run `lrs db upgrade`"


def test_metrics_count_requests_by_route_statements_and_documents(client) -> None:  # noqa: ANN001
    scrape = lambda: client.flask.get("/metrics").get_data(as_text=True)  # noqa: E731
    before = scrape()
    assert client.post_statements([statement(), statement()]).status_code == 200
    assert client.get("/api/learners/mailto:jo%40la.example/summary").status_code == 200
    put = client.put(
        "/xapi/activities/state?activityId=https://a.example/x&stateId=s"
        '&agent={"mbox":"mailto:jo@la.example"}', data=b"hello", headers={"Content-Type": "text/plain"},
    )
    assert put.status_code == 204
    after = scrape()
    route = "/api/learners/<path:agent>/summary"
    assert _value(after, "lrs_http_requests_total", route=route, status="200") == _value(
        before, "lrs_http_requests_total", route=route, status="200") + 1
    assert "jo@la.example" not in after and "jo%40la.example" not in after  # a rule, never the raw path
    assert _value(after, "lrs_http_request_duration_seconds_count", route=route) >= 1
    assert _value(after, "lrs_statements_stored_total") == _value(before, "lrs_statements_stored_total") + 2
    assert _value(after, "lrs_documents_written_total", resource="state") == _value(
        before, "lrs_documents_written_total", resource="state") + 1
    assert "lrs_database_retries_total" in after and "lrs_plugin_failures_total" in after
    client.flask.open("/xapi/statements", method="BREW")
    assert 'method="BREW"' not in scrape() and 'method="OTHER"' in scrape()


def test_the_sqlite_write_lock_wait_and_hold_are_measured(client, db_dialect) -> None:  # noqa: ANN001
    """An operator reads from /metrics how busy SQLite's one writer is: each write's wait for the lock and its hold,
    COMMIT included. PostgreSQL has no such lock: the histograms are there and do not move."""
    scrape = lambda: client.flask.get("/metrics").get_data(as_text=True)  # noqa: E731
    before = scrape()
    assert client.post_statements([statement() for _ in range(20)]).status_code == 200
    after = scrape()
    holds = _value(after, "lrs_sqlite_write_lock_hold_seconds_count") - _value(
        before, "lrs_sqlite_write_lock_hold_seconds_count")
    held = _value(after, "lrs_sqlite_write_lock_hold_seconds_sum") - _value(
        before, "lrs_sqlite_write_lock_hold_seconds_sum")
    waits = _value(after, "lrs_sqlite_write_lock_wait_seconds_count") - _value(
        before, "lrs_sqlite_write_lock_wait_seconds_count")
    assert "# TYPE lrs_sqlite_write_lock_hold_seconds histogram" in after
    if db_dialect == "postgresql":
        assert holds == waits == 0
        return
    # The batch's transaction (and the credential's first use, or nothing more): each hold had its wait first.
    assert holds >= 1 and waits == holds
    assert held > 0
    # Every hold is counted in the +Inf bucket too.
    assert _value(after, "lrs_sqlite_write_lock_hold_seconds_bucket", le="+Inf") - _value(
        before, "lrs_sqlite_write_lock_hold_seconds_bucket", le="+Inf") == holds


def test_exporter_runs_and_plugin_failures_are_counted(client, lrs_instance, monkeypatch) -> None:  # noqa: ANN001
    from lrs import metrics
    from lrs.hookspecs import hookimpl
    from lrs.plugins import call_each

    class Broken:
        @staticmethod
        @hookimpl
        def lrs_exporters():  # noqa: ANN205
            raise RuntimeError("broken on purpose")

    lrs_instance.pm.register(Broken, name="broken-plugin")
    try:
        call_each(lrs_instance.pm, "lrs_exporters")
    finally:
        lrs_instance.pm.unregister(name="broken-plugin")
    text = client.flask.get("/metrics").get_data(as_text=True)
    assert _value(text, "lrs_plugin_failures_total", hook="lrs_exporters", plugin="broken-plugin") >= 1
    before = metrics.exporter_runs.labels("cpd-log", "ok")._value.get()
    got = client.get("/api/learners/mailto:jo%40la.example/exports/cpd-log?format=json")
    assert got.status_code == 200
    text = client.flask.get("/metrics").get_data(as_text=True)
    assert _value(text, "lrs_exporter_runs_total", exporter="cpd-log", outcome="ok") == before + 1
    assert _value(text, "lrs_exporter_duration_seconds_count", exporter="cpd-log") >= 1


def test_every_answer_has_a_request_id_and_a_sane_incoming_one_is_kept(client, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="lrs.access")
    mine = client.get("/xapi/about", headers={"X-Request-Id": "lb-1234.abc"})
    assert mine.headers["X-Request-Id"] == "lb-1234.abc"
    refused = client.get("/api/frameworks", headers={"X-Request-Id": "bad id\u00e9" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"])
    assert client.flask.get("/no/such/page").headers["X-Request-Id"]
    lines = [r for r in caplog.records if r.name == "lrs.access"]
    assert any(r.request_id == "lb-1234.abc" and r.route == "/xapi/about" and r.status == 200 for r in lines)


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("lrs.access", logging.INFO, __file__, 1, "GET /x 200", None, None)
    record.request_id = "abc"
    record.status = 200
    record.route = "/x"
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc" and line["status"] == 200 and line["message"] == "GET /x 200"
    plain = logging.LogRecord("lrs", logging.ERROR, __file__, 1, "boom", None, None)
    RequestIdFilter().filter(plain)
    assert json.loads(JsonFormatter().format(plain))["request_id"] == "-"
