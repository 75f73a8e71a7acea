"""`lrs serve` with two workers: /metrics adds up every worker's counts, JSON logs carry request ids, and the
metrics directory it made is gone after it stops."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from api.test_lrs_serve import start_lrs_serve, stop

pytestmark = pytest.mark.slow


def _count(text: str, route: str) -> float:
    pattern = re.compile(r'^lrs_http_requests_total\{[^}]*route="' + re.escape(route) + r'"[^}]*\} (\S+)$', re.M)
    return sum(float(v) for v in pattern.findall(text))


def test_metrics_add_up_across_workers_and_the_directory_is_removed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setenv("LRS_LOG_FORMAT", "json")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    served = start_lrs_serve(database_url, tmp_path, workers=2, threads=1)
    try:
        assert [p.name for p in temp.iterdir() if p.name.startswith("lrs-metrics-")]
        for _ in range(30):  # a new connection each time: granian spreads them over the workers
            status, headers, _ = served.request("GET", "/healthz", **{"X-Request-Id": "probe-1"})
            assert status == 200 and headers["x-request-id"] == "probe-1"
        for _ in range(4):  # whichever worker answers the scrape, it reports both workers' requests
            status, headers, body = served.request("GET", "/metrics")
            assert status == 200 and headers["content-type"].startswith("text/plain")
            assert _count(body.decode(), "/healthz") >= 30
    finally:
        assert stop(served) == 0
    assert [p.name for p in temp.iterdir() if p.name.startswith("lrs-metrics-")] == []
    access = [json.loads(line) for line in served.output.read_text().splitlines() if line.startswith("{")]
    probes = [line for line in access if line.get("logger") == "lrs.access" and line.get("route") == "/healthz"]
    assert len(probes) == 30 and all(p["request_id"] == "probe-1" and p["status"] == 200 for p in probes)
