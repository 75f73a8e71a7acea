"""Query filters and StatementRefs, answered from index rows copied at insert time (docs/performance.md).

xAPI: a filter on agent, verb, activity or registration also matches a statement whose StatementRef target
matches it. The store copies the target's index rows onto the referring statement, whichever of the two is
stored second, and checks a pending statement's target directly. These tests hold that to the rule as a
query over the target would answer it, on both databases, whatever order the statements arrive in.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from conftest import statement
from sqlalchemy import and_, exists, insert, or_, select, text

from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store import statements as statement_store
from lrs.store.migrate import upgrade
from lrs.store.models import PendingStatementRef, Statement, StatementActivity, StatementAgent
from lrs.xapi.ifi import agent_key
from lrs.xapi.query import StatementQuery

S = Statement.__table__
SA = StatementAgent.__table__
SACT = StatementActivity.__table__

COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
JO, SAM, COACH = "mailto:jo@la.example", "mailto:sam@la.example", "mailto:coach@la.example"
COURSE = "https://lrs.example/activities/elearning-1"
JO_KEY, SAM_KEY, COACH_KEY = (agent_key({"mbox": m}) for m in (JO, SAM, COACH))
PROGRAMME = "https://lrs.example/programmes/plp-2026"


def store(lrs: LRS, statements: Any) -> list[str]:
    return lrs.store_statements(statements, lrs.operator_principal(), "1.0.3")


def ids_of(lrs: LRS, limit: int = 1000, **filters: Any) -> list[str]:
    """Every statement a query returns, following ``more`` pages of ``limit``."""
    q = StatementQuery(limit=limit, **filters)
    out: list[str] = []
    while True:
        with lrs.db.read() as conn:
            page = statement_store.query_page(conn, q)
        out += [s["id"] for s in page.statements]
        if page.more_after is None:
            return out
        q.after_seq = page.more_after


def completed_by_sam(registration: str | None = None, **overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"instructor": {"mbox": COACH}, "contextActivities": {"parent": [{"id": PROGRAMME}]}}
    if registration:
        context["registration"] = registration
    return statement(
        id=str(uuid.uuid4()), actor={"mbox": SAM}, verb={"id": COMPLETED}, object={"id": COURSE}, context=context,
        **overrides,
    )


def comment_on(target: str, actor: str = JO) -> dict[str, Any]:
    return statement(
        id=str(uuid.uuid4()), actor={"mbox": actor}, verb={"id": COMMENTED},
        object={"objectType": "StatementRef", "id": target},
    )


def every_filter(registration: str) -> list[dict[str, Any]]:
    """Filters Sam's completion matches and Jo's comment does not match by itself."""
    return [
        {"agent": SAM_KEY},
        {"agent": COACH_KEY, "related_agents": True},
        {"verb": COMPLETED},
        {"activity": COURSE},
        {"activity": PROGRAMME, "related_activities": True},
        {"registration": registration},
        {"agent": SAM_KEY, "verb": COMPLETED, "activity": COURSE, "registration": registration},
    ]




@pytest.mark.parametrize("order", ["target_first", "referrer_first", "same_batch", "same_batch_referrer_first"])
def test_a_filter_matches_a_statement_whose_target_matches(lrs_instance, order):
    lrs = lrs_instance
    registration = str(uuid.uuid4())
    target = completed_by_sam(registration)
    comment = comment_on(target["id"])
    if order == "target_first":
        store(lrs, target)
        store(lrs, comment)
    elif order == "referrer_first":
        store(lrs, comment)
        assert ids_of(lrs, verb=COMPLETED) == []
        store(lrs, target)
    elif order == "same_batch":
        store(lrs, [target, comment])
    else:
        store(lrs, [comment, target])
    for filters in every_filter(registration):
        assert set(ids_of(lrs, **filters)) == {target["id"], comment["id"]}, filters
    # The comment's own properties still match it alone.
    assert ids_of(lrs, verb=COMMENTED) == [comment["id"]]
    with lrs.db.read() as conn:
        assert conn.execute(select(PendingStatementRef.__table__)).all() == []


def test_a_target_resent_in_the_referrers_batch_gives_its_stored_keys(lrs_instance):
    lrs = lrs_instance
    target = completed_by_sam()
    store(lrs, target)
    comment = comment_on(target["id"])
    store(lrs, [target, comment])  # the target again (a no-op) and the comment
    assert set(ids_of(lrs, agent=SAM_KEY)) == {target["id"], comment["id"]}


def test_filters_are_met_by_one_statement_not_split_between_referrer_and_target(lrs_instance):
    lrs = lrs_instance
    target = completed_by_sam()
    comment = comment_on(target["id"], actor=JO)
    store(lrs, [target, comment])
    # Jo made the comment; Sam's statement is the completion. Jo + completed matches neither statement.
    assert ids_of(lrs, agent=JO_KEY, verb=COMPLETED) == []
    assert ids_of(lrs, agent=JO_KEY, verb=COMMENTED) == [comment["id"]]


def test_a_statement_referring_to_a_voided_target_still_matches_through_it(lrs_instance):
    lrs = lrs_instance
    target = completed_by_sam()
    comment = comment_on(target["id"])
    store(lrs, [target, comment])
    voider = statement(id=str(uuid.uuid4()), verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target["id"]})
    store(lrs, voider)
    # The voided target leaves results; the comment and the voiding statement both target a match.
    assert set(ids_of(lrs, agent=SAM_KEY)) == {comment["id"], voider["id"]}


def test_a_referrer_whose_target_never_arrives_matches_nothing_through_it(lrs_instance):
    lrs = lrs_instance
    comment = comment_on(str(uuid.uuid4()))
    store(lrs, comment)
    assert ids_of(lrs, verb=COMPLETED) == []
    assert ids_of(lrs, agent=JO_KEY) == [comment["id"]]


def test_a_pending_referrer_whose_target_came_in_a_concurrent_transaction_still_matches(lrs_instance):
    """PostgreSQL: two transactions that cannot see each other store a target and its referrer; neither
    copies the index rows. The pending row stays, and the query checks that target directly."""
    lrs = lrs_instance
    target = completed_by_sam()
    comment = comment_on(target["id"])
    store(lrs, comment)
    store(lrs, target)
    with lrs.db.read() as conn:
        comment_seq = conn.execute(select(S.c.seq).where(S.c.id == comment["id"])).scalar_one()

    def forget_resolution(conn) -> None:  # noqa: ANN001
        # What the race leaves: no copied rows, the referrer still pending.
        for table in ("statement_ref_agents", "statement_ref_activities"):
            conn.execute(text(f"DELETE FROM {table} WHERE statement_seq = :s"), {"s": comment_seq})
        conn.execute(text("UPDATE statements SET ref_verb_iri = NULL, ref_registration = NULL WHERE seq = :s"),
                     {"s": comment_seq})
        conn.execute(insert(PendingStatementRef.__table__).values(statement_seq=comment_seq, target_id=target["id"]))

    lrs.db.write(forget_resolution)
    for filters in every_filter("00000000-0000-4000-8000-000000000000")[:-2]:
        assert set(ids_of(lrs, **filters)) == {target["id"], comment["id"]}, filters


def test_paging_through_direct_and_referring_matches_gives_each_once_in_order(lrs_instance):
    lrs = lrs_instance
    sent: list[str] = []
    for _ in range(4):
        target = completed_by_sam()
        sent += store(lrs, [target, comment_on(target["id"]), comment_on(target["id"], actor=SAM)])
    newest_first = list(reversed(sent))
    assert ids_of(lrs, limit=2, agent=SAM_KEY) == newest_first
    assert ids_of(lrs, limit=5, agent=SAM_KEY, ascending=True) == sent
    assert ids_of(lrs, limit=3, verb=COMPLETED) == newest_first


# --- the same answers as the rule evaluated over the target, on a random store ---------------------------


def rule_query(conn, q: StatementQuery) -> list[str]:  # noqa: ANN001
    """Every statement matching ``q`` by the rule itself: its own index rows, or those of its target."""

    def own(table):  # noqa: ANN001, ANN202
        conds = []
        if q.verb:
            conds.append(table.c.verb_iri == q.verb)
        if q.registration:
            conds.append(table.c.registration == q.registration)
        if q.agent:
            cond = and_(SA.c.statement_seq == table.c.seq, SA.c.agent_key == q.agent)
            conds.append(exists().where(cond if q.related_agents else and_(cond, SA.c.direct.is_(True))))
        if q.activity:
            cond = and_(SACT.c.statement_seq == table.c.seq, SACT.c.activity_iri == q.activity)
            conds.append(exists().where(cond if q.related_activities else and_(cond, SACT.c.direct.is_(True))))
        return conds

    target = S.alias("target")
    conds = [S.c.voided.is_(False)]
    if own(S):
        conds.append(or_(and_(*own(S)), S.c.object_statement_id.in_(select(target.c.id).where(*own(target)))))
    order = S.c.seq.asc() if q.ascending else S.c.seq.desc()
    rows = conn.execute(select(S.c.payload).where(*conds).order_by(order))
    return [r.payload["id"] for r in rows]


def random_store(lrs: LRS, rng: random.Random) -> dict[str, list[str]]:
    agents = [f"mailto:p{k}@la.example" for k in range(5)]
    verbs = [COMPLETED, ATTENDED, COMMENTED]
    activities = [f"https://lrs.example/activities/a{k}" for k in range(4)]
    registrations = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
    planned = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(60)]
    statements = []
    for k, sid in enumerate(planned):
        context: dict[str, Any] = {"contextActivities": {"grouping": [{"id": rng.choice(activities)}]}}
        if rng.random() < 0.6:
            context["registration"] = rng.choice(registrations)
        if rng.random() < 0.4:
            context["instructor"] = {"mbox": rng.choice(agents)}
        roll = rng.random()
        if roll < 0.35:
            # A StatementRef to an earlier, a later, the same batch's or a never-stored statement.
            ref = rng.choice(planned) if rng.random() < 0.85 else str(uuid.UUID(int=rng.getrandbits(128), version=4))
            obj: dict[str, Any] = {"objectType": "StatementRef", "id": ref}
        elif roll < 0.45:
            obj = {"objectType": "Group", "member": [{"mbox": m} for m in rng.sample(agents, 2)]}
        else:
            obj = {"id": rng.choice(activities)}
        verb = rng.choice(verbs)
        if obj.get("objectType") == "StatementRef" and rng.random() < 0.15 and k > 0:
            verb, obj = VOIDED, {"objectType": "StatementRef", "id": planned[rng.randrange(k)]}
        if verb == VOIDED:
            context = {}
        statements.append(
            statement(id=sid, actor={"mbox": rng.choice(agents)}, verb={"id": verb}, object=obj, context=context)
        )
    k = 0
    while k < len(statements):
        size = rng.choice([1, 1, 2, 5, 9])
        store(lrs, statements[k : k + size])
        k += size
    return {"agents": agents, "verbs": verbs, "activities": activities, "registrations": registrations}


def test_every_query_agrees_with_the_rule_on_a_random_store(lrs_instance):
    lrs = lrs_instance
    rng = random.Random(7)
    universe = random_store(lrs, rng)
    checked = 0
    for _ in range(120):
        filters: dict[str, Any] = {}
        if rng.random() < 0.5:
            filters["agent"] = agent_key({"mbox": rng.choice(universe["agents"])})
            filters["related_agents"] = rng.random() < 0.5
        if rng.random() < 0.4:
            filters["verb"] = rng.choice(universe["verbs"])
        if rng.random() < 0.4:
            filters["activity"] = rng.choice(universe["activities"])
            filters["related_activities"] = rng.random() < 0.5
        if rng.random() < 0.3:
            filters["registration"] = rng.choice(universe["registrations"])
        filters["ascending"] = rng.random() < 0.3
        with lrs.db.read() as conn:
            expected = rule_query(conn, StatementQuery(limit=1000, **filters))
        assert ids_of(lrs, limit=rng.choice([1, 3, 50]), **filters) == expected, filters
        checked += bool(expected)
    assert checked > 40  # the filters found something often enough to mean something


# --- the migration builds the same rows for a store that predates it ---------------------------------------


def test_migration_0005_copies_targets_rows_for_statements_stored_before_it(empty_database_url, lrs_instance):
    """Statements stored at revision 0004, then the upgrade: the copied rows equal what inserts make now."""
    from lrs.store.db import Database

    db = Database(empty_database_url)
    upgrade(db.engine, "0004")
    lrs = lrs_instance
    target = completed_by_sam(str(uuid.uuid4()))
    early = comment_on(target["id"])
    late = comment_on(target["id"], actor=SAM)
    orphan = comment_on(str(uuid.uuid4()))
    store(lrs, [early, target, late, orphan])

    def copy(conn) -> None:  # noqa: ANN001
        # The rows of the current store, minus what 0005 (and 0023: the agent rows' timestamp) adds, into the
        # 0004 store.
        with lrs.db.read() as src:
            for table in (S, SA, SACT):
                rows = [dict(r._mapping) for r in src.execute(select(table))]
                for row in rows:
                    row.pop("ref_verb_iri", None)
                    row.pop("ref_registration", None)
                    if table is SA:
                        row.pop("timestamp")
                conn.execute(insert(table), rows)

    db.write(copy)
    upgrade(db.engine)
    migrated = LRS(Settings(database_url=empty_database_url), db=db)
    for filters in every_filter(target["context"]["registration"]):
        assert set(ids_of(migrated, **filters)) == {target["id"], early["id"], late["id"]}, filters
    with db.read() as conn:
        pending = conn.execute(select(PendingStatementRef.__table__.c.target_id)).scalars().all()
    assert pending == [orphan["object"]["id"]]
    db.dispose()



def test_rebuilding_the_copied_rows_gives_what_the_inserts_made(lrs_instance):
    from lrs.store.models import StatementRefActivity, StatementRefAgent

    lrs = lrs_instance
    random_store(lrs, random.Random(11))
    tables = (StatementRefAgent.__table__, StatementRefActivity.__table__, PendingStatementRef.__table__)

    def snapshot() -> list[Any]:
        with lrs.db.read() as conn:
            refs = conn.execute(select(S.c.seq, S.c.ref_verb_iri, S.c.ref_registration).order_by(S.c.seq)).all()
            return [refs, *(sorted(conn.execute(select(t)).all()) for t in tables)]

    incremental = snapshot()
    assert incremental[1] and incremental[3]  # copied rows and pending referrers both occur
    lrs.db.write(statement_store.rebuild_statement_refs)
    assert snapshot() == incremental
