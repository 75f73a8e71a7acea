"""Instructions per request on the statement path, counted by callgrind: a figure the machine's load does not move.

    .venv/bin/python bench/callgrind_path.py prepare --dir /tmp/cg       # a SQLite store of 1,000 statements
    .venv/bin/python bench/callgrind_path.py measure --dir /tmp/cg        # valgrind runs; prints the table

``prepare`` makes the store with the LRS of the interpreter that runs it (so run it with each commit's venv into
its own directory: the schema is that commit's). ``measure`` then runs, for each kind of request (a single POST,
``GET /xapi/statements?limit=100``, a POST of a batch of 100), the same script under
``valgrind --tool=callgrind --instr-atstart=no`` on a fresh copy of the store: the garbage collector set as a
serving worker sets it (where the commit does), 5 warm requests, then ``--count`` (40; 8 for batches) requests
of that kind with the instrumentation switched on around them only (a few lines of C, compiled here with ``cc``
against valgrind's ``callgrind.h``, called through ctypes). The total over the count is
the instructions one request costs the process (the interpreter, Flask, the LRS, SQLite), start-up and first-use
costs excluded. The
statements are ``bench/workload.py``'s (seed 1), the same for every commit, because this file's directory is put
first on the path; run it from the commit you measure, or pass ``--bench`` to read the workload elsewhere.
``PYTHONHASHSEED=0`` is set for the runs. Not part of ``bench/run.py``: valgrind makes each run take ~1 minute.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KEY = "callgrind-bench"
SECRET = "callgrind-bench-secret-0123456789"
STORE = 1000
KINDS = {"single": 40, "get100": 40, "batch100": 8}


def _workload():  # noqa: ANN202
    from workload import Workload

    return Workload(seed=1, total=1_000_000)


def _lrs_class():  # noqa: ANN202
    try:
        from lrs.services.statements import LRS
    except ImportError:  # before the 2026-12-05 refactor (df05c38)
        from lrs.service import LRS
    return LRS


def prepare(directory: Path) -> None:
    from lrs.config import Settings
    from lrs.store.credentials import ensure_credential
    from lrs.store.db import Database
    from lrs.store.migrate import upgrade

    LRS = _lrs_class()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "store.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings)
    lrs.db.write(lambda conn: ensure_credential(
        conn, key=KEY, secret=SECRET, name="callgrind", scopes=["all"],
        authority_home_page=settings.authority_home_page,
    ))
    client, headers = _client(url, lrs)
    wl = _workload()
    for start in range(0, STORE, 100):
        _post(client, headers, json.dumps(list(wl.statements(start, 100))).encode())
    lrs.db.dispose()


def _client(url: str, lrs):  # noqa: ANN001, ANN202
    from lrs.app import create_app
    from lrs.config import Settings

    app = create_app(Settings(database_url=url, bootstrap_key=None), lrs=lrs)
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    return app.test_client(), {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


def _post(client, headers, body: bytes) -> None:  # noqa: ANN001
    response = client.post("/xapi/statements", data=body, headers=headers, content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(f"POST failed: {response.status_code} {response.data[:300]!r}")


_TOGGLE_C = """#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT("measured"); }
void mark(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""

#: ``--phases``: the parts of a POST counted apart (module, attribute): each is wrapped so that callgrind dumps
#: its counters when the part starts and ends, and the dumps are added up by part, each part without the parts
#: it calls. "request" is everything else (the HTTP handling: WSGI, Flask, auth, the answer).
PHASES = (
    ("lrs.api.statements", "read_statement_request"),
    ("lrs.services.statements", "validate_batch"),
    ("lrs.services.statements.access", "check_write_statements"),
    ("lrs.services.statements", "prepare_batch"),
    ("lrs.services.statements.LRS", "_classify_prepared"),
    ("lrs.store.statements.StatementBatch", "__init__"),
    ("lrs.store.statements", "store_batch"),
    ("lrs.store.db.Database", "_checkpoint_now_and_then"),
    ("lrs.services.statements.LRS", "_enrol_from"),
    ("lrs.services.statements", "call_each"),
    ("lrs.review.service", "derive"),
    ("lrs.competency.evidence", "link_statements"),
)


def _wrap_phases(toggles) -> None:  # noqa: ANN001
    """Wrap each part of PHASES (where the commit has it) so that its instructions are dumped under its name."""
    import ctypes
    import functools
    import importlib

    stack = [b"request"]
    mark = toggles.mark
    mark.argtypes = [ctypes.c_char_p]

    for owner_path, name in PHASES:
        parts = owner_path.split(".")
        try:
            for cut in range(len(parts), 0, -1):  # the longest module prefix, then attributes
                try:
                    owner = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                for attr in parts[cut:]:
                    owner = getattr(owner, attr)
                break
            original = getattr(owner, name)
        except AttributeError:
            continue
        label = f"{owner_path.rsplit('.', 1)[-1]}.{name}".encode()

        def wrapped(*args, __original=original, __label=label, **kwargs):  # noqa: ANN002, ANN003, ANN202
            mark(stack[-1])
            stack.append(__label)
            try:
                return __original(*args, **kwargs)
            finally:
                mark(stack.pop())

        setattr(owner, name, functools.wraps(original)(wrapped))


def _toggles(directory: Path):  # noqa: ANN202
    import ctypes

    source, library = directory / "toggle.c", directory / "toggle.so"
    source.write_text(_TOGGLE_C)
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)], check=True)
    return ctypes.CDLL(str(library))


def run(path: Path, kind: str, count: int, phases: bool = False) -> None:
    """The measured process: warm requests, then ``count`` of ``kind`` (the bodies made before either) with
    callgrind's instrumentation on."""
    from lrs.config import Settings

    LRS = _lrs_class()
    url = f"sqlite:///{path}"
    lrs = LRS(Settings(database_url=url, bootstrap_key=None))
    client, headers = _client(url, lrs)
    _as_a_serving_worker()
    wl = _workload()
    cursor = STORE
    if kind == "single":
        bodies = [json.dumps(s).encode() for s in wl.statements(cursor, 5 + count)]
    elif kind == "batch100":
        bodies = [json.dumps(list(wl.statements(cursor + k * 100, 100))).encode() for k in range(5 + count)]
    else:
        bodies = []
    toggles = _toggles(path.parent)

    def get() -> None:
        response = client.get("/xapi/statements?limit=100", headers=headers)
        if response.status_code != 200 or response.data.count(b'"verb"') < 100:
            raise SystemExit(f"GET failed: {response.status_code}")

    for k in range(5):
        get() if kind == "get100" else _post(client, headers, bodies[k])
    if phases:
        _wrap_phases(toggles)
    toggles.start()
    for k in range(count):
        get() if kind == "get100" else _post(client, headers, bodies[5 + k])
    toggles.stop()


def _as_a_serving_worker() -> None:
    """What ``lrs serve`` does in each worker once its app is built, where the commit measured does it (the
    garbage collector's settings: lrs.cli.serve.settle_garbage_collector, from branch ingest on)."""
    try:
        from lrs.cli.serve import settle_garbage_collector
    except ImportError:
        return
    settle_garbage_collector()


def _instructions(directory: Path) -> int:
    """The instructions of the dump made at the end of the measured requests (the part named "measured")."""
    for out in directory.glob("callgrind.out*"):
        text = out.read_text()
        if "measured" in text.split("\nfl=", 1)[0]:
            match = re.search(r"^totals:\s+(\d+)", text, re.M)
            if match:
                return int(match.group(1))
    raise SystemExit(f"no measured dump in {directory}")


def _phase_instructions(directory: Path) -> dict[str, int]:
    """``--phases``: the instructions of every dump after the start, added up by the part each was named after."""
    totals: dict[str, int] = {}
    for out in directory.glob("callgrind.out*"):
        text = out.read_text()
        head = text.split("\nfl=", 1)[0]
        label = re.search(r"^desc: Trigger: Client Request: (.*)$", head, re.M)
        count = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
        if label and count:
            name = "request" if label.group(1) == "measured" else label.group(1)
            totals[name] = totals.get(name, 0) + int(count.group(1))
    return totals


def measure(directory: Path, kinds: list[str], repeat: int, keep: bool = False, phases: bool = False) -> dict[str, list[float]]:
    store = directory / "store.sqlite3"
    results: dict[str, list[float]] = {}
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for kind in kinds:
        count = KINDS[kind]
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="cg-") as tmp:
                copy = Path(tmp) / "store.sqlite3"
                shutil.copy(store, copy)
                subprocess.run(
                    ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/callgrind.out",
                     sys.executable, __file__, "run", "--path", str(copy), "--kind", kind, "--count", str(count),
                     *(["--phases"] if phases else [])],
                    env=env, check=True, capture_output=True,
                )
                if phases:
                    parts = _phase_instructions(Path(tmp))
                    total = sum(parts.values())
                    print(f"{kind}: {total / count / 1e6:.3f} M instructions a request, by part:", file=sys.stderr)
                    for name, value in sorted(parts.items(), key=lambda item: -item[1]):
                        print(f"  {name:<45} {value / count / 1e6:8.3f} M  {100 * value / total:5.1f}%", file=sys.stderr)
                if keep:
                    for out in Path(tmp).glob("callgrind.out*"):
                        shutil.copy(out, directory / f"{kind}-{out.name}")
                per = (total if phases else _instructions(Path(tmp))) / count / 1e6
            results.setdefault(kind, []).append(per)
            print(f"{kind}: {per:.3f} M instructions a request", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["prepare", "measure", "run"])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/callgrind-path"))
    parser.add_argument("--bench", type=Path, default=Path(__file__).resolve().parent,
                        help="the directory whose workload.py makes the statements")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="copy the callgrind files into --dir (for callgrind_annotate)")
    parser.add_argument("--phases", action="store_true",
                        help="also count the parts of a POST apart (PHASES; the wrappers add a little to the total)")
    parser.add_argument("--path", type=Path)
    parser.add_argument("--kind", choices=list(KINDS))
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(args.bench))
    if args.command == "prepare":
        prepare(args.dir)
    elif args.command == "run":
        run(args.path, args.kind, args.count, args.phases)
    else:
        results = measure(args.dir, args.kinds.split(","), args.repeat, args.keep, args.phases)
        print("| kind | M instructions a request (runs) |\n| --- | ---: |")
        for kind, values in results.items():
            print(f"| {kind} | {min(values):.2f}–{max(values):.2f} ({len(values)}) |"
                  if len(values) > 1 else f"| {kind} | {values[0]:.2f} |")


if __name__ == "__main__":
    main()
