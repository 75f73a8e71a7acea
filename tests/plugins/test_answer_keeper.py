"""The answer keeper (lrs.services.answer_keeper) works out the enrolled learners' CPD readiness ahead of the
dashboard: after its round a dashboard works out nobody's, and each answer is still the learner's full CPD log.
It asks again about exactly the learners whose record changed, all of them after a rebuild or in a new CPD year,
and the newly enrolled; it writes nothing when there is nothing to do, gives way to another process holding its
lease, and stops when told. In ``lrs serve`` it runs in the workers; with LRS_KEEP_ANSWERS_IN_SERVE=0 it only folds
the waiting cohort rows (SQLite), or does not run (PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lrs.config import Settings
from lrs.learning import vocabulary as v
from lrs.services import answer_keeper
from lrs.services.answer_keeper import AnswerKeeper, start_background_keeper
from lrs.services.dashboard import cpd_year
from lrs.services.exports import year_readiness
from lrs.services.statements import LRS
from lrs.store import enrolments
from lrs.store import forwarding as leases
from lrs.store import learning as learning_store

from .test_cpd_readiness_cohort import YEAR, _each_is_the_full_log, _store, _Worked

COHORTS = ["https://lrs.example/cohorts/a", "https://lrs.example/cohorts/b"]
IN_THE_YEAR = date(2026, 10, 1)


def _enrol(lrs: LRS, mboxes: list[str], cohort: str = COHORTS[0]) -> list[str]:
    keys = [f"mbox:{m}" for m in mboxes]
    lrs.db.write(lambda conn: [enrolments.enrol(conn, cohort, key, enrolled_by="test") for key in keys])
    return keys


def _keeper(lrs: LRS, **kwargs: Any) -> AnswerKeeper:  # noqa: ANN401
    return AnswerKeeper(lrs, today=kwargs.pop("today", lambda: IN_THE_YEAR), duty=kwargs.pop("duty", 1.0), **kwargs)


def _reflection(mbox: str) -> dict[str, Any]:
    return {"actor": {"mbox": mbox, "name": "Jo Bloggs"}, "verb": {"id": v.VERB_REFLECTED},
            "timestamp": "2026-09-20T10:00:00Z",
            "object": {"id": "https://lrs.example/activities/late",
                       "definition": {"name": {"en-GB": "Supervision"}, "description": {"en-GB": "Case review"}}},
            "result": {"response": "What I learnt", "extensions": {v.EXT_IMPACT: "What changed"}}}


def _dashboard(lrs: LRS, keys: list[str], year: int = YEAR) -> None:
    """What a lead's dashboard asks (no piece lines)."""
    year_readiness(lrs, keys, year, pieces=False)


def _lease_rows(lrs: LRS) -> list[Any]:
    with lrs.db.read() as conn:
        return list(conn.execute(text("SELECT name, holder FROM leases")).all())


@pytest.fixture
def cohort(lrs_instance: LRS) -> tuple[LRS, list[str], list[str]]:
    """Twelve learners with random records, nine of them enrolled (six in one cohort, three in another; one in
    both), and one enrolled learner with no statement at all."""
    lrs = lrs_instance
    mboxes = [f"mailto:learner{n}@la.example" for n in range(12)]
    _store(lrs, random.Random(11), mboxes)
    enrolled = _enrol(lrs, mboxes[:6]) + _enrol(lrs, [*mboxes[6:9], mboxes[0], "mailto:quiet@la.example"], COHORTS[1])
    return lrs, mboxes, sorted(set(enrolled))


def test_after_a_round_the_dashboard_works_out_nobody(cohort: tuple[LRS, list[str], list[str]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, mboxes, enrolled = cohort
    keeper = _keeper(lrs)
    worked = _Worked(monkeypatch)
    assert keeper.run_once() == len(enrolled) == 10
    assert worked.take() == set(enrolled)
    # What a dashboard then asks is all kept, and each answer is the full log's.
    _dashboard(lrs, enrolled)
    assert worked.take() == set()
    _each_is_the_full_log(lrs, enrolled)
    worked.take()  # the piece lines (a participant's page asks for them) are worked out when first asked for
    # Nothing changed: the next round asks nobody, and takes no lock (no lease write).
    with lrs.db.read() as conn:
        leased = list(conn.execute(text("SELECT expires FROM leases WHERE name = 'answer-keeper'")).scalars())
    assert keeper.run_once() == 0
    with lrs.db.read() as conn:
        assert list(conn.execute(text("SELECT expires FROM leases WHERE name = 'answer-keeper'")).scalars()) == leased
    assert worked.take() == set()
    # A learner who is not enrolled is not worked out ahead.
    assert f"mbox:{mboxes[11]}" not in enrolled


def test_it_asks_again_about_exactly_the_learners_who_changed(cohort: tuple[LRS, list[str], list[str]],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, mboxes, enrolled = cohort
    keeper = _keeper(lrs)
    keeper.run_once()
    worked = _Worked(monkeypatch)
    op = lrs.operator_principal()

    lrs.store_statements([_reflection(mboxes[1]), _reflection(mboxes[7])], op, "1.0.3")
    lrs.store_statements([_reflection(mboxes[11])], op, "1.0.3")  # not enrolled: nobody to ask about
    assert keeper.run_once() == 2
    assert worked.take() == {f"mbox:{mboxes[1]}", f"mbox:{mboxes[7]}"}
    _dashboard(lrs, enrolled)
    assert worked.take() == set()
    _each_is_the_full_log(lrs, enrolled)
    worked.take()

    # A newly enrolled learner is asked about; so is everyone after a rebuild (a new generation).
    [newcomer] = _enrol(lrs, [mboxes[10]])
    assert keeper.run_once() == 1 and worked.take() == {newcomer}
    # One leaves and another joins between two looks: as many enrolments as before, and the joiner is asked about.
    lrs.db.write(lambda conn: enrolments.unenrol(conn, COHORTS[0], newcomer))
    [joiner] = _enrol(lrs, [mboxes[9]])
    assert keeper.run_once() == 1 and worked.take() == {joiner}
    lrs.db.write(lambda conn: enrolments.unenrol(conn, COHORTS[0], joiner))
    _enrol(lrs, [mboxes[10]])
    lrs.db.write(learning_store.rebuild_totals)
    assert keeper.run_once() == len(enrolled) + 1
    assert worked.take() == {*enrolled, newcomer}
    _dashboard(lrs, [*enrolled, newcomer])
    assert worked.take() == set()
    _each_is_the_full_log(lrs, [*enrolled, newcomer])


def test_a_new_cpd_year_asks_about_everyone_for_that_year(cohort: tuple[LRS, list[str], list[str]],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, _, enrolled = cohort
    today = [IN_THE_YEAR]
    keeper = _keeper(lrs, today=lambda: today[0])
    keeper.run_once()
    today[0] = date(2026, 12, 1)  # the 2027 year begins
    worked = _Worked(monkeypatch)
    assert keeper.run_once() == len(enrolled)
    assert worked.take() == set(enrolled)
    _dashboard(lrs, enrolled, YEAR + 1)
    assert worked.take() == set(), "the 2027 answers were kept"


def test_nothing_enrolled_writes_nothing(lrs_instance: LRS) -> None:
    lrs = lrs_instance
    _store(lrs, random.Random(3), ["mailto:a@la.example", "mailto:b@la.example"])
    keeper = _keeper(lrs)
    assert keeper.run_once() == 0
    assert _lease_rows(lrs) == []
    with lrs.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM learner_answers")).scalar() == 0


def test_it_gives_way_to_another_holder_of_its_lease(cohort: tuple[LRS, list[str], list[str]]) -> None:
    lrs, _, enrolled = cohort
    now = datetime.now(UTC)
    assert lrs.db.write(lambda conn: leases.try_lease(conn, answer_keeper.LEASE_NAME, "another worker", now=now,
                                                      seconds=60))
    keeper = _keeper(lrs)
    assert keeper.run_once() == 0
    with lrs.db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM learner_answers")).scalar() == 0
    # Once the other lets it go, this one does the whole round it could not do.
    lrs.db.write(lambda conn: leases.release_lease(conn, answer_keeper.LEASE_NAME, "another worker"))
    assert keeper.run_once() == len(enrolled)
    assert [row[1] for row in _lease_rows(lrs)] == [keeper.holder]


def test_a_stopped_round_is_finished_by_the_next(cohort: tuple[LRS, list[str], list[str]],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, _, enrolled = cohort
    stop = threading.Event()
    keeper = _keeper(lrs, chunk=3)
    real = answer_keeper.exports.year_readiness

    def then_stop(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        stop.set()  # a stop asked for while the first chunk is worked out
        return real(*args, **kwargs)

    monkeypatch.setattr(answer_keeper.exports, "year_readiness", then_stop)
    assert keeper.run_once(stop) == 3
    monkeypatch.setattr(answer_keeper.exports, "year_readiness", real)
    worked = _Worked(monkeypatch)
    assert keeper.run_once() == len(enrolled), "the round starts again from the same mark"
    assert worked.take() == set(enrolled[3:]), "the first chunk's answers were kept"


def test_it_works_at_most_its_duty(cohort: tuple[LRS, list[str], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, _, enrolled = cohort
    pauses: list[float] = []
    monkeypatch.setattr(answer_keeper.time, "sleep", pauses.append)
    keeper = _keeper(lrs, chunk=4, duty=0.25)
    began = time.monotonic()
    assert keeper.run_once() == len(enrolled)
    worked = time.monotonic() - began
    assert len(pauses) == 2, "a pause after each chunk but the last"
    assert all(p > 0 for p in pauses)
    assert sum(pauses) <= 3 * worked + 0.01


def test_serve_runs_it_unless_turned_off(lrs_instance: LRS) -> None:
    assert Settings.from_env({"LRS_KEEP_ANSWERS_IN_SERVE": "0"}).keep_answers_in_serve is False
    assert Settings.from_env({}).keep_answers_in_serve is True
    off = LRS(Settings(database_url=lrs_instance.settings.database_url, keep_answers_in_serve=False),
              db=lrs_instance.db)
    stop = start_background_keeper(off)
    # PostgreSQL: nothing left to keep. SQLite: the keeper that only folds the waiting cohort rows.
    assert (stop is None) == (lrs_instance.db.dialect == "postgresql")
    if stop is not None:
        stop.set()
        for thread in threading.enumerate():  # its one round (if begun) ends before the test's database goes
            if thread.name == "lrs-answer-keeper":
                thread.join(timeout=10)


def test_with_the_answers_off_it_still_folds_the_waiting_rows_and_keeps_no_answer(
    cohort: tuple[LRS, list[str], list[str]],
) -> None:
    """LRS_KEEP_ANSWERS_IN_SERVE=0 on SQLite: once writes pause the waiting cohort rows are folded (a summary at
    rest reads none), but no learner is asked about, no answer kept and no lease taken."""
    from lrs.store import cohort_totals

    lrs, mboxes, enrolled = cohort

    def waiting() -> int:
        with lrs.db.read() as conn:
            return cohort_totals.waiting(conn)

    def kept() -> int:
        with lrs.db.read() as conn:
            return int(conn.execute(text("SELECT count(*) FROM learner_answers")).scalar() or 0)

    lrs.store_statements([{**_reflection(m), "context": {"contextActivities": {"grouping": [{"id": COHORTS[0]}]}}}
                          for m in mboxes[:6]], lrs.operator_principal(), "1.0.3")
    assert waiting() == (6 if lrs.db.dialect == "sqlite" else 0)  # PostgreSQL keeps none waiting
    keeper = _keeper(lrs, answers=False)
    assert keeper.run_once() == 0
    assert keeper.run_once() == 0
    assert waiting() == 0
    assert kept() == 0
    assert _lease_rows(lrs) == []
    stop = threading.Event()
    stop.set()
    keeper.run(stop)  # ends without a write (it never took the lease)
    assert _lease_rows(lrs) == []


@pytest.mark.slow
def test_lrs_serve_keeps_the_enrolled_learners_readiness_ahead(database_url: str, tmp_path: Path) -> None:
    """As a new user meets it: ``lrs serve`` on a store with enrolled learners works their readiness out before
    anyone opens a dashboard, and a learner's new reflection, posted over HTTP, within seconds."""
    import json

    from api.test_lrs_serve import start_lrs_serve, stop

    from lrs.store.db import Database

    db = Database(database_url)
    lrs = LRS(Settings(database_url=database_url), db=db)
    for table in ("learner_answers", "cohort_enrolments", "leases"):
        db.write(lambda conn, table=table: conn.execute(text(f"DELETE FROM {table}")))
    mboxes = [f"mailto:served{n}@la.example" for n in range(5)]
    keys = _enrol(lrs, mboxes)
    year = cpd_year(datetime.now(UTC).date())

    def kept() -> dict[str, int]:
        with db.read() as conn:
            rows = conn.execute(text("SELECT agent_key, version FROM learner_answers WHERE kind = :kind"),
                                {"kind": f"cpd-log/readiness/{year}"}).all()
        return {key: version for key, version in rows if key in keys}

    def wait_for(check: Any, seconds: float = 30) -> bool:  # noqa: ANN401
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.2)
        return False

    served = start_lrs_serve(database_url, tmp_path, workers=2, threads=1)
    try:
        assert wait_for(lambda: set(kept()) == set(keys)), served.output.read_text()
        before = kept()[keys[2]]
        today = datetime.now(UTC) - timedelta(minutes=5)
        statement = {**_reflection(mboxes[2]), "timestamp": today.isoformat()}
        status, _, body = served.request("POST", "/xapi/statements", body=json.dumps(statement).encode(),
                                         **{"Content-Type": "application/json"})
        assert status == 200, body
        assert wait_for(lambda: kept().get(keys[2], 0) > before), served.output.read_text()
    finally:
        assert stop(served) == 0
        db.dispose()


def test_postgresql_plans_the_reads_of_many_learners_each_time(cohort: tuple[LRS, list[str], list[str]]) -> None:
    """The version and answer reads are never prepared: the keeper runs them hundreds of times while the tables
    grow, and a generic plan made while a table was small stayed in use (144 ms for a dashboard's 500 answers, against
    4; lrs.store.learner_answers._PG_ANSWERS)."""
    from lrs.store import learner_answers as store

    lrs, _, enrolled = cohort
    if lrs.db.dialect != "postgresql":
        pytest.skip("psycopg prepares statements on PostgreSQL only")
    _keeper(lrs).run_once()
    with lrs.db.read() as conn:
        for _ in range(8):  # psycopg prepares a statement on its fifth run
            store.read_versions(conn, enrolled)
            assert set(store.read_answers(conn, f"cpd-log/readiness/{YEAR}", enrolled)) == set(enrolled)
        prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    reads = [s for s in prepared if s.lstrip().upper().startswith("SELECT") and "learner_" in s]
    assert reads == []


def test_a_database_it_cannot_write_is_retried_less_and_less_often(
        lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A read-only replica (or any failure that lasts) is neither fatal to the keeper nor a traceback every 5 s."""
    keeper = _keeper(lrs_instance)
    outcomes = [RuntimeError("read-only"), RuntimeError("read-only"), RuntimeError("read-only"), 0, RuntimeError("x")]

    def round_(stop: Any = None) -> int:  # noqa: ANN401
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    class Stop:
        def __init__(self) -> None:
            self.waits: list[float] = []

        def is_set(self) -> bool:
            return not outcomes

        def wait(self, seconds: float) -> None:
            self.waits.append(seconds)

    monkeypatch.setattr(keeper, "run_once", round_)
    monkeypatch.setattr(keeper, "release", lambda: None)
    stop = Stop()
    keeper.run(stop, every=5)  # type: ignore[arg-type]
    assert stop.waits == [10, 20, 40, 5, 10], "doubling after each failure in a row, back to every 5 s after a round"
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 2, "a traceback for the first failure of a run of them only"


def test_a_change_between_the_checks_and_the_lines_gives_both_from_the_new_record(
        cohort: tuple[LRS, list[str], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A participant's page asks for the check and the piece lines, kept apart: a reflection stored between the two
    reads must not give an old check beside new lines."""
    from lrs_cpd_log import plugin

    from .test_cpd_readiness_cohort import _full_path

    lrs, mboxes, _ = cohort
    key = f"mbox:{mboxes[2]}"
    year_readiness(lrs, [key], YEAR)  # both parts kept
    real = plugin.kept_answers

    def write_before_the_lines(lrs_: LRS, kind: str, code: str, keys: list[str], work: Any) -> Any:  # noqa: ANN401
        if "/pieces/" in kind:
            lrs.store_statements([{**_reflection(mboxes[2]), "timestamp": "2026-05-05T09:00:00Z"},
                                  {**_reflection(mboxes[2]), "timestamp": "2026-06-06T09:00:00Z",
                                   "object": {"id": "https://lrs.example/activities/other"}}],
                                 lrs.operator_principal(), "1.0.3")
        return real(lrs_, kind, code, keys, work)

    monkeypatch.setattr(plugin, "kept_answers", write_before_the_lines)
    [answer] = year_readiness(lrs, [key], YEAR)[key]
    monkeypatch.setattr(plugin, "kept_answers", real)
    assert answer == _full_path(lrs, key, plugin._today())


def test_it_folds_the_waiting_cohort_rows_once_writes_pause(lrs_instance: LRS) -> None:
    """SQLite: a known cohort's rows wait in cohort_recent_totals until 10,000 gather; the keeper folds them at the
    second look that finds the same rows waiting (none written in between), and the summary stays the same.
    PostgreSQL keeps none waiting."""
    from lrs.learning import summary
    from lrs.store import cohort_totals, learning

    lrs = lrs_instance
    _enrol(lrs, ["mailto:learner0@la.example"])  # the cohort becomes known

    def send(n: int) -> None:
        lrs.store_statements([{**_reflection(f"mailto:learner{k}@la.example"),
                               "context": {"contextActivities": {"grouping": [{"id": COHORTS[0]}]}}}
                              for k in range(n)], lrs.operator_principal(), "1.0.3")

    def waiting() -> int:
        with lrs.db.read() as conn:
            return cohort_totals.waiting(conn)

    def months() -> int:
        with lrs.db.read() as conn:
            return learning.months_waiting(conn)

    query = summary.parse_query()
    send(3)
    answer = summary.cohort_summary(lrs, COHORTS[0], query)
    assert answer["totals"]["statements"] == 3
    sqlite = lrs.db.dialect == "sqlite"
    assert waiting() == (3 if sqlite else 0)
    keeper = _keeper(lrs)
    keeper.run_once()
    assert waiting() == (3 if sqlite else 0)  # first look: writes may still be coming
    send(2)
    keeper.run_once()
    assert waiting() == (5 if sqlite else 0)  # more came since
    assert months() == (3 if sqlite else 0)  # their learners' months too, once each (learning.fold_months)
    keeper.run_once()
    assert waiting() == months() == 0  # none since: folded
    assert summary.cohort_summary(lrs, COHORTS[0], query)["totals"]["statements"] == 5
    keeper.run_once()
    assert waiting() == 0


def test_it_folds_the_learners_months_once_writes_pause_with_no_cohort_known(lrs_instance: LRS) -> None:
    """SQLite: statements of no known cohort leave only their learners' months waiting; the keeper folds them at
    the second look that finds no statement stored in between, and the months then hold what the days hold."""
    from lrs.store import learning

    lrs = lrs_instance
    sqlite = lrs.db.dialect == "sqlite"

    def months() -> int:
        with lrs.db.read() as conn:
            return learning.months_waiting(conn)

    def whole_record() -> int:
        with lrs.db.read() as conn:
            return int(conn.execute(text("SELECT coalesce(sum(statements), 0) FROM learning_month_totals "
                                         "WHERE month = ''")).scalar() or 0)

    lrs.store_statements([_reflection(f"mailto:learner{k}@la.example") for k in range(4)],
                         lrs.operator_principal(), "1.0.3")
    assert months() == (4 if sqlite else 0)
    assert whole_record() == (0 if sqlite else 4)
    keeper = _keeper(lrs, answers=False)
    keeper.run_once()
    assert months() == (4 if sqlite else 0)  # first look: writes may still be coming
    lrs.store_statements(_reflection("mailto:learner0@la.example"), lrs.operator_principal(), "1.0.3")
    keeper.run_once()
    assert months() == (4 if sqlite else 0)  # a statement came since (its month was waiting already)
    keeper.run_once()
    assert months() == 0
    assert whole_record() == 5


def test_the_write_path_folds_the_months_once_enough_wait(lrs_instance: LRS, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: a batch whose statements pass a multiple of FOLD_CHECK_STATEMENTS folds the months waiting when
    MONTHS_FOLD_ROWS or more wait (here 3 and 4), in its own transaction; PostgreSQL keeps none waiting."""
    from lrs.store import cohort_totals, learning

    lrs = lrs_instance
    sqlite = lrs.db.dialect == "sqlite"
    monkeypatch.setattr(cohort_totals, "FOLD_CHECK_STATEMENTS", 3)
    monkeypatch.setattr(learning, "MONTHS_FOLD_ROWS", 4)

    def months() -> int:
        with lrs.db.read() as conn:
            return learning.months_waiting(conn)

    def send(*learners: int) -> None:
        lrs.store_statements([_reflection(f"mailto:learner{k}@la.example") for k in learners],
                             lrs.operator_principal(), "1.0.3")

    with lrs.db.read() as conn:
        assert learning.last_seq(conn) == 0
    send(1, 2)  # seqs 1-2: no multiple of 3 passed, no look
    assert months() == (2 if sqlite else 0)
    send(3)  # seq 3: a look, but 3 < 4 wait
    assert months() == (3 if sqlite else 0)
    send(4, 5)  # seqs 4-5: 5 wait, but no look
    assert months() == (5 if sqlite else 0)
    send(6)  # seq 6: a look, and 6 >= 4 wait: folded with this batch
    assert months() == 0
    with lrs.db.read() as conn:
        counted = conn.execute(text("SELECT coalesce(sum(statements), 0) FROM learning_month_totals "
                                    "WHERE month = ''")).scalar()
        days = conn.execute(text("SELECT coalesce(sum(statements), 0) FROM learning_totals")).scalar()
    assert counted == days == 6
