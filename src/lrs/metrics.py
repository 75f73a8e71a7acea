"""Prometheus metrics: the counters and histograms every layer updates, and their exposition.

No Flask here: the store, the services and the plugin caller import this module to count what they do; the
HTTP side (lrs.api.observability) counts requests and serves ``/metrics``.

Across processes: when ``PROMETHEUS_MULTIPROC_DIR`` is set before this module is imported (``lrs serve``
creates a temporary directory for it and removes it on exit), prometheus_client writes each worker's values to
files there and :func:`exposition` adds them up, so a scrape sees every granian worker, not the one that
answered. Without it (tests, ``flask run``) the values live in this process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

#: Request latency buckets, in seconds: from a cached GET (a millisecond) to a large batch (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Write-lock buckets, in seconds: a single statement's write (well under a millisecond) to a rebuild's chunk.
LOCK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _define() -> None:
    """Create the metrics (again, after :func:`share_across_processes` switched the value store)."""
    global http_requests, http_latency, statements_stored, documents_written, plugin_failures, exporter_runs, exporter_duration, database_retries, write_lock_wait, write_lock_hold
    http_requests = Counter(
        "lrs_http_requests_total", "HTTP requests answered, by URL rule (not raw path) and status",
        ["method", "route", "status"],
    )
    http_latency = Histogram(
        "lrs_http_request_duration_seconds", "Time to answer an HTTP request, by URL rule",
        ["method", "route"], buckets=LATENCY_BUCKETS,
    )
    statements_stored = Counter("lrs_statements_stored_total", "Statements stored (committed)")
    documents_written = Counter(
        "lrs_documents_written_total", "Documents written or deleted (state, activity and agent profiles)",
        ["resource", "operation"],
    )
    plugin_failures = Counter(
        "lrs_plugin_failures_total", "Plugin hook implementations that raised and were skipped", ["hook", "plugin"]
    )
    exporter_runs = Counter("lrs_exporter_runs_total", "Exports run, by exporter and outcome", ["exporter", "outcome"])
    exporter_duration = Histogram(
        "lrs_exporter_duration_seconds", "Time to build an export", ["exporter"],
        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    )
    database_retries = Counter(
        "lrs_database_retries_total", "Transactions retried after a serialisation failure, deadlock or lost lock",
        ["error"],
    )
    # SQLite's one writer at a time (lrs.store.db.WriterGate): how long writers queue for it and hold it. Held
    # nearly all the time, the store is bound by that one writer (docs/operations.md).
    write_lock_wait = Histogram(
        "lrs_sqlite_write_lock_wait_seconds", "Time a write waited for SQLite's write lock (the writer gate)",
        buckets=LOCK_BUCKETS,
    )
    write_lock_hold = Histogram(
        "lrs_sqlite_write_lock_hold_seconds", "Time a write held SQLite's write lock, its COMMIT included",
        buckets=LOCK_BUCKETS,
    )


_define()


@contextmanager
def share_across_processes() -> Iterator[str]:
    """Around ``lrs serve``'s server: every worker's values in one directory, removed afterwards.

    Uses ``PROMETHEUS_MULTIPROC_DIR`` when the operator set it (then it is theirs to empty before a start),
    else a new temporary directory. Call it before the workers fork: the metrics are created again here so
    that their values live in that directory's files rather than in this process's memory.
    """
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = given or tempfile.mkdtemp(prefix="lrs-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.get_value_class()
    for metric in (http_requests, http_latency, statements_stored, documents_written, plugin_failures,
                   exporter_runs, exporter_duration, database_retries, write_lock_wait, write_lock_hold):
        REGISTRY.unregister(metric)
    _define()
    try:
        yield directory
    finally:
        if not given:
            shutil.rmtree(directory, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type (every worker's when multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
