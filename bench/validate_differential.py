"""validate_batch and validate_statement of two commits on one corpus: every answer must be the same.

    /path/to/base/.venv/bin/python bench/validate_differential.py dump /tmp/base.jsonl
    .venv/bin/python bench/validate_differential.py dump /tmp/branch.jsonl
    .venv/bin/python bench/validate_differential.py compare /tmp/base.jsonl /tmp/branch.jsonl

The LRS code is the interpreter's (each commit's venv has its own checkout installed); the corpus is always this
file's checkout's (bench/workload.py, tests/malformed_statements.py and the mutation helpers of
tests/xapi/test_validation.py), so both sides judge the same payloads. The corpus, deterministic: batches of 100
workload statements and single ones, every case of the test tables, each table statement and 40 workload
statements changed field by field (each node replaced by 8 of REPLACEMENTS in turn, deleted, and an unknown
property added to each object), 6,000 random mutations, 1,500 random JSON values, and batches with repeated ids,
nulls, an empty array, a string. For each payload and each rule set ("1.0.3", "2.0.0") it writes one line:
the payload's SHA-1, the version, and for validate_batch and validate_statement either "ok", the
StatementInvalid's ``as_dict()`` (the status, rule, path and message of the JSON error body, every problem),
or the type of any other exception.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPLACEMENTS: list[Any] = [
    None, True, False, 0, 1, -1, 1.5, 10**30, "", "x", "en-US", "not an iri", "http://example.com/x", "urn:x:y",
    "mailto:a@b.example", "mailto:a@-b.example", "mailto:x", "Agent", "Group", "Activity", "StatementRef",
    "SubStatement", "2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "PT1H", "P1X",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "FD41C918-B88B-4B20-A0A5-A4C32391AAAX", [], [None], [{}], {},
    {"en-US": "x"}, {"en_US": "x"}, {"http://e.com/x": None}, {"not iri": 1}, "é", "é" * 70, "http://[::1]/x",
    "http://ex.com/%zz", "https://例え.jp/パス", "a" * 40, "1.0.3", "2.0.0", "2.0.x",
]
DELETE = object()


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        yield from _paths(item, (*prefix, key))


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    value = copy.deepcopy(value)
    node = value
    for step in path[:-1]:
        node = node[step]
    if new is DELETE:
        node.pop(path[-1])
    else:
        node[path[-1]] = new
    return value


def corpus() -> Iterator[Any]:
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT)]
    import malformed_statements as tables
    from workload import Workload

    from tests.xapi.test_validation import _mutate, _random_json

    workload = Workload(seed=1, total=1_000_000)
    for start in (0, 1000, 5000, 250_000, 999_000):
        batch = list(workload.statements(start, 100))
        yield batch
        yield from batch[:20]
    seeds = [s for _, s in tables.VALID + tables.VALID_2_0_ONLY]
    seeds += [s for _, s, _, _ in tables.MALFORMED + tables.MALFORMED_1_0_3_ONLY + tables.MALFORMED_2_0_ONLY]
    seeds += list(workload.statements(3000, 40))
    yield from seeds
    rng = random.Random(20261206)
    for seed in seeds:
        for path in _paths(seed):
            if not path:
                continue
            for new in [*rng.sample(REPLACEMENTS, 8), DELETE]:
                yield _replaced(seed, path, new)
            node = seed
            for step in path:
                node = node[step]
            if isinstance(node, dict):
                yield _replaced(seed, (*path, "unknownProperty"), 1)
    for _ in range(6000):
        yield _mutate(rng, rng.choice(seeds))
    for _ in range(1500):
        yield _random_json(rng)
    some = list(workload.statements(7000, 10))
    yield [*some, dict(some[3])]
    yield [*some, dict(some[3], id=some[3]["id"].upper())]
    yield [some[0], None, 5, some[1]]
    yield []
    yield "x"
    yield [rng.choice(seeds) for _ in range(30)]


def dump(out: Path) -> None:
    from lrs.xapi.errors import StatementInvalid
    from lrs.xapi.validate import validate_batch, validate_statement

    lines = 0
    with out.open("w") as file:
        for payload in corpus():
            text = json.dumps(payload)
            for version in ("1.0.3", "2.0.0"):
                answers: list[Any] = []
                for call in (validate_batch, validate_statement):
                    try:
                        call(json.loads(text), version)
                        answers.append("ok")
                    except StatementInvalid as exc:
                        answers.append(exc.as_dict())
                    except Exception as exc:  # noqa: BLE001 - any other exception is an answer to compare
                        answers.append(f"raised {type(exc).__name__}")
                digest = hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - a fingerprint, not security
                file.write(json.dumps([digest, version, answers], sort_keys=True) + "\n")
                lines += 1
    print(f"{lines} answers written to {out}")


def compare(first: Path, second: Path) -> None:
    a, b = first.read_text().splitlines(), second.read_text().splitlines()
    if len(a) != len(b):
        raise SystemExit(f"not the same corpus: {len(a)} and {len(b)} lines")
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    accepted = sum(1 for line in a if line.endswith('["ok", "ok"]]'))
    print(f"{len(a)} answers ({accepted} accepted by both calls, {len(a) - accepted} refused), {len(differ)} differ")
    for x, y in differ[:5]:
        print(x[:400], y[:400], sep="\n", end="\n\n")
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["dump"] and len(sys.argv) == 3:
        dump(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
