"""The programme lead's dashboard data (``GET /api/cohorts/dashboard``, lrs.services.dashboard: what the page and
its CSV show) agrees, learner by learner, with what each learner's own record gives when worked out from scratch:
the whole-record summary's activities and 70/20/10 balance, the latest statement's day, the learner's progress
in the qualification, the CPD log plugin's readiness from all their statements of the year; and the cohort's
months with the cohort summary of every month. Learners with learning in several modes over more than a year
(with a gap), with unclassified statements only, with a voided statement, with evidence judged by an assessor,
and with nothing at all. Both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from conftest import make_credential

from lrs.learning import summary as learning_summary
from lrs.services import dashboard
from lrs.services.exports import learner_records

from .conftest import ILM5, JO, NORTH, SOUTH, U1, Caller, ac, enrol
from .test_cohort_progress import expected

SAM, NIA = "mailto:sam@la.example", "mailto:nia@la.example"


def _path(cohort: str) -> str:
    return f"/api/cohorts/dashboard?cohort={quote(cohort, safe='')}"


def _lms_statement(actor: str, when: str, verb: str = "http://adlnet.gov/expapi/verbs/attended") -> dict:
    return {
        "actor": {"mbox": actor},
        "verb": {"id": verb},
        "object": {"id": "https://lms.example/courses/safeguarding"},
        "timestamp": when,
    }


def _build(centre, lrs, app) -> dict[str, Caller]:  # noqa: ANN001
    jo, ann, admin = centre["jo"], centre["ann"], centre["admin"]
    flask = app.test_client()
    sam = Caller(flask, make_credential(lrs, [], name="Sam", role="participant", agent_key=f"mbox:{SAM}"), "sam")
    lead = Caller(flask, make_credential(lrs, ["all/read"], name="Lee", role="lead", cohorts=[NORTH]), "lead")
    south_lead = Caller(flask, make_credential(lrs, ["all/read"], name="Sue", role="lead", cohorts=[SOUTH]), "sue")
    enrol(lrs, NORTH, f"mbox:{SAM}")
    enrol(lrs, NORTH, f"mbox:{NIA}")  # Nia has recorded nothing
    today = date.today()
    # Jo: learning in every mode, some timed, over more than a year with a gap of months, and evidence judged.
    days = [today - timedelta(days=d) for d in (0, 40, 100, 300, 520, 700)]
    for n, (day, mode) in enumerate(zip(days, ["on-the-job", "social", "formal", "social", "on-the-job", "formal"],
                                        strict=True)):
        jo.journal(date=day.isoformat(), mode=mode, duration=f"PT{n + 1}H", what=f"Piece {n}")
    whole = jo.journal(standards=U1[:3], date=today.isoformat())
    for uri in U1[:2]:
        assert ann.decide(evidence=whole, criterion=uri, outcome="accepted").status_code == 201
    assert ann.decide(evidence=whole, criterion=U1[2], outcome="referred", feedback="More.").status_code == 201
    jo.journal(standards=[ac("U2.AC1.1")], date=(today - timedelta(days=60)).isoformat())
    # Sam: an LMS's statements, unclassified, long ago (at risk), one of them voided.
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    for verb in ("http://adlnet.gov/expapi/verbs/attended", "http://adlnet.gov/expapi/verbs/experienced"):
        assert admin.post("/xapi/statements", _lms_statement(SAM, old, verb)).status_code == 200
    later = (datetime.now(UTC) - timedelta(days=150)).isoformat()
    voided = admin.post("/xapi/statements", _lms_statement(SAM, later)).get_json()[0]
    void = {"actor": {"mbox": "mailto:admin@centre.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": voided}}
    assert admin.post("/xapi/statements", void).status_code == 200
    return {"lead": lead, "south_lead": south_lead, "sam": sam}


def _latest_day(admin: Caller, agent: str) -> str | None:
    who = quote(json.dumps({"mbox": agent}), safe="")
    found = admin.get(f"/xapi/statements?agent={who}&limit=500")
    # xAPI's agent filter also gives the statements that refer to theirs (a voiding one): those are not theirs.
    stamps = [datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")) for s in found.get_json()["statements"]
              if s["verb"]["id"] != "http://adlnet.gov/expapi/verbs/voided"]
    return max(stamps).astimezone(UTC).date().isoformat() if stamps else None


def test_the_dashboard_data_agrees_with_each_learners_own_record(centre, lrs_instance, app):  # noqa: ANN001
    people = _build(centre, lrs_instance, app)
    admin = centre["admin"]
    answer = people["lead"].get(_path(NORTH))
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert data["cohort"] == NORTH
    assert [q["uri"] for q in data["qualifications"]] == [ILM5]
    learners = {row["agent"]: row for row in data["learners"]}
    assert set(learners) == {f"mbox:{JO}", f"mbox:{SAM}", f"mbox:{NIA}"}
    year = dashboard.cpd_year(date.today())
    from lrs_cpd_log.build import STATUS_VERBS
    from lrs_cpd_log.model import rules_for
    from lrs_cpd_log.plugin import readiness

    rules = rules_for(year)
    for agent, mbox in ((f"mbox:{JO}", JO), (f"mbox:{SAM}", SAM), (f"mbox:{NIA}", NIA)):
        row = learners[agent]
        # Activities and balance: the learner's whole-record summary.
        summary = admin.get(f"/api/learners/{quote(mbox, safe='')}/summary").get_json()
        assert row["statements"] == summary["totals"]["statements"], agent
        shares = summary["totals"]["balance"]["shares"]
        assert row["balance"] == {m: round(shares.get(m, 0) * 100) for m in dashboard.MODES}, agent
        # Last activity: the latest of their statements (the voided one left out).
        assert row["last_activity"] == _latest_day(admin, mbox), agent
        # Unit progress: the learner's own progress in the qualification.
        progress = expected(lrs_instance, agent)
        assert row["units"][ILM5] == {
            "complete": progress.complete, "in_progress": progress.in_progress, "not_started": progress.not_started,
            "units": progress.units, "criteria_met": progress.criteria_accepted, "criteria": progress.criteria,
        }, agent
        # CPD readiness: the plugin's, from every statement of the learner's year read.
        record = learner_records(lrs_instance, [agent], period_from=rules.start - timedelta(days=1),
                                 period_to=rules.end + timedelta(days=1), any_time_verbs=sorted(STATUS_VERBS))[agent]
        full = readiness(record, year, date.today())
        assert row["cpd_readiness"]["ready"] == full.ready, agent
        assert row["cpd_readiness"]["words"] == (
            "Ready" if full.ready else f"Not ready: {full.counted} of {full.required} complete pieces"), agent
    # At risk: Sam (nothing for 150 days) and Nia (nothing at all), with the reasons; Jo is not.
    assert data["at_risk"] == sorted([f"mbox:{SAM}", f"mbox:{NIA}"], key=lambda a: learners[a]["name"].lower())
    assert [r["rule"] for r in learners[f"mbox:{NIA}"]["at_risk_reasons"]] == ["no-activity"]
    assert [r["rule"] for r in learners[f"mbox:{SAM}"]["at_risk_reasons"]] == ["no-recent-activity"]
    assert learners[f"mbox:{JO}"]["at_risk"] is False and learners[f"mbox:{JO}"]["at_risk_reasons"] == []
    assert learners[f"mbox:{NIA}"]["last_activity"] is None and learners[f"mbox:{NIA}"]["statements"] == 0
    # The months: the last 12 of the cohort's every month (empty ones included), as the whole summary gives them.
    every = learning_summary.enrolled_learners_summary(
        lrs_instance, NORTH, learning_summary.parse_query(period="month"))["periods"]
    assert len(every) > 12
    assert data["periods"] == [
        {"period": p["period"], "statements": p["statements"],
         "shares": {m: round(p["balance"]["shares"].get(m, 0) * 100) for m in dashboard.MODES}}
        for p in every[-12:]
    ]


def test_a_young_cohorts_months_start_with_its_first(centre, lrs_instance, app):  # noqa: ANN001
    lead = Caller(app.test_client(), make_credential(lrs_instance, ["all/read"], name="Lee", role="lead",
                                                     cohorts=[NORTH]), "lead")
    today = date.today()
    centre["jo"].journal(date=(today - timedelta(days=70)).isoformat())
    centre["jo"].journal(date=today.isoformat(), mode="social")
    data = lead.get(_path(NORTH)).get_json()
    every = learning_summary.enrolled_learners_summary(
        lrs_instance, NORTH, learning_summary.parse_query(period="month"))["periods"]
    assert [p["period"] for p in data["periods"]] == [p["period"] for p in every]
    assert 2 <= len(data["periods"]) <= 4


def test_only_the_cohorts_lead_and_admins_read_it(centre, lrs_instance, app):  # noqa: ANN001
    people = _build(centre, lrs_instance, app)
    admin = centre["admin"]
    assert admin.get(_path(NORTH)).status_code == 200
    for caller in (people["south_lead"], centre["ann"], centre["ian"], centre["jo"], people["sam"], centre["lms"]):
        refused = caller.get(_path(NORTH))
        assert refused.status_code == 403, caller.name
        assert "jo@la.example" not in refused.get_data(as_text=True)
    # A cohort nobody is enrolled in or bound to; no cohort; not an IRI: each a 4xx naming the parameter.
    unknown = admin.get(_path("https://centre.example/cohorts/nowhere"))
    assert unknown.status_code == 404 and unknown.get_json()["error"]["rule"] == "unknown-cohort"
    for path in ("/api/cohorts/dashboard", "/api/cohorts/dashboard?cohort=north"):
        bad = admin.get(path)
        assert bad.status_code == 400 and bad.get_json()["error"]["path"] == "cohort", path
    # A lead of a cohort nobody is enrolled in yet sees an empty dashboard, not an error.
    empty = people["south_lead"].get(_path(SOUTH)).get_json()
    assert [row["agent"] for row in empty["learners"]] == ["mbox:mailto:kim@la.example"]
    assert empty["periods"] == [] and empty["qualifications"] == []


def test_each_learners_balance_is_the_summarys() -> None:
    """The dashboard works out each learner's activities and shares from their totals without building the
    summary's blocks: the same figures as lrs.learning.summary.bucket for the same totals (timed and untimed
    modes, unclassified statements, nothing classified, nothing at all, sums that round)."""
    import random

    from lrs.store.learning import ModeTotals

    query = learning_summary.parse_query(period="month")
    rng = random.Random(23)
    cases: list[tuple[ModeTotals, ...]] = [
        (),
        (ModeTotals(None, 4, 0.0, 0),),
        (ModeTotals("social", 2, 0.0, 0), ModeTotals(None, 1, 0.0, 0)),
        (ModeTotals("on-the-job", 1, 3600.0004, 0), ModeTotals("formal", 3, 0.0, 0)),
    ]
    for _ in range(300):
        rows = []
        for mode in (*dashboard.MODES, None):
            if rng.random() < 0.6:
                seconds = 0.0 if mode is None or rng.random() < 0.3 else rng.choice([rng.uniform(0, 9000), 1 / 3, 1e-4])
                rows.append(ModeTotals(mode, rng.randint(1, 90), seconds, 0))
        cases.append(tuple(rows))
    for rows in cases:
        block = learning_summary.bucket(rows, query)
        shares = block["balance"]["shares"]
        # What the store gives the dashboard for these totals (lrs.store.dashboard.LearnerTotals).
        statements = sum(r.statements for r in rows)
        by_mode = tuple((sum(r.statements for r in rows if r.mode == m), sum(r.seconds for r in rows if r.mode == m))
                        for m in dashboard.MODES)
        assert (statements, dashboard._shares(by_mode)) == (
            block["statements"], {m: round(shares.get(m, 0) * 100) for m in dashboard.MODES}), rows
