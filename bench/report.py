"""Markdown from results files: the tables docs/performance.md carries. ``bench/run.py`` prints this after a
run; ``bench/run.py --report FILE...`` prints it for results already written."""

from __future__ import annotations

from typing import Any

QUERY_KINDS = ("latest", "by_agent", "by_verb", "by_activity_related", "agent_verb_since", "day_window")


def _get(r: dict[str, Any], *keys: Any, default: Any = "–") -> Any:
    for key in keys:
        try:
            r = r[key]
        except (KeyError, IndexError, TypeError):
            return default
    return r


def _mark(r: dict[str, Any], key: str) -> str:
    t = _get(r, "targets", key, default=None)
    if not t:
        return ""
    return " ✅" if t["met"] else " ❌"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def machine(results: dict[str, dict[str, Any]]) -> str:
    r = next(iter(results.values()))
    m = r["machine"]
    lines = [
        f"- run: {r['date']} ({r['config']['mode']} mode, N = {r['config']['statements']:,}, seed {r['config']['seed']}),"
        f" commit {r['git']['commit'][:10]}{' (src/ modified)' if r['git'].get('dirty_src') else ''},"
        f" {r.get('elapsed_seconds', '?')} s in all",
        f"- machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']},"
        f" load average at start {m['load_average_at_start']} (shared machine)",
        f"- Python {m['python']}, SQLite {m['sqlite']}",
    ]
    for res in results.values():
        db = res.get("database", {})
        if db.get("engine") == "postgresql":
            s = db.get("settings", {})
            lines.append(f"- PostgreSQL {db['version']} (shared_buffers {s.get('shared_buffers')}, synchronous_commit"
                         f" {s.get('synchronous_commit')}, fsync {s.get('fsync')}), same machine")
    c = r["config"]
    for name, res in results.items():
        shape = (res.get("ingest") or {}).get("server") or (res.get("queries") or {}).get("server")
        if shape is None:  # results from before the shape was recorded per database
            shape = {"workers": c.get("workers"), "threads": c.get("threads")}
        lines.append(f"- {name} server: `lrs serve`, {shape['workers']} workers x {shape['threads']} threads (granian)")
    lines.append(f"- {c['clients']} concurrent keep-alive clients for ingest")
    return "\n".join(lines)


def summary(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    rows: list[list[Any]] = []

    def row(label: str, fn: Any) -> None:
        cells = []
        for name in names:
            try:
                cells.append(fn(results[name]))
            except (KeyError, TypeError, IndexError, ValueError):
                cells.append("–")
        rows.append([label, *cells])

    first = results[names[0]]
    row("single POST p50 / p95 (ms)", lambda r: f"{r['ingest']['single_post']['p50_ms']} / "
        f"{r['ingest']['single_post']['p95_ms']}{_mark(r, 'single_post_p50_ms')}")
    for case in _get(first, "ingest", "batches", default=[]):
        b = case["batch"]

        def cell(r: dict[str, Any], b: int = b) -> str:
            c = next(c for c in r["ingest"]["batches"] if c["batch"] == b)
            return (f"{c['lrs']['statements_per_second']:,.0f} vs {c['floor']['best_statements_per_second']:,.0f}"
                    f" = **{c['ratio_to_floor']:.2f}**" + _mark(r, f"batch_{b}_ratio_to_floor"))

        row(f"ingest st/s, batch {b}: LRS vs raw floor = ratio", cell)
    n = _get(first, "queries", "statements", default=0)
    for kind in QUERY_KINDS:
        row(f"GET {kind} p50 / p95 (ms)", lambda r, k=kind: f"{r['queries']['queries'][k]['p50_ms']} / "
            f"{r['queries']['queries'][k]['p95_ms']}{_mark(r, f'query_{k}_p95_ms')}")

    def paging(r: dict[str, Any]) -> str:
        p = r["queries"]["queries"]["paging_heavy_agent"]
        if not p["complete"]:
            return (f"unfinished after {p['whole_record']['unfinished_after_seconds']} s"
                    f" (~{p['estimated_whole_record_seconds']} s estimated)" + _mark(r, "paging_2000_record_seconds"))
        return (f"{p['whole_record']['p50_ms'] / 1000:.2f} / {p['whole_record']['p95_ms'] / 1000:.2f}"
                + _mark(r, "paging_2000_record_seconds"))

    row("paging one agent's ~2,000 statements, 20 pages (s, p50 / p95)", paging)
    row("server RSS (workers + master): idle → peak, limit=1000 pages, 1 client (MiB)",
        lambda r: f"{r['queries']['memory']['baseline']['total_rss_mib']} → "
        f"{r['queries']['memory']['one_client']['peak_total_rss_mib']}")
    row("server RSS peak, limit=1000 pages, 4 clients at once (MiB)",
        lambda r: f"{r['queries']['memory']['concurrent_clients']['peak_total_rss_mib']}")
    row("reading limit=1000 pages, 1 client (statements/s)",
        lambda r: f"{r['queries']['memory']['one_client']['statements_per_second']:,.0f}")
    title = f"queries at N = {n:,}" if n else ""
    return (title + "\n\n" if title else "") + _table(["measure", *names], rows)


def ingest_detail(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in results.items():
        for c in _get(r, "ingest", "batches", default=[]):
            fl = c["floor"]
            rows.append([
                name, c["batch"], f"{c['statements']:,}", f"{c['lrs']['statements_per_second']:,.0f}",
                f"{c['lrs']['request_latency'].get('p50_ms')} / {c['lrs']['request_latency'].get('p95_ms')}",
                f"{fl['concurrent']['statements_per_second']:,.0f}", f"{fl['single_connection']['statements_per_second']:,.0f}",
                f"{c['ratio_to_floor']:.2f}", f"{c['lrs']['machine_cpu_percent']}%", _lock(c["lrs"].get("write_lock")),
            ])
    return _table(["db", "batch", "statements", "LRS st/s", "request p50 / p95 ms", "floor st/s (4 conn)",
                   "floor st/s (1 conn)", "ratio", "machine CPU", "write lock held / ms a hold (over 100 ms)"], rows)


def _lock(lock: dict[str, Any] | None) -> str:
    """SQLite's write lock through a case (bench/harness.py write_lock_figures); "-" on PostgreSQL."""
    if not lock:
        return "-"
    return f"{lock['held_fraction']:.0%} / {lock['mean_hold_ms']} ({lock['holds_over_100ms']})"


def profiles(results: dict[str, dict[str, Any]]) -> str:
    parts = []
    for name, r in results.items():
        for section, key in (("ingest", "batch_100"), ("ingest", "single")):
            p = _get(r, section, "profile", key, default=None)
            if not p or "components" not in p:
                continue
            parts.append(f"**{name}, POST {'batches of 100' if key == 'batch_100' else 'single statements'}**"
                         f" ({p['request_seconds']} s of requests; database driver {p['database_driver_percent']}%)\n")
            parts.append(_table(["component", "% of request time"],
                                [[c["component"].replace("  ", "&nbsp;&nbsp;"), c["percent"]] for c in p["components"]]))
            parts.append("\ntop functions by own time: " + "; ".join(
                f"`{t['function'].split(' (')[0]}` {t['percent']}%" for t in p["top_self"][:8]) + "\n")
        qp = _get(r, "queries", "profile", default=None)
        if qp:
            for key, title in (("slowest_query", f"slowest query ({qp.get('query')})"), ("page_of_1000", "limit=1000 page")):
                p = qp.get(key)
                if not p or "components" not in p:
                    continue
                parts.append(f"**{name}, GET {title}** ({p['request_seconds']} s of requests;"
                             f" database driver {p['database_driver_percent']}%)\n")
                parts.append(_table(["component", "% of request time"],
                                    [[c["component"].replace("  ", "&nbsp;&nbsp;"), c["percent"]] for c in p["components"]]))
                parts.append("\ntop functions by own time: " + "; ".join(
                    f"`{t['function'].split(' (')[0]}` {t['percent']}%" for t in p["top_self"][:8]) + "\n")
    return "\n".join(parts)


def whatif(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in results.items():
        w = _get(r, "queries", "whatif", default=None)
        if not w or "before_after" not in w:
            continue
        after = _get(w, "current_after_analyze", "timings", default={})
        for kind, v in w["before_after"].items():
            rows.append([
                name, kind,
                f"{_get(v, 'previous', 'p50_ms')} / {_get(v, 'previous', 'p95_ms')}",
                f"{_get(v, 'current', 'p50_ms')} / {_get(v, 'current', 'p95_ms')}",
                f"{_get(after, kind, 'current', 'p95_ms')}" if after else "n/a",
                "yes" if v["same_results"] else "**no**",
            ])
    return _table(["db", "query", "before p50 / p95 ms", "now p50 / p95 ms", "now, after ANALYZE, p95",
                   "same results"], rows)


def plans(results: dict[str, dict[str, Any]], kinds: tuple[str, ...] = ("by_agent", "by_verb")) -> str:
    parts = []
    for name, r in results.items():
        ex = _get(r, "queries", "explain", default={})
        for kind in kinds:
            if kind in ex:
                parts.append(f"{name}, {kind} (current):\n\n```\n" + "\n".join(ex[kind]["plan"]) + "\n```\n")
    return "\n".join(parts)


def render(results: dict[str, dict[str, Any]]) -> str:
    return "\n\n".join([
        machine(results), summary(results), "Ingest detail:\n\n" + ingest_detail(results),
        "The query before the StatementRef index vs now (database time only, same statements returned):\n\n"
        + whatif(results),
        profiles(results), plans(results),
    ])
