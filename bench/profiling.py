"""Where the time goes: pyinstrument (sampling, wall clock) around in-process requests, reduced to

* ``components``: inclusive time of the functions that matter for the LRS (validation, prepare, the SQL
  round trips, ...), each counted once per stack (a recursive function is not counted twice), as % of the total;
* ``top_self``: the functions with the most time of their own (a flat profile).

pyinstrument is optional (the ``bench`` extra); without it the profile section says so and the rest of the
benchmark runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

#: label -> (qualified function name, path suffix). Inclusive time of each, outermost occurrence only.
INGEST_COMPONENTS: dict[str, tuple[str, str]] = {
    "request: JSON body parse (json.loads)": ("_parse_json", "lrs/api/statements.py"),
    "request: attachment checks": ("has_attachments", "lrs/xapi/attachments.py"),
    "authenticate (credential cache, secret hash)": ("LRS.authenticate", "lrs/services/statements.py"),
    "LRS.store_statements (everything after the body is read)": ("LRS.store_statements", "lrs/services/statements.py"),
    "validate_batch (xAPI rules)": ("validate_batch", "lrs/xapi/validate.py"),
    "plugin validation hook": ("LRS._plugin_validation", "lrs/services/statements.py"),
    "prepare (index keys, payload)": ("prepare_batch", "lrs/xapi/statement.py"),
    "  of which fingerprint()": ("fingerprint", "lrs/xapi/statement.py"),
    "  of which duration_seconds()": ("duration_seconds", "lrs/xapi/statement.py"),
    "classify (70/20/10 plugin hook)": ("LRS._classify_prepared", "lrs/services/statements.py"),
    "store_batch (the write, either path)": ("store_batch", "lrs/store/statements.py"),
    "  PostgreSQL single statement (Database.run_statement)": ("Database.run_statement", "lrs/store/db.py"),
    "Database.write (transaction: SQL + commit)": ("Database.write", "lrs/store/db.py"),
    "  insert_statements": ("insert_statements", "lrs/store/statements.py"),
    "    of which look-up round trip": ("_look_up", "lrs/store/statements.py"),
    "    of which rows written (insert_batch)": ("_Sql.insert_batch", "lrs/store/statements.py"),
    "  WAL checkpoint after the writer gate (SQLite)": ("Database._checkpoint_now_and_then", "lrs/store/db.py"),
    "  waiting for the writer gate (SQLite)": ("WriterGate.hold", "lrs/store/db.py"),
    "rows encoded before the transaction (StatementBatch)": ("StatementBatch.__init__", "lrs/store/statements.py"),
    "lrs_statements_stored hooks": ("LRS._notify_stored", "lrs/services/statements.py"),
    "response (jsonify)": ("jsonify", "flask/json/__init__.py"),
}

QUERY_COMPONENTS: dict[str, tuple[str, str]] = {
    "authenticate": ("LRS.authenticate", "lrs/services/statements.py"),
    "LRS.query_page (read transaction)": ("LRS.query_page", "lrs/services/statements.py"),
    "parse query": ("parse_statement_query", "lrs/xapi/query.py"),
    "query_page (SQL + row fetch)": ("query_page", "lrs/store/statements.py"),
    "  of which JSON decode of payloads (json.loads)": ("loads", "json/__init__.py"),
    "format (exact/ids/canonical)": ("_formatted", "lrs/api/statements.py"),
    "response (statements_response → JSON encode)": ("statements_response", "lrs/api/statements.py"),
    "response from stored JSON text (format=exact)": ("_statement_result_json", "lrs/api/statements.py"),
    "Last-Modified (parse_instant over the page)": ("parse_instant", "lrs/xapi/statement.py"),
}

#: Time inside the database driver (SQL execution, row transfer, commit), wherever it is called from.
DRIVER_MARKERS = ("/sqlite3/", "/psycopg/", "/psycopg_binary/")
DRIVER_BUILTINS = {
    "Cursor.execute", "Cursor.executemany", "Connection.execute", "Connection.executemany", "Connection.commit",
    "Cursor.fetchall", "Cursor.fetchone", "Cursor.fetchmany",
}


def available() -> bool:
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return False
    return True


def profile(work: Callable[[], Any], components: dict[str, tuple[str, str]], *, interval: float = 0.0005) -> dict:
    """Run ``work`` under pyinstrument and reduce the profile (see the module docstring)."""
    if not available():
        return {"skipped": "pyinstrument is not installed (pip install -e '.[bench]')"}
    from pyinstrument import Profiler

    profiler = Profiler(interval=interval)
    profiler.start()
    try:
        work()
    finally:
        profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    if root is None:
        return {"skipped": "no samples"}
    inclusive: dict[str, float] = defaultdict(float)
    driver = [0.0]
    request_total = [0.0]
    self_time: dict[str, float] = defaultdict(float)
    # pyinstrument names Python functions without their class; match on the name and the file.
    wanted: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for label, (fn, suffix) in components.items():
        wanted[fn.rsplit(".", 1)[-1]].append((suffix, label))

    def label_of(frame: Any) -> str | None:
        path = frame.file_path or ""
        for suffix, label in wanted.get(frame.function, ()):
            if path.endswith(suffix):
                return label
        return None

    def is_driver(frame: Any) -> bool:
        path = frame.file_path or ""
        return any(m in path for m in DRIVER_MARKERS) or (path == "<built-in>" and frame.function in DRIVER_BUILTINS)

    def walk(frame: Any, parent: Any, active: frozenset[str], in_driver: bool, in_request: bool) -> None:
        if getattr(frame, "is_synthetic", False) or frame.function.startswith("["):
            # "[self]" and friends: time spent in the parent itself.
            if parent is not None:
                self_time[_name(parent)] += frame.time
            return
        if not in_request and frame.function == "wsgi_app" and (frame.file_path or "").endswith("flask/app.py"):
            request_total[0] += frame.time
            in_request = True
        label = label_of(frame)
        if label is not None and label not in active:
            inclusive[label] += frame.time
            active = active | {label}
        drv = is_driver(frame)
        if drv and not in_driver:
            driver[0] += frame.time
        if not frame.children:
            self_time[_name(frame)] += frame.time
        for child in frame.children:
            walk(child, frame, active, in_driver or drv, in_request)

    walk(root, None, frozenset(), False, False)
    # Percentages are of the time the Flask app spent on the requests (the test client's own work left out).
    total = request_total[0] or root.time or 1e-9
    top_self = sorted(self_time.items(), key=lambda kv: kv[1], reverse=True)[:20]
    return {
        "request_seconds": round(total, 3),
        "profiled_seconds": round(root.time, 3),
        "samples_interval_ms": interval * 1000,
        "components": [
            {"component": label, "seconds": round(inclusive.get(label, 0.0), 3),
             "percent": round(100 * inclusive.get(label, 0.0) / total, 1)}
            for label in components
        ],
        "database_driver_percent": round(100 * driver[0] / total, 1),
        "top_self": [
            {"function": name, "seconds": round(t, 3), "percent": round(100 * t / total, 1)} for name, t in top_self
        ],
        "text": profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)[:20000],
    }


def _name(frame: Any) -> str:
    cls = getattr(frame, "class_name", None)
    fn = f"{cls}.{frame.function}" if cls and "." not in frame.function else frame.function
    return f"{fn} ({_short(frame.file_path)}:{frame.line_no})"


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path
