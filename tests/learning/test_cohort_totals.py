"""cohort_totals (issue 23): a known cohort's summary reads its rows instead of the statements naming it, and must
answer exactly what the statements give. A varied record (the cohort as object, grouping, parent, category, other
and inside a SubStatement only; group actors with and without their own IFI, agent objects, so two and more
direct agents; durations with fractions and none; day and month edges reached through time-zone offsets;
statements voided in the same batch and later; a duplicate sent again; batches of one on PostgreSQL's
one-statement path) is summarised both ways on SQLite and PostgreSQL, for every range, period, basis, target,
``learners=false`` and the enrolled-only answer of an assessor, IQA or lead; a cohort known before its statements
arrive (kept by the write path) and one made known after (counted when its first learner is enrolled). Then
reclassification, erasure, retention and a rebuild must leave the table as the statements give it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from lrs.cli import cli
from lrs.hookspecs import hookimpl
from lrs.learning import summary
from lrs.plugins import make_plugin_manager
from lrs.services import erasure, retention
from lrs.services.statements import LRS
from lrs.store import cohort_totals
from lrs.store import enrolments as enrolment_store
from lrs.store.cohort_totals import CM, CMT, CS, CT, KNOWN, RECENT

LED = "https://lrs.example/verbs/led"
DISCUSSED = "https://lrs.example/verbs/discussed"
STUDIED = "https://lrs.example/verbs/studied"
PONDERED = "https://lrs.example/verbs/pondered"
WONDERED = "https://lrs.example/verbs/Wondered"  # upper case: the verbs' order among equal counts is the database's
MENTORED = "https://lrs.example/verbs/mentored"
VERBS = (LED, DISCUSSED, STUDIED, PONDERED, WONDERED, MENTORED)
EARLY = "https://lrs.example/cohorts/early"  # known before its statements arrive
LATE = "https://lrs.example/cohorts/late"  # made known after
PROGRAMME = "https://lrs.example/programmes/p"  # made known after, named by every statement of the two cohorts
UNKNOWN = "https://lrs.example/cohorts/never-enrolled"
COHORTS = (EARLY, LATE, PROGRAMME)
LEARNERS = [f"mailto:learner{n}@la.example" for n in range(8)]
DURATIONS = (None, "PT1H", "PT0.25S", "PT1.5S", "PT45M", "PT2H30M", "P1D", "PT0.01S")
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


def _where(rng: random.Random, cohort: str) -> dict[str, Any]:
    """The statement's object and context, with ``cohort`` in one of the places a summary's scope looks."""
    place = rng.choice(("object", "grouping", "grouping", "parent", "category", "other", "sub", "none"))
    obj: dict[str, Any] = {"id": f"https://lrs.example/activities/{rng.randrange(7)}"}
    context: dict[str, Any] = {"contextActivities": {}}
    if place == "object":
        obj = {"id": cohort}
    elif place in ("grouping", "parent", "category", "other"):
        context["contextActivities"][place] = [{"id": cohort}]
        if place == "grouping":
            context["contextActivities"]["grouping"].append({"id": PROGRAMME})
    elif place == "sub":
        obj = {
            "objectType": "SubStatement",
            "actor": {"mbox": rng.choice(LEARNERS)},
            "verb": {"id": STUDIED},
            "object": {"id": "https://lrs.example/activities/sub"},
            "context": {"contextActivities": {"parent": [{"id": cohort}]}},
        }
    return {"object": obj, "context": context}


def _statement(rng: random.Random, n: int) -> dict[str, Any]:
    verb = rng.choice(VERBS)
    actor: dict[str, Any] = {"mbox": rng.choice(LEARNERS)}
    if n % 13 == 0:  # an identified group and two members: three direct agents
        actor = {"objectType": "Group", "mbox": "mailto:set@la.example",
                 "member": [{"mbox": m} for m in rng.sample(LEARNERS, 2)]}
    elif n % 19 == 0:  # an anonymous group: its members only
        actor = {"objectType": "Group", "member": [{"mbox": m} for m in rng.sample(LEARNERS, 3)]}
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "actor": actor, "verb": {"id": verb}}
    body.update(_where(rng, rng.choice((EARLY, LATE, LATE, UNKNOWN))))
    if verb == MENTORED and body["object"].get("objectType") != "SubStatement":
        body["object"] = {"objectType": "Agent", "mbox": rng.choice(LEARNERS)}
    if n % 11 == 0:
        body["timestamp"] = EDGES[n % len(EDGES)]
    else:
        instant = datetime(2024, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
        body["timestamp"] = instant.astimezone(timezone(timedelta(hours=rng.choice((-5, 0, 0, 1, 9))))).isoformat()
    duration = rng.choice(DURATIONS)
    if duration:
        body["result"] = {"duration": duration}
    return body


def _voiding(target: str) -> dict[str, Any]:
    return {
        "actor": {"mbox": LEARNERS[0]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }


def _enrol(lrs: LRS, cohort: str, agents: list[str]) -> None:
    def work(conn: Any) -> None:
        for agent in agents:
            enrolment_store.enrol(conn, cohort, agent, enrolled_by="test")

    lrs.db.write(work)


@pytest.fixture
def record(lrs: LRS) -> None:
    rng = random.Random(18)
    principal = lrs.operator_principal()
    keys = [f"mbox:{m}" for m in LEARNERS]
    _enrol(lrs, EARLY, keys[:5])
    statements = [_statement(rng, n) for n in range(300)]
    for start, size in ((0, 1), (1, 1), (2, 40), (42, 100), (142, 1), (143, 157)):
        lrs.store_statements(statements[start : start + size], principal, "1.0.3")
    lrs.store_statements([*statements[40:45], _statement(rng, 1000)], principal, "1.0.3")
    lrs.store_statements(_voiding(statements[3]["id"]), principal, "1.0.3")
    lrs.store_statements([_voiding(statements[s]["id"]) for s in (5, 17, 34, 88, 3, 130)], principal, "1.0.3")
    fresh = _statement(rng, 2000)
    lrs.store_statements([fresh, _voiding(fresh["id"])], principal, "1.0.3")
    # Made known after their statements: counted when the first learner is enrolled.
    _enrol(lrs, LATE, [*keys[3:], "mbox:mailto:set@la.example"])
    _enrol(lrs, PROGRAMME, keys[::2])
    # More statements once every cohort is known.
    lrs.store_statements([_statement(rng, 3000 + n) for n in range(60)], principal, "1.0.3")
    lrs.store_statements(_statement(rng, 4000), principal, "1.0.3")


RANGES = [
    (None, None),
    (date(2025, 1, 15), date(2025, 2, 28)),
    (date(2025, 2, 1), None),
    (None, date(2025, 1, 31)),
    (date(2025, 1, 1), date(2025, 1, 1)),
    (date(2025, 7, 1), date(2025, 12, 31)),
    (date(2025, 1, 15), date(2025, 3, 10)),  # edge days at both ends, a whole month between
    (date(2025, 2, 3), date(2025, 2, 20)),  # days within one month
    (None, date(2025, 2, 14)),
    (date(2025, 1, 20), None),  # an open end from mid-month (a year to now)
]


def _from_statements(lrs: LRS, monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The answer of the path every unknown activity takes: the statements added up."""
    with monkeypatch.context() as patch:
        patch.setattr(cohort_totals, "is_known", lambda conn, activity: False)
        return summary.cohort_summary(lrs, *args, **kwargs)


def _fold(lrs: LRS) -> int:
    """SQLite: the recent rows added to the three tables (what the write path does at FOLD_ROWS); the rows folded."""
    return lrs.db.write(cohort_totals.fold)


def _recent(lrs: LRS) -> list[tuple[Any, ...]]:
    with lrs.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(RECENT))]


def _check_summaries(lrs: LRS, monkeypatch: pytest.MonkeyPatch, *, thorough: bool = True) -> None:
    """Every summary is the statements' answer with the recent rows as they are (SQLite: not folded yet, some of
    them negative where statements were voided) and again once they are folded; folded, the three tables hold
    exactly the rows the days give, and none is left without a statement."""
    _check_answers(lrs, monkeypatch, thorough=thorough)
    folded = _fold(lrs)
    assert _recent(lrs) == []
    with lrs.db.read() as conn:
        assert all(cohort_totals.is_known(conn, c) for c in COHORTS)
        assert not cohort_totals.is_known(conn, UNKNOWN)
        # One agent's days are in cohort_member_totals only; cohort_totals has the sets' and no agent's.
        assert not _agents_days(conn)
        # cohort_month_totals: the days added up per month and over all time, exactly.
        assert _months(conn) == _months_of(_table(conn))
        # cohort_member_totals: every set's days, months and whole records under each of its members, and each
        # agent's own days (their months and whole records are read from cohort_month_totals).
        assert _members(conn) == _members_of(_table(conn))
        for table in (CT, CM, CMT):
            assert not conn.execute(select(table).where(table.c.statements <= 0)).first(), table.name
    if folded:
        _check_answers(lrs, monkeypatch, thorough=thorough)


def _check_answers(lrs: LRS, monkeypatch: pytest.MonkeyPatch, *, thorough: bool) -> None:
    queries = [
        summary.SummaryQuery(first, last, period, dict(summary.DEFAULT_TARGET), basis)
        for first, last in (RANGES if thorough else RANGES[:2])
        for period in (None, "month", "quarter", "year")
        for basis in ("time", "statements")
    ]
    queries.append(summary.parse_query(target="60/30/10", basis="statements", period="month"))
    for cohort in COHORTS:
        for query in queries:
            for enrolled_only in (False, True):
                for learners in (True, False):
                    kept = summary.cohort_summary(lrs, cohort, query, learners=learners, enrolled_only=enrolled_only)
                    counted = _from_statements(lrs, monkeypatch, cohort, query, learners=learners,
                                               enrolled_only=enrolled_only)
                    assert kept == counted, (cohort, query, enrolled_only, learners)


def _table(conn: Any) -> list[tuple[Any, ...]]:
    """Every key's days, wherever the revision keeps them: the rows of cohort_totals and (since migration 0026)
    one agent's own days in cohort_member_totals, which since 0030 are there only."""
    from sqlalchemy import inspect

    days = {
        (r.activity_iri, r.agents, r.day, r.mode, r.verb_iri): (r.statements, round(r.seconds, 6), r.timed)
        for r in conn.execute(select(CT))
    }
    if "cohort_member_totals" in inspect(conn).get_table_names():
        for r in conn.execute(select(CMT).where(CMT.c.grain == "d", CMT.c.agents == "")):
            days.setdefault((r.activity_iri, r.agent_key, r.period, r.mode, r.verb_iri),
                            (r.statements, round(r.seconds, 6), r.timed))
    return sorted((*key, *sums) for key, sums in days.items())


def _agents_days(conn: Any) -> list[tuple[Any, ...]]:
    """The rows of cohort_totals under one agent's key (none since migration 0030)."""
    return [r for r in conn.execute(select(CT)) if r.agents and not r.agents.startswith(cohort_totals.SET_PREFIX)]


def _months(conn: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r.activity_iri, r.agents, r.month, r.mode, r.verb_iri, r.statements, round(r.seconds, 6), r.timed)
        for r in conn.execute(select(CM))
    )


def _months_of(days: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """What cohort_month_totals must hold for these rows of cohort_totals (as :func:`_table` gives them)."""
    out: dict[tuple[str, ...], list[Any]] = {}
    for activity, agents, day, mode, verb, n, seconds, timed in days:
        for month in (day[:7], cohort_totals.ALL_TIME):
            found = out.setdefault((activity, agents, month, mode, verb), [0, 0.0, 0])
            found[0] += n
            found[1] += seconds
            found[2] += timed
    return sorted((*key, n, round(seconds, 6), timed) for key, (n, seconds, timed) in out.items())


def _members(conn: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (r.activity_iri, r.agent_key, r.grain, r.period, r.mode, r.verb_iri, r.agents, r.statements,
         round(r.seconds, 6), r.timed)
        for r in conn.execute(select(CMT))
    )


def _members_of(days: list[tuple[Any, ...]], *, own_months: bool = False) -> list[tuple[Any, ...]]:
    """What cohort_member_totals must hold for these rows of cohort_totals (as :func:`_table` gives them): the
    sets' rows under each member by day, month and all time, each agent's own by day, and with ``own_months``
    (as migration 0026 made it) each agent's own months and whole records too."""
    out: dict[tuple[str, ...], list[Any]] = {}
    for activity, agents, day, mode, verb, n, seconds, timed in days:
        tag = agents if agents.startswith(cohort_totals.SET_PREFIX) else ""
        grains = (("d", day), ("m", day[:7]), ("a", "")) if tag or own_months else (("d", day),)
        for member in cohort_totals.members(agents):
            for grain, period in grains:
                found = out.setdefault((activity, member, grain, period, mode, verb, tag), [0, 0.0, 0])
                found[0] += n
                found[1] += seconds
                found[2] += timed
    return sorted((*key, n, round(seconds, 6), timed) for key, (n, seconds, timed) in out.items())


def _sets(conn: Any) -> set[tuple[str, str]]:
    return {(r.agent_key, r.agents) for r in conn.execute(select(CS))}


def _check_rebuild_gives_the_same(lrs: LRS) -> None:
    _fold(lrs)
    with lrs.db.read() as conn:
        kept, sets, months, of_members = _table(conn), _sets(conn), _months(conn), _members(conn)
    lrs.db.write(cohort_totals.rebuild)
    with lrs.db.read() as conn:
        assert _table(conn) == kept
        assert _months(conn) == months
        assert _members(conn) == of_members
        # The sets of rows still counted are all there (sets of statements since voided may stay behind).
        assert {(a, s) for a, s in sets if any(row[1] == s for row in kept)} <= _sets(conn)


def test_the_record_is_varied(lrs: LRS, record: None) -> None:
    _fold(lrs)
    with lrs.db.read() as conn:
        rows = _table(conn)
    assert {row[0] for row in rows} == set(COHORTS)
    agents = {row[1] for row in rows}
    assert any(a.startswith(cohort_totals.SET_PREFIX) and len(cohort_totals.members(a)) >= 3 for a in agents)
    assert any(a.startswith(cohort_totals.SET_PREFIX) and len(cohort_totals.members(a)) == 2 for a in agents)
    assert {row[3] for row in rows} >= {"", "on-the-job", "social", "formal"}


def test_known_cohort_summaries_are_what_the_statements_give(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _check_summaries(lrs, monkeypatch)
    _check_rebuild_gives_the_same(lrs)


def test_an_unknown_activity_is_summarised_from_the_statements(lrs: LRS, record: None) -> None:
    query = summary.parse_query(period="month")
    data = summary.cohort_summary(lrs, UNKNOWN, query)
    assert data["learner_count"] > 0 and data["totals"]["statements"] > 0
    with lrs.db.read() as conn:
        assert not conn.execute(select(CT).where(CT.c.activity_iri == UNKNOWN)).first()


def test_reclassifying_moves_the_totals(lrs: LRS, rules: Rules, record: None, monkeypatch) -> None:
    rules.modes[PONDERED] = "formal"
    del rules.modes[DISCUSSED]
    lrs = LRS(lrs.settings, db=lrs.db, pm=lrs.pm)  # the rules' fingerprint is read once per LRS
    assert lrs.reclassify(batch_size=37)["changed"] > 0
    _check_summaries(lrs, monkeypatch, thorough=False)
    _check_rebuild_gives_the_same(lrs)


@pytest.mark.parametrize("mode", erasure.MODES)
def test_erasure_leaves_the_totals_as_the_statements_give_them(
    lrs: LRS, record: None, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = f"mbox:{LEARNERS[3]}"
    erasure.erase(lrs, erasure.Person.of([LEARNERS[3]]), mode=mode, operator="test")
    assert _recent(lrs) == []  # folded before the erasure committed
    with lrs.db.read() as conn:
        # No row, and no set's key or member, names the erased learner any more.
        assert not [r for r in conn.execute(select(CT)) if gone in cohort_totals.members(r.agents)]
        assert not [r for r in conn.execute(select(CM)) if gone in cohort_totals.members(r.agents)]
        assert not [s for s in _sets(conn) if gone in s[0] or gone in s[1]]
    _check_summaries(lrs, monkeypatch, thorough=False)
    _check_rebuild_gives_the_same(lrs)


def test_retention_takes_deleted_statements_out(lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch) -> None:
    later = datetime.now(UTC) + timedelta(days=800)
    report = retention.apply(lrs, dry_run=False, operator="test", now=later, policy=f"{PONDERED}=1")
    assert report["statements"] > 0
    _check_summaries(lrs, monkeypatch, thorough=False)
    _check_rebuild_gives_the_same(lrs)


def test_unenrolling_every_learner_keeps_the_cohort_known(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The totals stay true while a cohort has no learner, so a learner enrolled again finds them complete."""

    def leave(conn: Any) -> None:
        for row in enrolment_store.list_enrolments(conn, LATE):
            enrolment_store.unenrol(conn, LATE, row["agent_key"])

    lrs.db.write(leave)
    lrs.store_statements([_statement(random.Random(5), 5000 + n) for n in range(30)], lrs.operator_principal(), "1.0.3")
    _enrol(lrs, LATE, [f"mbox:{LEARNERS[6]}"])
    with lrs.db.read() as conn:
        assert cohort_totals.is_known(conn, LATE)
    _check_summaries(lrs, monkeypatch, thorough=False)
    _check_rebuild_gives_the_same(lrs)


def test_the_rebuild_command_counts_cohorts_enrolled_straight_into_the_table(
    lrs: LRS, record: None, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fold(lrs)
    with lrs.db.read() as conn:
        kept, months = _table(conn), _months(conn)
    lrs.db.write(lambda conn: (conn.execute(CT.delete()), conn.execute(CM.delete()), conn.execute(KNOWN.delete())))
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    result = CliRunner().invoke(cli, ["learning-totals", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert "cohort_totals rebuilt from the statements" in result.output
    with lrs.db.read() as conn:
        assert _table(conn) == kept
        assert _months(conn) == months
    _check_summaries(lrs, monkeypatch, thorough=False)


def _downgraded(lrs: LRS, revision: str) -> Engine:
    """The store brought down to ``revision`` with the LRS's own migrations; its engine, for the upgrade after."""
    from alembic import command

    from lrs.store.migrate import alembic_config

    engine = lrs.db.engine
    lrs.db.dispose()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return engine


def test_migration_0018_counts_what_the_write_path_kept(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration, on a store at 0015 with these statements and enrolments, fills the tables set-based with the
    rows the write path kept (and every enrolled cohort known)."""
    from lrs.store.migrate import upgrade

    _fold(lrs)
    with lrs.db.read() as conn:
        kept, sets = _table(conn), _sets(conn)
    engine = _downgraded(lrs, "0017_learner_criteria")
    upgrade(engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert _table(conn) == kept
        assert {(a, s) for a, s in sets if any(row[1] == s for row in kept)} <= _sets(conn)
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_migration_0024_adds_up_the_months_the_write_path_kept(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0024, on a store at 0022 with these statements, fills cohort_month_totals set-based with the rows
    the write path kept."""
    from lrs.store.migrate import upgrade

    _fold(lrs)
    with lrs.db.read() as conn:
        months = _months(conn)
    assert {row[2] for row in months} > {cohort_totals.ALL_TIME}
    engine = _downgraded(lrs, "0023_agent_timestamps")
    upgrade(engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert _months(conn) == months
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_migration_0026_puts_the_rows_under_each_member_as_the_write_path_kept(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0026, on a store at 0024 with these statements, fills cohort_member_totals set-based with the rows
    the write path kept: a set's under each of its members, by day, month and all time."""
    from lrs.store.migrate import upgrade

    _fold(lrs)
    with lrs.db.read() as conn:
        of_members = _members(conn)
    assert {row[2] for row in of_members} == {"d", "m", "a"}
    assert any(row[6] and row[1] in cohort_totals.members(row[6]) for row in of_members)
    engine = _downgraded(lrs, "0025_learner_month_totals")
    upgrade(engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert _members(conn) == of_members
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_migration_0028_takes_the_agents_own_rows_out_of_the_member_totals(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downgraded to 0027, cohort_member_totals holds each agent's own months and whole records again (the layout
    0026 made); migration 0028 deletes exactly those, and every summary gives the statements' answer after."""
    from lrs.store.migrate import upgrade

    _fold(lrs)
    with lrs.db.read() as conn:
        days, kept = _table(conn), _members(conn)
    assert {row[2] for row in kept if not row[6]} == {"d"}
    assert {row[2] for row in kept if row[6]} == {"d", "m", "a"}
    engine = _downgraded(lrs, "0027_learner_answers")
    with lrs.db.read() as conn:
        downgraded = _members(conn)
    assert downgraded == _members_of(days, own_months=True)
    assert {row[2] for row in downgraded if not row[6]} == {"d", "m", "a"}
    upgrade(engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert _members(conn) == kept
    _check_summaries(lrs, monkeypatch, thorough=False)


@pytest.fixture
def small_folds(monkeypatch: pytest.MonkeyPatch) -> int:
    """The write path folds the recent rows once they are 40 (FOLD_ROWS is 10,000), and looks at every batch
    (FOLD_CHECK_STATEMENTS is 1,000): for the record below."""
    monkeypatch.setattr(cohort_totals, "FOLD_ROWS", 40)
    monkeypatch.setattr(cohort_totals, "FOLD_CHECK_STATEMENTS", 1)
    return 40


def test_the_write_path_folds_the_recent_rows_once_there_are_enough(
    lrs: LRS, small_folds: int, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a batch's rows are appended to cohort_recent_totals, and once it holds FOLD_ROWS the writer adds
    them to the three tables and empties it; the summaries are the statements' answer either way. PostgreSQL
    writes the three tables directly."""
    recent = _recent(lrs)
    with lrs.db.read() as conn:
        folded_days = conn.execute(select(CT)).all()
    if lrs.db.dialect == "sqlite":
        # Never many more than FOLD_ROWS: the last batches (60 statements and one, each naming up to two known
        # cohorts) may have gone past it; the write after folds them.
        assert len(recent) < small_folds + 2 * 60
    else:
        assert recent == []
    # EARLY was known before its statements arrived: its rows reach cohort_totals only by way of a fold on SQLite
    # (LATE and the programme were counted straight into it when they became known).
    assert any(row.activity_iri == EARLY for row in folded_days)
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_migration_0029_folds_the_recent_rows_before_dropping_their_table(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downgraded to 0028, the three tables hold every row (the recent ones folded in), exactly what a rebuild
    from the statements gives; upgraded again, the summaries are the statements' answer."""
    from sqlalchemy import inspect

    from lrs.store.migrate import upgrade

    assert bool(_recent(lrs)) == (lrs.db.dialect == "sqlite")  # the record's rows wait there (FOLD_ROWS: 10,000)
    engine = _downgraded(lrs, "0028_member_totals_of_sets")
    with engine.connect() as conn:
        assert "cohort_recent_totals" not in inspect(conn).get_table_names()
        downgraded = (_table(conn), _months(conn), _members(conn))
    upgrade(engine)
    lrs.db.dispose()
    assert _recent(lrs) == []
    lrs.db.write(cohort_totals.rebuild)
    with lrs.db.read() as conn:
        assert (_table(conn), _months(conn), _members(conn)) == downgraded
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_the_write_path_looks_at_the_waiting_rows_each_time_its_statements_pass_a_multiple(
    lrs: LRS, rules: Rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the rows are counted (and folded when there are FOLD_ROWS) only by a write whose statements pass a
    multiple of FOLD_CHECK_STATEMENTS, so most batches skip the count; a reclassification, which stores no
    statement, counts them after each of its batches."""
    if lrs.db.dialect != "sqlite":
        pytest.skip("PostgreSQL writes the three tables directly")
    monkeypatch.setattr(cohort_totals, "FOLD_ROWS", 5)
    monkeypatch.setattr(cohort_totals, "FOLD_CHECK_STATEMENTS", 10)
    principal = lrs.operator_principal()
    for cohort in COHORTS:
        _enrol(lrs, cohort, [f"mbox:{m}" for m in LEARNERS])

    def one(n: int) -> dict[str, Any]:  # one row waiting for each: EARLY as the object, a day of its own
        return {"actor": {"mbox": LEARNERS[n % len(LEARNERS)]}, "verb": {"id": LED}, "object": {"id": EARLY},
                "timestamp": f"2025-03-{n % 28 + 1:02d}T10:00:00Z"}

    def last_seq() -> int:
        with lrs.db.read() as conn:
            return int(conn.exec_driver_sql("SELECT max(seq) FROM statements").scalar())

    waiting = []
    for n in range(23):
        lrs.store_statements(one(n), principal, "1.0.3")
        waiting.append((last_seq(), len(_recent(lrs))))
    folded_at = [seq for seq, held in waiting if held == 0]
    assert folded_at and all(seq % 10 == 0 for seq in folded_at)
    # Between two multiples the rows gather past FOLD_ROWS: nothing counted them.
    assert max(held for _, held in waiting) >= 9
    # A batch of 25 passes two multiples: it folds (its own rows included).
    lrs.store_statements([one(100 + n) for n in range(25)], principal, "1.0.3")
    assert _recent(lrs) == []
    _check_summaries(lrs, monkeypatch, thorough=False)
    # Reclassifying moves every LED statement (all of them): their rows are taken out and put back, then folded.
    lrs.store_statements([one(200 + n) for n in range(3)], principal, "1.0.3")
    assert 0 < len(_recent(lrs)) < 5
    rules.modes[LED] = "social"
    lrs = LRS(lrs.settings, db=lrs.db, pm=lrs.pm)  # the rules' fingerprint is read once per LRS
    assert lrs.reclassify(batch_size=1000)["changed"] > 0
    assert _recent(lrs) == []
    _check_summaries(lrs, monkeypatch, thorough=False)


def test_migration_0030_takes_one_agents_days_out_of_cohort_totals(
    lrs: LRS, record: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downgraded to 0029, cohort_totals holds one agent's days again beside their own days in
    cohort_member_totals (the rows waiting on SQLite folded first); migration 0030 deletes exactly those, and every
    summary gives the statements' answer after."""
    from lrs.store.migrate import upgrade

    assert bool(_recent(lrs)) == (lrs.db.dialect == "sqlite")  # the record's rows wait there (FOLD_ROWS: 10,000)
    engine = _downgraded(lrs, "0029_cohort_recent_totals")
    with engine.connect() as conn:
        assert not conn.execute(select(RECENT)).all()
        days, downgraded = _table(conn), _agents_days(conn)
        own = sorted((r.activity_iri, r.agent_key, r.period, r.mode, r.verb_iri, r.statements, round(r.seconds, 6),
                      r.timed) for r in conn.execute(select(CMT).where(CMT.c.grain == "d", CMT.c.agents == "")))
    assert own and sorted((r.activity_iri, r.agents, r.day, r.mode, r.verb_iri, r.statements, round(r.seconds, 6),
                           r.timed) for r in downgraded) == own
    upgrade(engine)
    lrs.db.dispose()
    with lrs.db.read() as conn:
        assert not _agents_days(conn)
        assert _table(conn) == days
    _check_summaries(lrs, monkeypatch)
