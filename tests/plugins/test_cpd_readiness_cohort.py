"""A cohort's CPD readiness (the ``lrs_readiness`` hook, as the lead's dashboard asks it for many learners at once)
is, learner by learner, exactly what the CPD log of the year says when it is built from all of the learner's
statements (the export's full path: every statement of any time, the log with its name and standards built,
``build_log``). Random records, many of them: facts and reflections around the year's edges (zone offsets),
reflections that name a statement, selections of any time (before, in and after the year, withdrawn, for
pieces outside the year), voided statements, peers and colleagues named in answers, another learner as object,
learners with nothing in the year but their selections, and nobody at all. Both databases, each through both of
the any-time read's plans (the selections few, through the verbs' index; many, through each learner's rows). And
the pieces, checks and answers made without their dataclass __init__ (lrs_cpd_log.model.made) have every field."""

from __future__ import annotations

import random
import uuid
from dataclasses import FrozenInstanceError, fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from lrs_cpd_log import plugin
from lrs_cpd_log.build import VERB_DESELECTED_FOR_CPD, VERB_SELECTED_FOR_CPD, VERB_SUBMITTED_CPD, build_log
from lrs_cpd_log.model import CPDPiece, PeerReflection, Readiness, made
from lrs_cpd_log.render import piece_line

from lrs.hookspecs import YearReadiness
from lrs.learning import vocabulary as v
from lrs.services.exports import learner_record, year_readiness
from lrs.services.statements import LRS
from lrs.store import records

YEAR = 2026  # 1 December 2025 to 30 November 2026
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
TYPES = [v.TYPE_RESIDENTIAL, v.TYPE_E_LEARNING, v.TYPE_COACHING_SESSION, v.TYPE_SEMINAR, v.TYPE_EVIDENCE,
         v.TYPE_SUPERVISION_SESSION, "https://example.org/types/unknown", None]
FACT_VERBS = [v.ADL_ATTENDED, v.ADL_COMPLETED, v.ADL_EXPERIENCED, "http://adlnet.gov/expapi/verbs/launched",
              v.VERB_SUPERVISED]
CHOICES = [VERB_SELECTED_FOR_CPD, VERB_SUBMITTED_CPD, VERB_DESELECTED_FOR_CPD]
FIRST = ["Jo", "Sam", "Kim", "Priya", "Ade", "Lee"]
LAST = ["Bloggs", "Okafor", "Shah", "Nwosu", "Lee"]


def _when(rnd: random.Random) -> str:
    """Mostly within a few weeks of the year's edges or inside it; some far outside; zone offsets."""
    edge = rnd.choice([START, END, *[START + timedelta(days=d) for d in (60, 120, 180, 240, 300)]])
    instant = edge + timedelta(minutes=rnd.randint(-60 * 24 * 40, 60 * 24 * 40))
    if rnd.random() < 0.1:
        instant += timedelta(days=rnd.choice([-800, 400]))
    zone = timezone(timedelta(hours=rnd.choice([0, 0, 2, -1, 5.5, -9])))
    return instant.astimezone(zone).isoformat()


def _answers(rnd: random.Random, names: list[str]) -> dict[str, Any]:
    """Some of the answers (empty, blank, or text that may name someone)."""
    def text(what: str) -> str:
        choice = rnd.random()
        if choice < 0.12:
            return ""
        if choice < 0.15:
            return "   "
        named = f" with {rnd.choice(names)}" if rnd.random() < 0.4 else ""
        return f"{what} {rnd.randint(1, 3)}{named}."  # repeats happen: identical records are a warning
    result: dict[str, Any] = {"response": text("Learnt"), "extensions": {v.EXT_IMPACT: text("Impact")}}
    context: dict[str, Any] = {}
    if rnd.random() < 0.4:
        context[v.EXT_PEER_REFLECTION] = text("A peer's view")
        context[v.EXT_PEER] = {"objectType": "Agent", "name": rnd.choice(names), "mbox": "mailto:peer@la.example"}
    if rnd.random() < 0.1:
        context[v.EXT_EVIDENCE_TYPE] = rnd.choice(["witness-testimony", "reflective-account", "product"])
    return {"result": result, "context_ext": context, "description": text("About")}


def _learner_statements(rnd: random.Random, mbox: str, other: str, names: list[str]) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    activities = [f"https://lrs.example/activities/{rnd.randint(1, 5)}" for _ in range(3)]
    own = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" if rnd.random() < 0.8 else ""
    for _ in range(rnd.choice([0, 1, 3, 6, 12, 16])):
        kind = rnd.random()
        actor: dict[str, Any] = {"objectType": "Agent", "mbox": mbox}
        if own and rnd.random() < 0.7:
            actor["name"] = rnd.choice([own, own.split()[0]])
        answers = _answers(rnd, names)
        definition: dict[str, Any] = {}
        if rnd.random() < 0.7:
            definition["name"] = {"en-GB": rnd.choice(["Residential", "Coaching", "https://lrs.example/x", " "])}
        if answers["description"] and rnd.random() < 0.6:
            definition["description"] = {"en-GB": answers["description"]}
        kind_type = rnd.choice(TYPES)
        if kind_type:
            definition["type"] = kind_type
        body: dict[str, Any] = {"id": str(uuid.uuid4()), "actor": actor, "timestamp": _when(rnd)}
        if kind < 0.35:
            body["verb"] = {"id": rnd.choice(FACT_VERBS)}
            body["object"] = {"objectType": "Activity", "id": rnd.choice(activities), "definition": definition}
            if rnd.random() < 0.4:
                body["result"] = answers["result"]
        elif kind < 0.75:
            body["verb"] = {"id": v.VERB_REFLECTED}
            body["object"] = {"objectType": "Activity", "id": rnd.choice(activities), "definition": definition}
            body["result"] = answers["result"]
            if made and rnd.random() < 0.3:
                body["context"] = {"statement": {"objectType": "StatementRef", "id": rnd.choice(made)["id"]}}
        elif kind < 0.92 and made:
            body["verb"] = {"id": rnd.choice(CHOICES)}
            body["object"] = {"objectType": "StatementRef", "id": rnd.choice(made)["id"]}
        else:  # about another learner: a statement with both of them
            body["verb"] = {"id": v.ADL_ATTENDED}
            body["object"] = {"objectType": "Agent", "mbox": other}
        if rnd.random() < 0.3 and body["object"].get("objectType") == "Activity":  # a colleague present
            body.setdefault("context", {})["instructor"] = {"objectType": "Agent", "name": rnd.choice(names),
                                                          "mbox": "mailto:colleague@la.example"}
        if answers["context_ext"] and body["object"].get("objectType") == "Activity":
            body.setdefault("context", {})["extensions"] = answers["context_ext"]
        made.append(body)
    return made


def _store(lrs: LRS, rnd: random.Random, learners: list[str]) -> None:
    op = lrs.operator_principal()
    names = ["Jo Bloggs", "Sam Okafor", "Kim", "Alex Carter", "Priya Shah", "jo@la.example"]
    statements = []
    for mbox in learners:
        statements += _learner_statements(rnd, mbox, rnd.choice(learners), names)
    rnd.shuffle(statements)
    for start in range(0, len(statements), 50):
        lrs.store_statements(statements[start:start + 50], op, "1.0.3")
    # Void some of them (a voided selection, fact or reflection must not count).
    voided = rnd.sample(statements, k=len(statements) // 10)
    lrs.store_statements([{"actor": {"mbox": "mailto:admin@la.example"}, "verb": {"id": v.ADL_VOIDED},
                           "object": {"objectType": "StatementRef", "id": s["id"]}} for s in voided], op, "1.0.3")


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _full_path(lrs: LRS, agent_key: str, today: date) -> YearReadiness:
    """The readiness the CPD log export tells: the log built from every statement of the learner."""
    log = build_log(learner_record(lrs, agent_key, parts=frozenset({"frameworks"})), YEAR, today)
    # Pieces and checks are made without their __init__ (lrs_cpd_log.model.made): each has every field.
    assert all(set(vars(p)) == _names(CPDPiece) for p in log.pieces)
    assert set(vars(log.readiness)) == _names(Readiness)
    return YearReadiness(
        exporter=plugin.NAME, title=plugin.TITLE, agent_key=agent_key, year=YEAR, year_label=log.year_label,
        period_start=log.period_start, period_end=log.period_end, deadline=log.rules.deadline,
        ready=log.readiness.ready, missing=log.readiness.missing, warnings=log.readiness.warnings,
        counted=log.readiness.counted, required=log.rules.minimum_records,
        pieces=tuple(piece_line(p) for p in log.pieces))


@pytest.mark.parametrize("few_any_time", [records.FEW_ANY_TIME, 0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_cohorts_readiness_is_each_learners_full_log(lrs_instance: LRS, seed: int, few_any_time: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "FEW_ANY_TIME", few_any_time)
    today = plugin._today()
    rnd = random.Random(seed)
    learners = [f"mailto:learner{n}@la.example" for n in range(40)]
    _store(lrs_instance, rnd, learners)
    keys = [f"mbox:{m}" for m in learners] + ["mbox:mailto:nobody@la.example"]
    found = year_readiness(lrs_instance, keys, YEAR)
    seen = {"ready": 0, "pieces": 0, "chosen": 0, "warned": 0}
    for key in keys:
        [mine] = [r for r in found[key] if r.exporter == plugin.NAME]
        assert set(vars(mine)) == _names(YearReadiness)
        assert mine == _full_path(lrs_instance, key, today), key
        seen["ready"] += mine.ready
        seen["pieces"] += len(mine.pieces)
        seen["chosen"] += any(p["status"] != "draft" for p in mine.pieces)
        seen["warned"] += any("names" in w or "repeats" in w for w in mine.warnings)
    # The random records reach the cases that matter: learners ready and not, choices, names and repeats.
    assert seen["pieces"] > 30 and 0 < seen["ready"] < len(keys) and seen["chosen"] and seen["warned"], seen


def test_made_is_what_the_dataclass_init_makes() -> None:
    """lrs_cpd_log.model.made (a frozen dataclass's instance without its __init__, for a cohort's hundreds of pieces,
    checks and answers) gives the instance ``cls(**values)`` gives: equal, the same repr and hash, still frozen."""
    day = date(2026, 3, 4)
    cases = [
        (CPDPiece, {"statement_id": "s", "date": day, "activity_type": "Course", "title": "T", "description": "D",
                    "learned": "L", "impact": "I", "peer_reflection": PeerReflection("a peer", "P"),
                    "standards": ("SWE 1",), "mode": "formal", "status": "selected", "submitted_on": day,
                    "other_standards": (), "evidence_type": None, "statement_ids": ("s", "t"),
                    "privacy_warnings": ("w",)}),
        (Readiness, {"ready": False, "missing": ("m",), "warnings": (), "counted": 1, "candidates": 2,
                     "basis": "selected"}),
        (YearReadiness, {"exporter": "cpd-log", "title": "T", "agent_key": "mbox:mailto:jo@la.example", "year": 2026,
                         "year_label": "2025–26", "period_start": day, "period_end": day, "deadline": day,
                         "ready": True, "missing": (), "warnings": ("w",), "counted": 2, "required": 2,
                         "pieces": ({"statement_id": "s"},)}),
    ]
    for cls, values in cases:
        assert set(values) == _names(cls), cls
        fast, slow = made(cls, values), cls(**values)
        assert fast == slow and repr(fast) == repr(slow) and vars(fast) == vars(slow) and type(fast) is cls
        if cls is not YearReadiness:  # its pieces are dicts: not hashable, by either way of making it
            assert hash(fast) == hash(slow)
        with pytest.raises(FrozenInstanceError):
            fast.title = "changed"  # type: ignore[misc]


# --- kept answers (lrs.plugin_api.kept_answers): given again until the record changes, then worked out again ----


class _Worked:
    """Which learners' readiness the hook worked out (rather than gave from what is kept), call by call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: list[str] = []
        real = plugin.kept_answers

        def counting(lrs: Any, kind: str, code: str, agent_keys: list[str], work: Any) -> dict[str, Any]:  # noqa: ANN401
            def worked(keys: list[str]) -> dict[str, Any]:
                self.keys += keys
                return work(keys)

            return real(lrs, kind, code, agent_keys, worked)

        monkeypatch.setattr(plugin, "kept_answers", counting)

    def take(self) -> set[str]:
        found, self.keys = set(self.keys), []
        return found


def _each_is_the_full_log(lrs: LRS, keys: list[str]) -> None:
    """Each learner's readiness is their full log's; asked without its pieces (as the lead's dashboard asks), the
    same but for the pieces."""
    today = plugin._today()
    found = year_readiness(lrs, keys, YEAR)
    without = year_readiness(lrs, keys, YEAR, pieces=False)
    for key in keys:
        [mine] = [r for r in found[key] if r.exporter == plugin.NAME]
        full = _full_path(lrs, key, today)
        assert mine == full, key
        [brief] = [r for r in without[key] if r.exporter == plugin.NAME]
        assert brief == replace(full, pieces=()), key


def _direct_keys(statements: list[dict[str, Any]]) -> set[str]:
    """The learners a statement is about (its actor, an agent object), as agent keys."""
    found = set()
    for s in statements:
        for agent in (s["actor"], s["object"]):
            if agent.get("mbox") and agent.get("objectType", "Agent") == "Agent":
                found.add(f"mbox:{agent['mbox']}")
    return found


def _kept_rows(lrs: LRS) -> list[tuple[str, str]]:
    from sqlalchemy import text

    with lrs.db.read() as conn:
        return list(conn.execute(text("SELECT kind, agent_key FROM learner_answers")).all())


@pytest.mark.parametrize("seed", [4, 5])
def test_kept_readiness_is_worked_out_again_exactly_when_a_record_changes(
        lrs_instance: LRS, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from lrs.services import erasure
    from lrs.store import learning as learning_store

    lrs = lrs_instance
    op = lrs.operator_principal()
    rnd = random.Random(seed)
    learners = [f"mailto:learner{n}@la.example" for n in range(30)]
    _store(lrs, rnd, learners)
    keys = [f"mbox:{m}" for m in learners] + ["mbox:mailto:nobody@la.example"]
    worked = _Worked(monkeypatch)

    _each_is_the_full_log(lrs, keys)
    assert worked.take() == set(keys)
    # Each learner's check and piece lines are kept apart (a dashboard reads only the checks).
    assert sorted(_kept_rows(lrs)) == sorted(
        (f"{plugin.NAME}/{part}/{YEAR}", key) for part in ("readiness", "pieces") for key in keys
    )
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == set(), "nothing changed: every answer is the kept one"

    # New statements: a batch about three learners (and the learners some are about), then one on its own.
    names = ["Jo Bloggs", "Sam Okafor", "Kim"]
    batch: list[dict[str, Any]] = []
    while len(batch) < 6:
        for mbox in rnd.sample(learners, 3):
            batch += _learner_statements(rnd, mbox, rnd.choice(learners), names)[:4]
    single = [{"id": str(uuid.uuid4()), "actor": {"mbox": learners[0], "name": "Jo Bloggs"},
               "verb": {"id": v.VERB_REFLECTED}, "timestamp": "2026-02-03T09:00:00Z",
               "object": {"id": "https://lrs.example/activities/9",
                          "definition": {"name": {"en-GB": "Supervision"}, "description": {"en-GB": "About it"}}},
               "result": {"response": "Learnt a lot", "extensions": {v.EXT_IMPACT: "On my practice"}}}]
    lrs.store_statements(batch, op, "1.0.3")
    lrs.store_statements(single, op, "1.0.3")
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == _direct_keys(batch + single)

    # A learner selects a statement for their CPD record; statements are voided.
    chosen = batch[0]
    selection = {"actor": chosen["actor"], "verb": {"id": VERB_SELECTED_FOR_CPD},
                 "object": {"objectType": "StatementRef", "id": chosen["id"]}, "timestamp": "2026-03-01T10:00:00Z"}
    lrs.store_statements([selection], op, "1.0.3")
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == _direct_keys([selection])
    voided = rnd.sample(batch, 3)
    lrs.store_statements([{"actor": {"mbox": "mailto:admin@la.example"}, "verb": {"id": v.ADL_VOIDED},
                           "object": {"objectType": "StatementRef", "id": s["id"]}} for s in voided], op, "1.0.3")
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == _direct_keys(voided)

    # A statement classified again (its mode decides whether an LMS's fact is a piece of learning).
    from sqlalchemy import text

    with lrs.db.read() as conn:
        seq, mode = conn.execute(text("SELECT seq, learning_mode FROM statements WHERE id = :id"),
                                 {"id": single[0]["id"]}).one()
    lrs.db.write(lambda conn: learning_store.set_classification(
        conn, [(seq, None if mode else "formal")], "test-rules"))
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == _direct_keys(single)

    # The plugin's code changes: every answer is worked out again.
    monkeypatch.setattr(plugin, "CODE", "another-code")
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == set(keys)

    # The learning totals counted again from the statements (after a bulk load): nothing kept can be trusted.
    lrs.db.write(learning_store.rebuild_totals)
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == set(keys)

    # An erasure forgets every kept answer (others' statements naming the person are rewritten) and the
    # person's record version; what is worked out next is the full log of what is left.
    erased = f"mbox:{learners[1]}"
    erasure.erase(lrs, erasure.Person.of([learners[1].removeprefix("mailto:")]), mode="pseudonymise",
                  operator="test")
    assert _kept_rows(lrs) == []
    with lrs.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM learner_versions WHERE agent_key = :k"),
                            {"k": erased}).scalar() == 0
    _each_is_the_full_log(lrs, keys)
    assert worked.take() == set(keys)


def test_an_answer_worked_out_from_an_older_record_is_not_kept(lrs_instance: LRS) -> None:
    """What a writer changes while the answers are being worked out wins: keep refuses an answer worked out from
    a version (or generation) that is no longer the learner's, so it is worked out again next time."""
    from lrs.store import learner_answers as store

    lrs = lrs_instance
    learner = "mailto:learner1@la.example"
    key = f"mbox:{learner}"
    with lrs.db.read() as conn:
        before, generation = store.read_versions(conn, [key])
    lrs.store_statements([{"actor": {"mbox": learner}, "verb": {"id": v.ADL_ATTENDED},
                           "object": {"id": "https://lrs.example/activities/1"}}], lrs.operator_principal(), "1.0.3")
    with lrs.db.read() as conn:
        after, _ = store.read_versions(conn, [key])
    assert before.get(key, 0) + 1 == after[key]
    assert lrs.db.write(lambda conn: store.keep(conn, "k", "c", {key: "1"}, before, generation)) == 0
    assert lrs.db.write(lambda conn: store.keep(conn, "k", "c", {key: "1"}, after, generation + 1)) == 0
    assert lrs.db.write(lambda conn: store.keep(conn, "k", "c", {key: "1"}, after, generation)) == 1
    with lrs.db.read() as conn:
        assert store.read_answers(conn, "k", [key]) == {key: ("c", after[key], generation, "1")}


def test_readiness_is_given_when_it_cannot_be_kept(lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that refuses the write (read-only, say) still gets every learner's readiness, none kept."""
    from sqlalchemy.exc import OperationalError

    from lrs.services import learner_answers

    rnd = random.Random(7)
    learners = [f"mailto:learner{n}@la.example" for n in range(5)]
    _store(lrs_instance, rnd, learners)

    class ReadOnly:
        def __init__(self, db: Any) -> None:  # noqa: ANN401
            self.db = db

        def read(self) -> Any:  # noqa: ANN401
            return self.db.read()

        def write(self, work: Any) -> Any:  # noqa: ANN401
            raise OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))

    real = learner_answers.kept_answers
    monkeypatch.setattr(plugin, "kept_answers", lambda lrs, *a: real(type("L", (), {"db": ReadOnly(lrs.db)})(), *a))
    _each_is_the_full_log(lrs_instance, [f"mbox:{m}" for m in learners])
    assert _kept_rows(lrs_instance) == []
