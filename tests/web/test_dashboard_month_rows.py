"""The lead's dashboard reads each learner's whole record and the cohort's months from ``learning_month_totals``
(issues 18 and 23). Its page, its CSV and ``GET /api/cohorts/dashboard`` must be the same bytes as when the same
figures are added up from the learners' days in ``learning_totals`` (as the dashboard did before): a varied
cohort (every mode, unclassified verbs, durations with fractions and none, two years with gaps, month edges
reached through time-zone offsets, group actors, statements voided, a learner with nothing and one without an
account), both databases."""

from __future__ import annotations

import base64
import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from conftest import make_credential
from sqlalchemy import Connection, case, func, select

from lrs.learning.vocabulary import EXT_LEARNING_MODE
from lrs.store import dashboard as dashboard_store
from lrs.store import learning as learning_store
from lrs.store.enrolments import CE, LEARNER, enrol
from lrs.store.learning import T, _mode_totals, _totals_columns, _totals_month

from .conftest import make_user
from .test_sessions import sign_in

COHORT = "https://centre.example/cohorts/ilm5-2026-north"
OTHER = "https://centre.example/cohorts/ilm5-2026-south"
LEARNERS = [f"mailto:learner{n}@la.example" for n in range(9)]
NAMES = {0: "Zoë Ápple", 1: "amy Brown", 2: "Kim Lee", 3: "=Formula", 5: "Ola Nowak", 6: "Bo Zhang", 8: "Ed"}
MODES = ("on-the-job", "social", "formal", None, None)
VERBS = ("https://lrs.example/verbs/pondered", "https://lrs.example/verbs/wondered", "http://adlnet.gov/expapi/verbs/attended")
DURATIONS = (None, "PT1H", "PT0.25S", "PT1.5S", "PT45M", "PT2H30M", "PT0.01S", "PT0.333S")


def _statement(rng: random.Random, n: int, now: datetime) -> dict[str, Any]:
    actor: dict[str, Any] = {"mbox": rng.choice(LEARNERS[:8])}  # learner 8 records nothing
    if n % 19 == 0:
        actor = {"objectType": "Group", "name": "Set", "mbox": "mailto:set@la.example",
                 "member": [{"mbox": m} for m in rng.sample(LEARNERS[:8], 2)]}
    # Learner 7's latest is long ago (at risk); the rest over two years with a gap, offsets across day edges.
    back = timedelta(minutes=rng.randrange(0, 730 * 24 * 60))
    if actor.get("mbox") == LEARNERS[7]:
        back += timedelta(days=400)
    elif timedelta(days=200) < back < timedelta(days=290):
        back += timedelta(days=120)
    when = (now - back).astimezone(timezone(timedelta(hours=rng.choice((-5, 0, 0, 1, 9)))))
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": rng.choice(VERBS)},
        "object": {"id": f"https://lrs.example/activities/{n % 5}"},
        "timestamp": when.isoformat(),
    }
    mode = rng.choice(MODES)
    if mode:
        body["context"] = {"extensions": {EXT_LEARNING_MODE: mode}}
    duration = rng.choice(DURATIONS)
    if duration:
        body["result"] = {"duration": duration}
    return body


def _from_days_learner_totals(conn: Connection, cohort: str, modes: tuple[str, ...]) -> list[Any]:
    """lrs.store.dashboard.cohort_learner_totals as it was: each learner's days in learning_totals added up."""
    from lrs.store.users import U

    names = (
        select(U.c.agent_key, func.min(U.c.name).label("name"))
        .where(U.c.disabled.is_(False), U.c.agent_key.is_not(None))
        .group_by(U.c.agent_key)
        .subquery()
    )
    enrolled = conn.execute(
        select(CE.c.agent_key, names.c.name)
        .select_from(CE.outerjoin(names, names.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER)
        .order_by(CE.c.agent_key)
    ).all()
    out = []
    for agent, name in enrolled:
        row = conn.execute(
            select(func.max(T.c.latest), func.sum(T.c.statements), func.min(T.c.day),
                   *[func.sum(case((T.c.mode == m, T.c.statements), else_=None)) for m in modes],
                   *[func.sum(case((T.c.mode == m, T.c.seconds), else_=None)) for m in modes])
            .where(T.c.agent_key == agent)
        ).one()
        if row[1] is None:
            out.append(dashboard_store.LearnerTotals(agent, name, None, 0, ((0, 0.0),) * len(modes)))
            continue
        by_mode = tuple((int(row[3 + i] or 0), float(row[3 + len(modes) + i] or 0.0)) for i in range(len(modes)))
        out.append(dashboard_store.LearnerTotals(agent, name, row[0], int(row[1]), by_mode, row[2]))
    return out


def _from_days_months(conn: Connection, cohort: str, first_day: str) -> list[Any]:
    month = _totals_month().label("month")
    query = (
        select(*_totals_columns(), month)
        .select_from(CE.join(T, T.c.agent_key == CE.c.agent_key))
        .where(CE.c.cohort == cohort, CE.c.role == LEARNER, T.c.day >= first_day)
        .group_by(T.c.mode, month)
    )
    return _mode_totals(conn.execute(query).mappings())


def _answers(lead: Any, api: Any) -> tuple[bytes, bytes, bytes]:
    page = lead.get(f"/dashboard?cohort={COHORT}")
    sheet = lead.get(f"/dashboard.csv?cohort={COHORT}")
    data = api.get(f"/api/cohorts/dashboard?cohort={quote(COHORT, safe='')}")
    assert page.status_code == sheet.status_code == data.status_code == 200
    return page.get_data(), sheet.get_data(), data.get_data()


def test_the_dashboard_from_month_rows_is_the_same_bytes_as_from_the_days(lrs_instance, app, monkeypatch):  # noqa: ANN001
    lrs = lrs_instance
    now = datetime.now(UTC)
    rng = random.Random(18)
    admin = lrs.operator_principal()
    sent = [_statement(rng, n, now) for n in range(400)]
    for start in range(0, len(sent), 90):
        lrs.store_statements(sent[start : start + 90], admin, "1.0.3")
    def void(statement_id: str) -> None:
        lrs.store_statements({"actor": {"mbox": "mailto:admin@centre.example"},
                              "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                              "object": {"objectType": "StatementRef", "id": statement_id}}, admin, "1.0.3")

    for n in (3, 50, 51, 200):  # voided later, one at a time and together
        void(sent[n]["id"])
    for n, learner in enumerate(LEARNERS):
        lrs.db.write(lambda conn, agent=f"mbox:{learner}": enrol(conn, COHORT, agent, enrolled_by="test"))
        if n in NAMES:
            make_user(lrs, f"learner{n}@la.example", name=NAMES[n], agent_key=f"mbox:{learner}")
    lrs.db.write(lambda conn: enrol(conn, COHORT, "mbox:mailto:set@la.example", enrolled_by="test"))
    lrs.db.write(lambda conn: enrol(conn, OTHER, f"mbox:{LEARNERS[0]}", enrolled_by="test"))
    make_user(lrs, "lead@centre.example", name="Lee Lead", role="lead", agent_key=None, cohorts=[COHORT])
    lead = app.test_client()
    assert sign_in(lead, "lead@centre.example").status_code == 302
    key, secret = make_credential(lrs, ["all/read"], name="Lee", role="lead", cohorts=[COHORT])
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def from_days() -> tuple[bytes, bytes, bytes]:
        monkeypatch.setattr(dashboard_store, "cohort_learner_totals", _from_days_learner_totals)
        monkeypatch.setattr(dashboard_store, "cohort_month_totals", _from_days_months)
        days = _answers(lead, api)
        monkeypatch.undo()
        return days

    def waiting() -> int:
        with lrs.db.read() as conn:
            return learning_store.months_waiting(conn)

    sqlite = lrs.db.engine.dialect.name == "sqlite"
    # SQLite: every month the batches added to waits (lrs.store.learning.fold_months); the dashboard reads
    # their days. Folded, it reads the month rows; with a few learners' months waiting again, both.
    before = waiting()
    assert (before > 20) == sqlite
    assert _answers(lead, api) == from_days()
    assert lrs.db.write(learning_store.fold_months) == before
    assert waiting() == 0
    folded = _answers(lead, api)
    assert folded == from_days()
    later = [_statement(random.Random(n), 400 + n, now) for n in range(6)]
    for n, body in enumerate(later):
        body["actor"] = {"mbox": LEARNERS[n % 2]}
    lrs.store_statements(later, admin, "1.0.3")
    assert (0 < waiting() <= 6) == sqlite
    # Voided while months wait: one in a waiting month, one in a counted month of a learner with one waiting.
    void(later[0]["id"])
    void(next(b["id"] for b in sent[60:] if b["actor"].get("mbox") == LEARNERS[1]
              and b["timestamp"][:7] not in {x["timestamp"][:7] for x in later}))
    assert (0 < waiting() <= 6) == sqlite
    months_rows = _answers(lead, api)
    days = from_days()
    assert months_rows != folded  # the later statements count

    page, sheet, data = months_rows
    assert page == days[0]
    assert sheet == days[1]
    assert data == days[2]
    answer = json.loads(data)
    # The cohort is varied enough to mean something: modes, the unclassified, at risk, months, nobody's record.
    learners = {x["agent"]: x for x in answer["learners"]}
    assert len(learners) == 10 and len(answer["periods"]) == 12
    assert learners[f"mbox:{LEARNERS[8]}"]["statements"] == 0
    assert f"mbox:{LEARNERS[7]}" in answer["at_risk"]
    assert {s for x in learners.values() for s in x["balance"].values()} > {0}
    assert "Zoë Ápple" in {x["name"] for x in learners.values()} and "'=Formula" in sheet.decode()
