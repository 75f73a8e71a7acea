"""From statements to pieces, without a database: what is printed of the people in a record."""

from __future__ import annotations

from datetime import date

from lrs_cpd_log.build import build_log
from lrs_cpd_log.render import RENDERERS

from lrs.hookspecs import ExportRecord
from lrs.learning import vocabulary as v

JO = {"objectType": "Agent", "name": "Jo", "mbox": "mailto:jo@la.example"}


def reflected(n: int, context_ext: dict, *, actor: dict | None = None, learned: str = "I learned to pause.") -> dict:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": actor or {**JO, "name": "Jo Bloggs"},
        "verb": {"id": v.VERB_REFLECTED},
        "object": {
            "objectType": "Activity",
            "id": f"https://lrs.example/journal/{n}",
            "definition": {"name": {"en-GB": f"Entry {n}"}, "type": v.TYPE_SOCIAL_LEARNING,
                           "description": {"en-GB": "Why it matters."}},
        },
        "result": {"response": learned, "extensions": {v.EXT_IMPACT: "Families wait less."}},
        "context": {"extensions": context_ext},
        "timestamp": f"2026-04-{n:02d}T10:00:00+00:00",
        "stored": f"2026-04-{n:02d}T10:00:00+00:00",
    }


def log_of(*statements: dict):  # noqa: ANN201
    record = ExportRecord(agent=JO, agent_key="mbox:mailto:jo@la.example", statements=list(statements))
    return build_log(record, 2026, date(2026, 6, 1))


def test_a_peer_is_printed_by_name_only_and_never_by_address():
    log = log_of(
        reflected(1, {v.EXT_PEER: {"mbox": "mailto:sam@la.example"}, v.EXT_PEER_REFLECTION: "It helped."}),
        reflected(2, {v.EXT_PEER: {"name": "sam@la.example", "mbox": "mailto:sam@la.example"},
                      v.EXT_PEER_REFLECTION: "It helped too."}),
        reflected(3, {v.EXT_PEER: {"name": "Sam Okafor", "account": {"homePage": "https://lms.example", "name": "sam.okafor@la.example"}},
                      v.EXT_PEER_REFLECTION: "Talking it over helped."}),
    )  # fmt: skip
    assert [p.peer_reflection.peer for p in log.pieces] == ["a peer", "a peer", "Sam Okafor"]
    for fmt in ("csv", "json", "md", "html"):
        assert "sam@" not in RENDERERS[fmt](log).decode("utf-8-sig"), fmt
        assert "sam.okafor@" not in RENDERERS[fmt](log).decode("utf-8-sig"), fmt


def test_answers_naming_a_person_in_the_record_are_warned_about_but_not_the_participant():
    log = log_of(
        reflected(1, {v.EXT_WITNESS: {"name": "Priya Shah", "role": "Service manager"}},
                  learned="Priya Shah saw me chair it; I, Jo Bloggs, learned to pause."),
        reflected(2, {}, learned="Jo learned to pause."),
    )  # fmt: skip
    first, second = log.pieces
    assert first.privacy_warnings == (
        "'Entry 1' (2026-04-01): the answer to 'What did you learn?' names Priya, the witness; Social Work England "
        "asks you not to name colleagues or people who use services.",
    )
    assert second.privacy_warnings == ()
    assert log.participant_name == "Jo Bloggs"
    assert first.privacy_warnings[0] in log.readiness.warnings
