"""The JSON the LRS writes (lrs.xapi.jsontext): the canonical text fingerprints hash must be byte for byte what
Python's json wrote when the stored fingerprints were made (or a re-sent statement would be a 409), and the
compact text a statement is stored as must read back as exactly the values sent."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.xapi.jsontext import canonical, compact
from lrs.xapi.statement import fingerprint

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from workload import Workload  # noqa: E402

EDGE_VALUES = [
    1e-5, 9.999999999999999e-05, 1e-7, -2.1487599299999998e-06, 1.0571915258593023e-09, 1e-10, 1e-4, 0.0001,
    1.00001, 0.1, 0.30000000000000004, 1e15, 1e16, 1e21, 1e22, 1.5e300, 5e-324, -0.0, 0.0, 100.0,
    2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40, -(10**40), True, False, None,
    "", "plain", "é", "Gwasanaethau Cymdeithasol — gofal", "\U0001f600 emoji", "\u2028\u2029", "\x7f", "\x00\x01\x1f",
    "\b\f\n\r\t\"\\/", "\ue000\uffff\U0010fffd", "e-5 and .0000 in a string", "1e-07",
]


def old_canonical(value):  # noqa: ANN001, ANN201 - what the fingerprints stored so far were made from
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def test_canonical_is_jsons_text_for_every_edge_case():
    for value in EDGE_VALUES:
        for wrapped in (value, [value], {"k": value, "é": [value, {"z": value, "a": 1}]}, {str(value): value}):
            assert canonical(wrapped) == old_canonical(wrapped), repr(wrapped)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_canonical_is_jsons_text_for_any_json_value(value):  # noqa: ANN001
    if any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False)):
        return  # a lone surrogate never reaches it: such a body is refused (lrs.xapi.jsonlimits)
    assert canonical(value) == old_canonical(value)


@settings(max_examples=1500, deadline=None)
@given(json_values)
def test_compact_reads_back_as_the_same_values(value):  # noqa: ANN001
    if any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False)):
        return
    back = json.loads(compact(value))
    assert _same(back, value)


def _same(a, b) -> bool:  # noqa: ANN001 - equal values of equal JSON types (1 is not 1.0, -0.0 keeps its sign)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def test_big_integers_are_kept_exactly():
    value = {"big": 2**64, "negative": -(2**63) - 1, "huge": 10**40}
    assert json.loads(compact(value)) == value
    assert all(isinstance(v, int) for v in json.loads(compact(value)).values())


def test_fingerprints_are_those_json_gave(monkeypatch):  # noqa: ANN001
    """Every statement of the workload (groups, durations, timestamps, voids among them) and one with every edge
    case hash as they did when the fingerprint's text was json.dumps's."""
    from lrs.xapi import statement as statement_module

    edge = {
        "id": "6FA459EA-EE8A-3CA4-894E-DB77E160355E",
        "actor": {"objectType": "Group", "member": [{"mbox": "mailto:siân@cyngor.example", "name": "Siân Llŷr"},
                                                     {"mbox": "mailto:a@la.example"}]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented", "display": {"cy-GB": "gwnaeth sylw ✓"}},
        "object": {"id": "https://lms.example/a/1"},
        "timestamp": "2026-12-05T10:00:00.123+01:00",
        "result": {"duration": "PT1.2345S", "score": {"scaled": 1e-7, "raw": 0.00001},
                   "extensions": {"https://x.example/e": EDGE_VALUES}},
    }
    statements = [*Workload(seed=3, total=100_000).statements(0, 3000), edge]
    now = [fingerprint(s) for s in statements]
    # The fingerprint hashes canonical_bytes(...), the ASCII bytes of canonical(...).
    monkeypatch.setattr(statement_module, "canonical_bytes", lambda value: old_canonical(value).encode("ascii"))
    assert now == [fingerprint(s) for s in statements]
