"""learning_totals (issue 23): the summaries of whole records read a learner's days instead of their statements.
Every figure must be what adding up the statements gives. A varied record (several modes, unclassified verbs,
durations with fractions and none, month edges reached through time-zone offsets, group actors and agent
objects, learners in two cohorts, statements voided in the same batch and later, a duplicate sent again) is
summarised both ways on SQLite and PostgreSQL; then reclassification, erasure and a rebuild must leave the table
as the statements give it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import and_, func, select

from lrs.cli import cli
from lrs.hookspecs import hookimpl
from lrs.learning import summary
from lrs.plugins import make_plugin_manager
from lrs.services import erasure
from lrs.services.statements import LRS
from lrs.store import enrolments as enrolment_store
from lrs.store import learning as learning_store
from lrs.store.enrolments import CE, LEARNER
from lrs.store.learning import SA, M, ModeTotals, S, T
from lrs.store.migrate import upgrade

LED = "https://lrs.example/verbs/led"
DISCUSSED = "https://lrs.example/verbs/discussed"
STUDIED = "https://lrs.example/verbs/studied"
PONDERED = "https://lrs.example/verbs/pondered"
WONDERED = "https://lrs.example/verbs/wondered"
MENTORED = "https://lrs.example/verbs/mentored"
VERBS = (LED, DISCUSSED, STUDIED, PONDERED, WONDERED, MENTORED)
COHORT_A = "https://lrs.example/cohorts/a"
COHORT_B = "https://lrs.example/cohorts/b"
LEARNERS = [f"mailto:learner{n}@la.example" for n in range(6)]
DURATIONS = (None, "PT1H", "PT0.25S", "PT1.5S", "PT45M", "PT2H30M", "P1D", "PT0.01S")
# Instants with offsets that move them across a UTC day and month edge, and exact midnights.
EDGES = (
    "2025-01-31T23:30:00-02:00",  # 1 February UTC
    "2025-03-01T00:30:00+01:00",  # 28 February UTC
    "2025-02-01T00:00:00Z",
    "2025-01-31T23:59:59.999Z",
    "2024-12-31T22:00:00-05:00",  # 1 January 2025 UTC
    "2025-06-30T23:00:00-01:00",  # 1 July UTC
)


class Rules:
    """A classifier whose rules a test can change (for reclassification)."""

    modes = {LED: "on-the-job", DISCUSSED: "social", STUDIED: "formal", MENTORED: "social"}

    @hookimpl(tryfirst=True)
    def lrs_classify_statement(self, statement: dict[str, Any]) -> str | None:
        return self.modes.get(statement["verb"]["id"])

    @hookimpl
    def lrs_classification_fingerprint(self, lrs: Any) -> str:
        return repr(sorted(self.modes.items()))


@pytest.fixture
def rules() -> Rules:
    found = Rules()
    found.modes = dict(Rules.modes)
    return found


@pytest.fixture
def lrs(lrs_instance: LRS, settings, shared_database, rules: Rules) -> LRS:
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(rules, name="test-rules")
    return LRS(settings, db=shared_database, pm=pm)


def _statement(rng: random.Random, n: int) -> dict[str, Any]:
    verb = rng.choice(VERBS)
    actor: dict[str, Any] = {"mbox": rng.choice(LEARNERS)}
    if n % 17 == 0:
        members = rng.sample(LEARNERS, 2)
        actor = {
            "objectType": "Group",
            "name": "Set",
            "mbox": "mailto:set@la.example",
            "member": [{"mbox": m} for m in members],
        }
    obj: dict[str, Any] = {"id": f"https://lrs.example/activities/{n % 7}"}
    if verb == MENTORED:
        obj = {"objectType": "Agent", "mbox": rng.choice(LEARNERS)}
    if n % 11 == 0:
        when = EDGES[n % len(EDGES)]
    else:
        instant = datetime(2024, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
        offset = timedelta(hours=rng.choice((-5, 0, 0, 1, 9)))
        when = instant.astimezone(timezone(offset)).isoformat()
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb},
        "object": obj,
        "timestamp": when,
    }
    duration = rng.choice(DURATIONS)
    if duration:
        body["result"] = {"duration": duration}
    body["context"] = {"contextActivities": {"grouping": [{"id": rng.choice((COHORT_A, COHORT_B))}]}}
    return body


def _voiding(target: str) -> dict[str, Any]:
    return {
        "actor": {"mbox": LEARNERS[0]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }


@pytest.fixture
def record(lrs: LRS) -> list[str]:
    """The varied record, stored in batches of several sizes (and one at a time: PostgreSQL's one-statement path)."""
    rng = random.Random(23)
    principal = lrs.operator_principal()
    statements = [_statement(rng, n) for n in range(260)]
    for start, size in ((0, 1), (1, 1), (2, 40), (42, 100), (142, 1), (143, 117)):
        lrs.store_statements(statements[start : start + size], principal, "1.0.3")
    # The same statements again (skipped), with new ones: only the new ones count.
    lrs.store_statements([*statements[40:45], _statement(rng, 1000)], principal, "1.0.3")
    # Voided later, one at a time and in a batch; one voided twice; one voiding with its target in the batch.
    lrs.store_statements(_voiding(statements[3]["id"]), principal, "1.0.3")
    lrs.store_statements([_voiding(statements[s]["id"]) for s in (5, 17, 34, 88, 3)], principal, "1.0.3")
    fresh = _statement(rng, 2000)
    lrs.store_statements([fresh, _voiding(fresh["id"])], principal, "1.0.3")

    def enrol(conn: Any) -> None:
        for n, key in enumerate(LEARNERS):
            agent = f"mbox:{key}"
            if n < 4:
                enrolment_store.enrol(conn, COHORT_A, agent, enrolled_by="test")
            if n >= 2:
                enrolment_store.enrol(conn, COHORT_B, agent, enrolled_by="test")
        enrolment_store.enrol(conn, COHORT_B, "mbox:mailto:set@la.example", enrolled_by="test")

    lrs.db.write(enrol)
    return [f"mbox:{key}" for key in LEARNERS] + [
        "mbox:mailto:set@la.example",
        "mbox:mailto:nobody@la.example",
    ]


def _rows(rows: list[ModeTotals]) -> list[tuple[Any, ...]]:
    return sorted(
        (r.mode or "", r.agent_key or "", r.month or "", r.statements, round(r.seconds, 6), r.timed)
        for r in rows
    )


RANGES = [
    (None, None),
    (date(2025, 1, 15), date(2025, 2, 28)),
    (date(2025, 2, 1), None),
    (None, date(2025, 1, 31)),
    (date(2025, 1, 1), date(2025, 1, 1)),
    (date(2025, 7, 1), date(2025, 12, 31)),
]


def _bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(first, time.min, UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, UTC) if last else None
    return start, end


def test_learner_totals_are_what_the_statements_add_up_to(lrs: LRS, record: list[str]) -> None:
    with lrs.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(T)).scalar() > 100
        for agent in record:
            for first, last in RANGES:
                start, end = _bounds(first, last)
                for by_month in (False, True):
                    new = learning_store.learner_totals(
                        conn, agent, first=first, last=last, by_month=by_month
                    )
                    old = learning_store.mode_totals(
                        conn, agent_key=agent, start=start, end=end, by_month=by_month
                    )
                    assert _rows(new) == _rows(old), (agent, first, last, by_month)
                assert learning_store.learner_unclassified_verbs(conn, agent, first=first, last=last) == (
                    learning_store.unclassified_verbs(conn, agent_key=agent, start=start, end=end)
                )


def test_learner_summary_json_is_unchanged(lrs: LRS, record: list[str]) -> None:
    for agent in record[:3] + record[-2:]:
        for first, last in RANGES[:4]:
            for period in (None, "month", "quarter", "year"):
                query = summary.SummaryQuery(first, last, period, dict(summary.DEFAULT_TARGET), "time")
                got = summary.learner_summary(lrs, agent, query)
                with lrs.db.read() as conn:
                    scope = {"agent_key": agent, "start": query.start, "end": query.end}
                    rows = learning_store.mode_totals(conn, by_month=bool(period), **scope)
                    verbs = learning_store.unclassified_verbs(conn, **scope)
                assert got["totals"] == summary.bucket(rows, query, top_unclassified=verbs)
                assert got["periods"] == summary.periods(rows, query)


def _enrolled_from_statements(conn: Any, cohort: str, by: str) -> list[ModeTotals]:
    """What enrolled_mode_totals gave before learning_totals: the enrolled learners' statements added up."""
    columns: list[Any] = [
        S.c.learning_mode.label("mode"),
        func.count().label("statements"),
        func.coalesce(func.sum(S.c.duration_seconds), 0.0).label("seconds"),
        func.count(S.c.duration_seconds).label("timed"),
    ]
    extra = SA.c.agent_key.label("agent_key") if by == "agent" else learning_store._month(conn).label("month")
    query = (
        select(*columns, extra)
        .select_from(
            CE.join(SA, and_(SA.c.agent_key == CE.c.agent_key, SA.c.direct.is_(True))).join(
                S, S.c.seq == SA.c.statement_seq
            )
        )
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .group_by(S.c.learning_mode, extra)
    )
    return learning_store._mode_totals(conn.execute(query).mappings())


def _latest_from_statements(conn: Any, cohort: str) -> dict[str, Any]:
    rows = conn.execute(
        select(SA.c.agent_key, func.max(S.c.timestamp))
        .select_from(
            CE.join(SA, and_(SA.c.agent_key == CE.c.agent_key, SA.c.direct.is_(True))).join(
                S, S.c.seq == SA.c.statement_seq
            )
        )
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, S.c.voided.is_(False), S.c.is_voiding.is_(False))
        .group_by(SA.c.agent_key)
    )
    return {agent: latest for agent, latest in rows}


def _check_cohorts(lrs: LRS) -> None:
    # SQLite: the months the write path marked as waiting counted (as lrs serve's keeper does once writes pause).
    lrs.db.write(learning_store.fold_months)
    with lrs.db.read() as conn:
        # learning_month_totals: the days added up per month and over all time, exactly.
        assert _months(conn) == _months_of(_table(conn))
        for cohort in (COHORT_A, COHORT_B, "https://lrs.example/cohorts/empty"):
            for by in ("agent", "month"):
                assert _rows(learning_store.enrolled_mode_totals(conn, cohort, by=by)) == _rows(
                    _enrolled_from_statements(conn, cohort, by)
                ), (cohort, by)
            latest = _latest_from_statements(conn, cohort)
            learners = learning_store.cohort_learners(conn, cohort)
            assert {r["agent_key"]: r["latest"] for r in learners} == {
                r["agent_key"]: latest.get(r["agent_key"]) for r in learners
            }


def _table(conn: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r.agent_key, r.day, r.mode, r.verb_iri, r.statements, round(r.seconds, 6), r.timed, r.latest)
        for r in conn.execute(select(T))
    )


def _months(conn: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r.agent_key, r.month, r.mode, r.verb_iri, r.statements, round(r.seconds, 6), r.timed, r.latest, r.first_day)
        for r in conn.execute(select(M))
    )


def _months_of(days: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """What learning_month_totals must hold for these rows of learning_totals (as :func:`_table` gives them)."""
    out: dict[tuple[str, ...], list[Any]] = {}
    for agent, day, mode, verb, n, seconds, timed, latest in days:
        for month in (day[:7], learning_store.ALL_TIME):
            found = out.setdefault((agent, month, mode, verb), [0, 0.0, 0, latest, day])
            found[0] += n
            found[1] += seconds
            found[2] += timed
            found[3] = max(found[3], latest)
            found[4] = min(found[4], day)
    return sorted((*key, n, round(seconds, 6), timed, latest, day) for key, (n, seconds, timed, latest, day) in out.items())


def _check_rebuild_gives_the_same(lrs: LRS) -> None:
    lrs.db.write(learning_store.fold_months)
    with lrs.db.read() as conn:
        kept, months = _table(conn), _months(conn)
    lrs.db.write(learning_store.rebuild_totals)
    with lrs.db.read() as conn:
        assert _table(conn) == kept
        assert _months(conn) == months


def test_cohort_totals_and_latest_are_what_the_statements_give(lrs: LRS, record: list[str]) -> None:
    _check_cohorts(lrs)
    query = summary.parse_query(period="month")
    data = summary.enrolled_learners_summary(lrs, COHORT_B, query)
    assert data["learner_count"] == 5  # four learners and the group with any learning
    _check_rebuild_gives_the_same(lrs)


def test_reclassifying_moves_the_totals(lrs: LRS, rules: Rules, record: list[str]) -> None:
    rules.modes[PONDERED] = "formal"
    del rules.modes[DISCUSSED]
    lrs = LRS(
        lrs.settings, db=lrs.db, pm=lrs.pm
    )  # the fingerprint of the rules in force is read once per LRS
    report = lrs.reclassify(batch_size=37)
    assert report["changed"] > 0
    with lrs.db.read() as conn:
        for agent in record:
            assert _rows(learning_store.learner_totals(conn, agent, by_month=True)) == _rows(
                learning_store.mode_totals(conn, agent_key=agent, by_month=True)
            )
    _check_cohorts(lrs)
    _check_rebuild_gives_the_same(lrs)


@pytest.mark.parametrize("mode", erasure.MODES)
def test_erasure_leaves_the_totals_as_the_statements_give_them(
    lrs: LRS, record: list[str], mode: str
) -> None:
    erasure.erase(lrs, erasure.Person.of([LEARNERS[2]]), mode=mode, operator="test")
    with lrs.db.read() as conn:
        assert not conn.execute(select(T).where(T.c.agent_key == record[2])).first()
    _check_cohorts(lrs)
    _check_rebuild_gives_the_same(lrs)


def test_the_rebuild_command(lrs: LRS, record: list[str], settings) -> None:
    lrs.db.write(learning_store.fold_months)
    with lrs.db.read() as conn:
        kept, months = _table(conn), _months(conn)
    lrs.db.write(lambda conn: (conn.execute(T.delete()), conn.execute(M.delete())))
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    result = CliRunner().invoke(cli, ["learning-totals", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert "rows" in result.output
    with lrs.db.read() as conn:
        assert _table(conn) == kept
        assert _months(conn) == months


def test_retention_takes_deleted_statements_out_of_the_months(lrs: LRS, record: list[str]) -> None:
    from lrs.services import retention

    later = datetime.now(UTC) + timedelta(days=800)
    report = retention.apply(lrs, dry_run=False, operator="test", now=later, policy=f"{PONDERED}=1")
    assert report["statements"] > 0
    _check_cohorts(lrs)
    _check_rebuild_gives_the_same(lrs)


def test_statements_added_later_add_to_the_months(lrs: LRS, record: list[str]) -> None:
    """New statements for learners with months already counted, one at a time and in a batch (the upserts'
    sums, latest and first day), among them one earlier than anything stored."""
    rng = random.Random(77)
    principal = lrs.operator_principal()
    early = _statement(rng, 3001)
    early["timestamp"] = "2023-05-04T10:00:00+02:00"
    lrs.store_statements(early, principal, "1.0.3")
    lrs.store_statements([_statement(rng, 3002 + n) for n in range(25)], principal, "1.0.3")
    lrs.db.write(learning_store.fold_months)
    with lrs.db.read() as conn:
        assert ("2023-05-04",) in {(r[8],) for r in _months(conn)}
    _check_cohorts(lrs)


def test_migration_0025_adds_up_the_months_the_write_path_kept(lrs: LRS, record: list[str]) -> None:
    """Migration 0025, on a store at 0024 with these statements, fills learning_month_totals set-based with the
    rows the write path kept."""
    with lrs.db.read() as conn:
        # SQLite: the months waiting stay so (migration 0031's downgrade folds them first).
        months = _months_of(_table(conn))
    assert {row[1] for row in months} > {learning_store.ALL_TIME}
    _downgrade(lrs, "0024_cohort_month_totals")
    upgrade(lrs.db.engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert _months(conn) == months
    _check_cohorts(lrs)


def test_migration_0031_counts_the_months_waiting_before_it_goes(lrs: LRS, record: list[str]) -> None:
    """SQLite: downgraded below 0031, the store has no table marking months as waiting, so every month row must
    be counted by then: the downgrade folds them."""
    with lrs.db.read() as conn:
        expected = _months_of(_table(conn))
        waiting = learning_store.months_waiting(conn)
    assert (waiting > 0) == (lrs.db.engine.dialect.name == "sqlite")
    _downgrade(lrs, "0030_cohort_totals_shared_days")
    with lrs.db.engine.connect() as conn:
        assert _months(conn) == expected
    upgrade(lrs.db.engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert learning_store.months_waiting(conn) == 0
        assert _months(conn) == expected


def _downgrade(lrs: LRS, revision: str) -> None:
    """The store's schema taken down to ``revision`` by its migrations (the LRS's connections closed first)."""
    from alembic import command

    from lrs.store.migrate import alembic_config

    engine = lrs.db.engine
    lrs.db.dispose()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
