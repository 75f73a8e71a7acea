"""Prepared statements and stored rows as hashes, to compare two commits (branch `xprep`, issue 23).

    ROOT=<worktree> <worktree>/.venv/bin/python bench/prepare_equivalence.py <database url> <out.json>
    .venv/bin/python bench/prepare_equivalence.py compare <a.json> <b.json>

Statements: ``bench/workload.py``'s (seeds 1-3, PER_SEED each, default 1,500, voiding statements among them),
each made over into one of 17 variants (identified and anonymous groups as actor, object and team, a SubStatement
with its own context and single-object contextActivities, StatementRefs, statements without timestamp or id,
floats json and orjson write differently, integers beyond 64 bits, non-ASCII text, attachments, a declared
version, upper-case ids, durations and timestamps of every form, one activity defined twice, 2.0.0's
contextAgents and contextGroups), sent as 1.0.3 and as 2.0.0, in batches of 100. For each, every field of its
PreparedStatement (prepare_batch and the classification, a fixed ``stored``) goes into one hash; then each batch
is stored through ``LRS.store_statements`` (the clock fixed, uuid4 counted) and the first sent twice; a few bad
bodies give their errors. Then every table is read in full, ordered by every column, into a hash a table
(PostgreSQL: each column as text). Left out: the credentials table (its salt is random) and
``activities.updated`` (the wall clock of the write). Run it with each commit's venv, then compare.
"""
import copy
import hashlib
import itertools
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(os.environ.get("ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT / "bench"))

_counter = itertools.count()
def _uuid4():
    return uuid.UUID(int=(0x1234 << 100) | next(_counter))
uuid.uuid4 = _uuid4

from sqlalchemy import create_engine, inspect, text  # noqa: E402
from workload import Workload  # noqa: E402

from lrs.config import Settings  # noqa: E402
from lrs.services import statements as svc  # noqa: E402
from lrs.services.statements import LRS  # noqa: E402
from lrs.store.credentials import create_credential  # noqa: E402
from lrs.store.db import Database, normalise_url  # noqa: E402
from lrs.store.migrate import upgrade  # noqa: E402
from lrs.xapi.errors import XAPIError  # noqa: E402
from lrs.xapi.statement import prepare_batch  # noqa: E402
from lrs.xapi.validate import validate_batch  # noqa: E402


class FixedClock(datetime):
    _t = datetime(2026, 10, 1, 12, 0, 0, 123456, tzinfo=UTC)
    @classmethod
    def now(cls, tz=None):
        FixedClock._t += timedelta(milliseconds=1234)
        return FixedClock._t
svc.datetime = FixedClock

def A(n: int) -> dict:  # noqa: N802
    return {"objectType": "Agent", "mbox": f"mailto:m{n}@la.example"}


def ACC(n: int) -> dict:  # noqa: N802
    return {"objectType": "Agent", "account": {"homePage": "https://portal.example", "name": f"u{n}"}, "name": f"U {n}"}


def variants(stmts, seed):
    out = []
    for k, s in enumerate(stmts):
        s = copy.deepcopy(s)
        v = (k + seed) % 17
        if s["verb"]["id"].endswith("/voided"):
            out.append(s)
            continue
        ctx = s.setdefault("context", {})
        if v == 1:
            s["actor"] = {"objectType": "Group", "name": "G", "mbox": f"mailto:g{k}@la.example",
                          "member": [A(k + 3), ACC(k), A(k + 1)]}
        elif v == 2:
            inner = {"objectType": "SubStatement", "actor": {"objectType": "Group", "member": [A(k + 7), A(k + 2)]},
                     "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en": "attended"}},
                     "object": {"id": f"https://sub.example/act/{k % 5}", "definition": {"name": {"en": f"Sub {k % 5}"}, "type": "http://id.tincanapi.com/activitytype/project", "extensions": {"https://x.example/e": k % 3}}},
                     "context": {"contextActivities": {"parent": {"id": "https://sub.example/parent", "definition": {"description": {"en-GB": "p"}}},
                                                        "grouping": [{"id": "https://sub.example/act/0", "definition": {"name": {"fr": "Sous 0"}}}]},
                                 "instructor": {"objectType": "Group", "member": [ACC(k + 1), A(k)]},
                                 "registration": "AB2C7F0E-6A57-4C1E-9D2A-5F3E9B8C1A40"},
                     "result": {"duration": "PT1.2345S", "score": {"scaled": 0.5}},
                     "timestamp": "2025-06-01T10:00:00.5+02:00"}
            s["object"] = inner
            ctx.pop("platform", None)
        elif v == 3:
            ca = ctx.setdefault("contextActivities", {})
            if "parent" in ca:
                ca["parent"] = ca["parent"][0]
            ca["other"] = {"id": "https://other.example/x", "objectType": "Activity"}
            ca["category"] = ca.get("category") or []
        elif v == 4:
            s.pop("timestamp", None)
        elif v == 5:
            s.pop("id", None)
        elif v == 6:
            s.setdefault("result", {})["extensions"] = {
                "https://x.example/floats": [1e-7, 0.00001, 1.5e-8, -2.5e-9, 0.1, 1e-5, 1e-6, 3e-10, 1e16, 1.0, 1e22],
                "https://x.example/big": 12345678901234567890123,
                "https://x.example/text": "é ü 😀 \x7f e-7 .0000 \"Group\" Gruppe",
            }
        elif v == 7:
            if s["object"].get("objectType", "Activity") == "Activity":
                ctx.pop("platform", None)
                s["object"] = {"objectType": "Group", "member": [A(k), ACC(k + 2)]}
            ctx["team"] = {"objectType": "Group", "name": "Team", "account": {"homePage": "https://t.example", "name": f"t{k % 4}"}, "member": [A(k + 9)]}
        elif v == 8:
            s["attachments"] = [{"usageType": "https://x.example/usage/report",
                                 "display": {"en-US": "Report"}, "contentType": "application/pdf", "length": 1234,
                                 "sha2": hashlib.sha256(str(k).encode()).hexdigest(), "fileUrl": "https://files.example/r.pdf"}]
        elif v == 9:
            s["version"] = "1.0.0"
            if "id" in s:
                s["id"] = s["id"].upper()
            if "registration" in ctx:
                ctx["registration"] = ctx["registration"].upper()
        elif v == 10:
            s.setdefault("result", {})["duration"] = ["P1Y2M3DT4H5M6.789S", "PT1,5H", "PT0.001S", "P3W", "PT20M5S", "PT36H", "P0D", "PT4.5M", "PT999999999H"][k % 9]
        elif v == 11:
            s["timestamp"] = ["2025-03-01T10:00:00Z", "2025-03-01T10:00:00.123456Z", "2025-03-01T10:00:00.000Z",
                              "2025-03-01T10:00:00.100+00:00", "2025-03-01T10:00:00-05:00", "2025-03-01T10:00:00.1Z",
                              "2025-03-01T10:00:00.12Z", "2025-03-01t10:00:00Z", "2025-03-01T10:00:00.000000Z"][k % 9]
        elif v == 12:
            ca = ctx.setdefault("contextActivities", {})
            obj = s["object"]
            if obj.get("objectType", "Activity") == "Activity":
                ca["other"] = [{"id": obj["id"], "definition": {"name": {"cy": "Enw"}, "extensions": {"https://x.example/n": 1}, "moreInfo": "https://m.example"}},
                               {"id": obj["id"], "definition": {"name": {"en": "Again"}, "description": {"en": "d"}}}]
        elif v == 13:
            s["object"] = {"objectType": "StatementRef", "id": str(uuid.UUID(int=k + 77 * seed)).upper()}
            ctx.pop("platform", None)
            ctx.pop("revision", None)
        elif v == 14:
            s["result"] = {"score": {"scaled": 1e-7, "raw": 0.00001, "min": 0, "max": 1}, "success": True, "duration": "PT0.129S"}
        elif v == 15:
            ctx["contextAgents"] = [{"objectType": "contextAgent", "agent": A(k + 11), "relevantTypes": ["https://types.example/mentor"]}]
            ctx["contextGroups"] = [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [A(k + 12), A(k + 13)]}, "relevantTypes": ["https://types.example/set"]}]
        elif v == 16:
            s["context"] = {}
            if not ctx:
                s.pop("context")
        out.append(s)
    return out


def fields(p):
    d = {}
    for name, value in vars(p).items():
        if name == "payload":
            d[name] = [json.dumps(value, sort_keys=True), json.dumps(value)]  # values and key order
        elif isinstance(value, datetime):
            d[name] = [value.isoformat(), repr(value.tzinfo)]
        elif isinstance(value, dict):
            d[name] = json.dumps(list(value.items()))
        else:
            d[name] = [repr(value), type(value).__name__]
    return d


def main():
    url, out_path = sys.argv[1], sys.argv[2]
    per_seed = int(os.environ.get("PER_SEED", "1500"))
    if url.startswith("postgresql"):
        admin = create_engine(normalise_url(url.rsplit("/", 1)[0] + "/test"), isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    else:
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    db = Database(url)
    upgrade(db.engine)
    settings = Settings(database_url=url, bootstrap_key=None)
    lrs = LRS(settings, db=db)
    key, secret = db.write(lambda conn: create_credential(conn, name="equiv", scopes=["all"], authority_home_page=settings.authority_home_page, key="equivkey", secret="equivsecret-0123456789"))
    principal = lrs.authenticate(key, secret)
    report = {"prepared": {}, "errors": [], "tables": {}}
    prepared_hash = hashlib.sha256()
    stored_at = datetime(2026, 10, 1, 9, 0, 0, 123000, tzinfo=UTC)
    n_ok = 0
    for seed in (1, 2, 3):
        wl = Workload(seed=seed, total=200_000)
        base = list(wl.statements(0, per_seed))
        for version in ("1.0.3", "2.0.0"):
            stmts = variants(base, seed + (0 if version == "1.0.3" else 5))
            if version == "1.0.3":
                stmts = [s for s in stmts if "contextAgents" not in s.get("context", {})]
            else:
                for s in stmts:
                    if "id" in s:
                        s["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, s["id"].lower()))
                    if s["object"].get("objectType") == "StatementRef" and s["verb"]["id"].endswith("/voided"):
                        s["object"]["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, s["object"]["id"].lower()))
            for start in range(0, len(stmts), 100):
                chunk = copy.deepcopy(stmts[start:start + 100])
                # prepared fields (validated first; statements that fail alone are recorded and left out)
                good = []
                for s in chunk:
                    try:
                        validate_batch(copy.deepcopy(s), version)
                        good.append(s)
                    except XAPIError as exc:
                        report["errors"].append(["validate", version, str(exc)[:200]])
                st = validate_batch(copy.deepcopy(good), version)
                prepared = prepare_batch(st, stored=stored_at, authority=principal.authority, version=version)
                lrs._classify_prepared(prepared)
                for p in prepared:
                    f = fields(p)
                    prepared_hash.update(json.dumps(f, sort_keys=True).encode())
                    n_ok += 1
                # the stored rows, through the service
                try:
                    lrs.store_statements(copy.deepcopy(good), principal, version)
                except XAPIError as exc:
                    report["errors"].append(["store", version, type(exc).__name__, str(exc)[:300]])
                if start == 0:  # the same batch again: same fingerprints, nothing new (a 409 would be an error)
                    try:
                        lrs.store_statements(copy.deepcopy([g for g in good if "id" in g]), principal, version)
                        report["errors"].append(["resend-ok"])
                    except XAPIError as exc:
                        report["errors"].append(["resend", version, type(exc).__name__, str(exc)[:300]])
    # errors through prepare/store for a few bad inputs
    bad = [
        {"actor": A(1), "verb": {"id": "http://x.example/v"}, "object": {"id": "https://a.example/1"}, "timestamp": "nope"},
        {"actor": A(1), "verb": {"id": "http://x.example/v"}, "object": {"objectType": "SubStatement"}},
        [],
        {"id": "not-a-uuid", "actor": A(1), "verb": {"id": "http://x.example/v"}, "object": {"id": "https://a.example/1"}},
    ]
    for b in bad:
        try:
            lrs.store_statements(b, principal, "1.0.3")
            report["errors"].append(["bad-accepted"])
        except Exception as exc:  # noqa: BLE001
            report["errors"].append(["bad", type(exc).__name__, str(exc)[:300], getattr(exc, "rule", None)])
    report["prepared"] = {"count": n_ok, "sha256": prepared_hash.hexdigest()}
    insp = inspect(db.engine)
    with db.engine.connect() as conn:
        for table in sorted(insp.get_table_names()):
            if table == "credentials":
                continue
            # activities.updated: the wall clock of the write (not derived from the statements)
            cols = [c["name"] for c in insp.get_columns(table) if not (table == "activities" and c["name"] == "updated")]
            cast = "::text" if db.dialect == "postgresql" else ""
            order = ", ".join(f'"{c}"{cast}' for c in cols)
            rows = conn.execute(text(f'SELECT {order} FROM "{table}" ORDER BY {order}')).fetchall()
            h = hashlib.sha256()
            for r in rows:
                h.update(repr(tuple(r)).encode())
            report["tables"][table] = [len(rows), h.hexdigest()]
    Path(out_path).write_text(json.dumps(report, indent=1))
    print(json.dumps(report["prepared"]), len(report["errors"]), "errors;", sum(v[0] for v in report["tables"].values()), "rows")


def compare(a_path: str, b_path: str) -> None:
    a, b = (json.loads(Path(p).read_text()) for p in (a_path, b_path))
    print("prepared", "same" if a["prepared"] == b["prepared"] else "DIFFERENT", a["prepared"]["count"])
    print("errors", "same" if a["errors"] == b["errors"] else "DIFFERENT", len(a["errors"]))
    diff = sorted(t for t in set(a["tables"]) | set(b["tables"]) if a["tables"].get(t) != b["tables"].get(t))
    print("tables", len(a["tables"]), "rows", sum(v[0] for v in a["tables"].values()), "different:", diff or "none")


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        main()
