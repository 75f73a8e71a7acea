"""What lrs.xapi.statement.prepare_batch derives, where it takes shortcuts (branch `xprep`): the links of a
statement with groups and a SubStatement in the order first met, a request's stored text, durations of one whole
unit. Each against what the general code gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lrs.xapi import statement as st

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "client"}}


def _agent(n: int) -> dict:
    return {"objectType": "Agent", "mbox": f"mailto:p{n}@example.org"}


def test_links_of_groups_and_a_substatement_in_the_order_first_met():
    statement = {
        "actor": {"objectType": "Group", "mbox": "mailto:g@example.org", "member": [_agent(2), _agent(1)]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {
            "objectType": "SubStatement",
            "actor": _agent(3),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": "https://example.org/a/sub", "definition": {"name": {"en": "Sub"}}},
            "context": {"contextActivities": {"parent": {"id": "https://example.org/a/1"}}, "instructor": _agent(1)},
        },
        "context": {
            "instructor": _agent(4),
            "team": {"objectType": "Group", "member": [_agent(5)]},
            "contextActivities": {
                "other": [{"id": "https://example.org/a/sub", "definition": {"name": {"fr": "Sous"}, "type": "t"}}],
                "parent": {"id": "https://example.org/a/1", "definition": {"description": {"en": "d"}}},
            },
        },
    }
    [p] = st.prepare_batch([statement], stored=datetime(2026, 12, 6, tzinfo=UTC), authority=AUTHORITY,
                           version="1.0.3")
    assert list(p.agents.items()) == [
        ("mbox:mailto:g@example.org", True), ("mbox:mailto:p2@example.org", True),
        ("mbox:mailto:p1@example.org", True), ("mbox:mailto:p3@example.org", False),
        ("mbox:mailto:p4@example.org", False), ("mbox:mailto:p5@example.org", False),
        ("account:https://lrs.example|client", False),
    ]
    assert list(p.activities.items()) == [("https://example.org/a/sub", False), ("https://example.org/a/1", False)]
    assert p.definitions == {
        "https://example.org/a/sub": {"name": {"en": "Sub", "fr": "Sous"}, "type": "t"},
        "https://example.org/a/1": {"description": {"en": "d"}},
    }
    # contextActivities stored as arrays, in parent, grouping, category, other order, the SubStatement's too
    assert list(p.payload["context"]["contextActivities"]) == ["parent", "other"]
    assert p.payload["object"]["context"]["contextActivities"] == {"parent": [{"id": "https://example.org/a/1"}]}
    assert statement["object"]["context"]["contextActivities"] == {"parent": {"id": "https://example.org/a/1"}}


@pytest.mark.parametrize("stored", [
    datetime(2026, 12, 6, 7, 30, 1, 123000, tzinfo=UTC),
    datetime(2026, 12, 6, 7, 30, 1, tzinfo=UTC),
    datetime(2026, 12, 6, 7, 30, 1, 123456, tzinfo=UTC),
    datetime(2026, 12, 6, 7, 30, 1, 5, tzinfo=timezone(timedelta(0))),
    datetime(2026, 12, 6, 8, 30, 1, 250000, tzinfo=timezone(timedelta(hours=1))),
], ids=["ms", "whole-second", "us", "zero-offset", "plus-one"])
def test_a_statement_without_timestamp_gets_the_stored_text(stored):  # noqa: ANN001
    statement = {"actor": _agent(1), "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
                 "object": {"id": "https://example.org/a/1"}}
    [p] = st.prepare_batch([statement], stored=stored, authority=AUTHORITY, version="1.0.3")
    assert p.payload["stored"] == p.payload["timestamp"] == st.iso(stored)
    assert p.timestamp is stored
    assert p.timestamp_iso == stored.isoformat()


@pytest.mark.parametrize(("value", "seconds"), [
    ("PT3H", 10800.0), ("PT45M", 2700.0), ("PT0S", 0.0), ("PT007M", 420.0), ("P2D", 172800.0),
    ("PT999999999H", 3599999996400.0), ("P999999999D", 86399999913600.0),
    ("PT3D", None), ("P3H", None), ("PTH", None), ("PT3h", None), ("PT\u00b2H", None),
])
def test_durations_of_one_whole_unit(value, seconds):  # noqa: ANN001
    assert st.duration_seconds(value, datetime(2024, 3, 1, tzinfo=UTC)) == seconds
