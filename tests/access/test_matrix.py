"""The access matrix (issue 15): every role x every /xapi and /api route x own data / someone else's, on both
databases. Each cell asserts the status, and for the roles that may not read Sam's record, that nothing of
Sam's (an identifier, a document, attachment bytes) comes back. A route of the app that the matrix does not
list fails the coverage test: a new route must join the matrix.

One dataset per database (module scope): Jo, a learner enrolled in the north cohort (by the LMS's statement
naming the cohort); Sam, an outsider who names the north cohort in his own statements (which enrols nobody),
with a private state document, agent profile and attachment; an assessor decision on Jo's evidence.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from typing import Any
from urllib.parse import quote

import pytest
from conftest import _empty_all_tables, make_credential

from lrs.app import create_app
from lrs.config import Settings
from lrs.review.sampling import DEFAULT_PLAN
from lrs.services.statements import LRS
from lrs.store.credentials import revoke_credential

ILM5 = "https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership"
AC = f"{ILM5}/U1.AC1.1"
NORTH = "https://centre.example/cohorts/matrix-north"
SOUTH = "https://centre.example/cohorts/matrix-south"
ACTIVITY = "https://lrs.example/activities/matrix-residential"
JO = "mailto:jo.matrix@la.example"
SAM = "mailto:sam.outsider@la.example"
ANN = "mailto:ann.assessor@centre.example"
IAN = "mailto:ian.iqa@centre.example"
LEE = "mailto:lee.lead@centre.example"
APP = "mailto:app.device@lms.example"
NEWBIE = "mailto:newbie@la.example"
UNIT = "Template L5 U1"
SAM_BYTES = b"sam.outsider's private attachment bytes"
SAM_SHA2 = hashlib.sha256(SAM_BYTES).hexdigest()
#: What must never reach a role that may not read Sam's record.
SAM_MARKERS = ("sam.outsider", "sam-private", SAM_BYTES.decode())

ROLES = ("participant", "assessor", "iqa", "lead", "admin", "lms", "lms_agent", "revoked")
#: The roles that may not read Sam's record (Sam is nobody's learner and not theirs).
RESTRICTED = ("participant", "assessor", "iqa", "lead")
#: The agent each role writes as (its "own" data when writing).
OWN_ACTOR = {
    "participant": JO, "assessor": ANN, "iqa": IAN, "lead": LEE, "admin": JO, "lms": JO, "lms_agent": APP,
    "revoked": JO,
}
#: The learner whose record each role reads as "own" (its own, or its cohort's learner).
OWN_LEARNER = {**{r: JO for r in ROLES}, "lms_agent": APP}


def agent_json(mbox: str) -> str:
    return json.dumps({"objectType": "Agent", "mbox": mbox})


def statement(actor: str, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": actor},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}},
        "object": {"objectType": "Activity", "id": ACTIVITY},
        **extra,
    }


class World:
    def __init__(self, database_url: str, shared_database: Any):
        _empty_all_tables(shared_database)
        self.lrs = LRS(Settings(database_url=database_url, credential_cache_seconds=0), db=shared_database)
        app = create_app(lrs=self.lrs)
        app.config["TESTING"] = True
        self.flask = app.test_client()
        self.app = app
        lrs = self.lrs
        self.creds = {
            "participant": make_credential(lrs, ["statements/write", "statements/read", "state", "profile"],
                                           name="Jo", role="participant", agent_key=f"mbox:{JO}"),
            "sam": make_credential(lrs, ["statements/write", "statements/read", "state", "profile"],
                                   name="Sam", role="participant", agent_key=f"mbox:{SAM}"),
            "assessor": make_credential(lrs, ["statements/write", "statements/read", "state", "profile"],
                                        name="Ann", role="assessor", agent_key=f"mbox:{ANN}", cohorts=[NORTH]),
            "iqa": make_credential(lrs, ["statements/write", "statements/read", "state", "profile"],
                                   name="Ian", role="iqa", agent_key=f"mbox:{IAN}", cohorts=[NORTH]),
            "lead": make_credential(lrs, ["all/read"], name="Lee", role="lead", agent_key=f"mbox:{LEE}",
                                    cohorts=[NORTH]),
            "admin": make_credential(lrs, ["all"], name="Admin", role="admin"),
            "lms": make_credential(lrs, ["all"], name="The LMS", may_enrol=True),
            "lms_agent": make_credential(lrs, ["statements/write", "statements/read", "state", "profile"],
                                         name="A device", agent_key=f"mbox:{APP}"),
            "revoked": make_credential(lrs, ["all"], name="Gone", role="participant", agent_key=f"mbox:{JO}"),
        }
        lrs.db.write(lambda conn: revoke_credential(conn, self.creds["revoked"][0]))
        self.build()

    def call(self, who: str, method: str, path: str, *, version: bool = True, **kwargs: Any) -> Any:
        key, secret = self.creds[who]
        headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}
        if version:
            headers["X-Experience-API-Version"] = "1.0.3"
        headers.update(kwargs.pop("headers", {}))
        # The revoked credential fails on every route; the failed-authentication throttle (tested in
        # tests/api/test_auth_abuse.py) would turn the later cells into 429s, so each cell starts with fresh counters.
        self.flask.application.extensions.pop("lrs.auth_throttle", None)
        return self.flask.open(path, method=method, headers=headers, **kwargs)

    def ok(self, response: Any) -> Any:
        assert response.status_code < 300, response.get_data(as_text=True)
        return response

    def journal(self, who: str, agent: str, **extra: Any) -> str:
        body = {"agent": agent, "what": "Led a supervision", "mode": "on-the-job", "date": "2026-10-01",
                "standards": [AC],
                "reflection": {"learned": "Listening first.", "impact": "Fewer escalations."}, **extra}
        return self.ok(self.call(who, "POST", "/api/journal", json=body)).get_json()["ids"][0]

    def build(self) -> None:
        # The LMS enrols Jo in the north cohort by a statement naming it; Sam names it himself: no enrolment.
        grouping = {"contextActivities": {"grouping": [{"objectType": "Activity", "id": NORTH}]}}
        self.ok(self.call("lms", "POST", "/xapi/statements", json=statement(JO, context=grouping)))
        self.jo_evidence = self.journal("participant", JO, programme=NORTH)
        self.sam_evidence = self.journal("sam", SAM, programme=NORTH)
        witness = {"evidence_type": "witness-testimony", "reflection": None,
                   "witness": {"name": "Priya Shah", "role": "Head of Service", "relationship": "line manager",
                               "date": "2026-10-20", "testimony": "Chaired the panel calmly."}}
        self.jo_witnessed = self.journal("participant", JO, programme=NORTH, **witness)
        self.sam_witnessed = self.journal("sam", SAM, programme=NORTH, **witness)
        self.jo_statement = self.ok(self.call("participant", "POST", "/xapi/statements", json=statement(JO))).get_json()[0]
        # Sam's statement carrying private bytes (stored as the service would after a multipart request).
        sam = self.lrs.principal_for(self.creds["sam"][0])
        attachment = {"usageType": "https://lrs.example/usage/evidence", "display": {"en": "notes"},
                      "contentType": "text/plain", "length": len(SAM_BYTES), "sha2": SAM_SHA2}
        [self.sam_statement] = self.lrs.store_statements(
            statement(SAM, attachments=[attachment]), sam, "1.0.3", attachments={SAM_SHA2: ("text/plain", SAM_BYTES)}
        )
        # Jo names Sam's bytes by hash (with a fileUrl, so no part is needed): the bytes must stay Sam's.
        jo_attachment = {**attachment, "fileUrl": "https://files.example/notes.txt"}
        self.ok(self.call("participant", "POST", "/xapi/statements", json=statement(JO, attachments=[jo_attachment])))
        decision = self.call("assessor", "POST", "/api/reviews",
                             json={"evidence": self.jo_evidence, "criterion": AC, "outcome": "referred", "feedback": "More.",
                                   "rationale": "The account does not yet show how the team was involved."})
        assert decision.status_code == 201, decision.get_json()
        self.decision = decision.get_json()["id"]
        for who in (JO, SAM, APP):
            secret = "sam-private" if who == SAM else "fine"
            doc = {"activityId": ACTIVITY, "agent": agent_json(who), "stateId": "matrix-state"}
            self.ok(self.call("admin", "PUT", "/xapi/activities/state", query_string=doc, json={"note": secret}))
            doc = {"agent": agent_json(who), "profileId": "matrix-profile"}
            self.ok(self.call("admin", "PUT", "/xapi/agents/profile", query_string=doc, json={"note": secret},
                              headers={"If-None-Match": "*"}))
        self.ok(self.call("admin", "PUT", "/xapi/activities/profile", headers={"If-None-Match": "*"},
                          query_string={"activityId": ACTIVITY, "profileId": "matrix-profile"}, json={"shared": True}))


@pytest.fixture(scope="module")
def world(database_url: str, shared_database: Any) -> World:
    return World(database_url, shared_database)


def learner_path(mbox: str, tail: str) -> str:
    return f"/api/learners/{quote(mbox, safe='')}/{tail}"


def _fresh() -> str:
    return f"matrix-{uuid.uuid4().hex[:8]}"


# Each case: (rule, method) of the route, a request builder (world, role, "own"/"other") -> (path, kwargs), and
# the expected status per role as (own, other). A set allows either (idempotent writes repeated).
Expect = dict[str, tuple[Any, Any]]


def _same(code: Any, **overrides: Any) -> Expect:
    table = {r: (code, code) for r in ROLES}
    table["revoked"] = (401, 401)
    table.update(overrides)
    return table


def _reader(own: Any, *, assessor: tuple = (200, 403), lms_agent: tuple = (200, 200), lms: tuple = (200, 200),
            admin: tuple = (200, 200)) -> Expect:
    """Read rules of a learner's record: own (or their cohort's learner) allowed, Sam refused."""
    return {
        "participant": (own, 403), "assessor": assessor, "iqa": assessor, "lead": assessor, "admin": admin,
        "lms": lms, "lms_agent": lms_agent, "revoked": (401, 401),
    }


def _doc_agent(w: World, role: str, side: str, *, write: bool) -> str:
    if side == "other":
        return SAM
    return OWN_ACTOR[role] if write else OWN_LEARNER[role]


def state_req(write: bool, method: str):  # noqa: ANN201
    def build(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
        agent = _doc_agent(w, role, side, write=write)
        params = {"activityId": ACTIVITY, "agent": agent_json(agent), "stateId": _fresh() if write else "matrix-state"}
        return "/xapi/activities/state", {"query_string": params, **({"json": {"n": 1}} if method != "DELETE" else {})}
    return build


def agent_profile_req(write: bool, method: str):  # noqa: ANN201
    def build(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
        agent = _doc_agent(w, role, side, write=write)
        params = {"agent": agent_json(agent), "profileId": _fresh() if write else "matrix-profile"}
        return "/xapi/agents/profile", {"query_string": params, **_profile_body(method)}
    return build


def _profile_body(method: str) -> dict[str, Any]:
    if method == "DELETE" or method == "GET":
        return {}
    return {"json": {"n": 1}, "headers": {"If-None-Match": "*"}}


def activity_profile_req(write: bool, method: str):  # noqa: ANN201
    def build(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
        params = {"activityId": ACTIVITY, "profileId": _fresh() if write else "matrix-profile"}
        return "/xapi/activities/profile", {"query_string": params, **_profile_body(method)}
    return build


def statement_write(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
    return "/xapi/statements", {"json": statement(SAM if side == "other" else OWN_ACTOR[role])}


def statement_put(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
    actor = SAM if side == "other" else OWN_ACTOR[role]
    return "/xapi/statements", {"query_string": {"statementId": str(uuid.uuid4())}, "json": statement(actor)}


def statements_by_agent(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
    agent = SAM if side == "other" else OWN_LEARNER[role]
    return "/xapi/statements", {"query_string": {"agent": agent_json(agent), "attachments": "true"}}


def statements_all(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
    # Unfiltered, with attachments: "other" pages with limit=1 through the more links.
    return "/xapi/statements", {"query_string": {"attachments": "true"} if side == "own" else {"limit": "1"}}


def statement_by_id(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
    return "/xapi/statements", {"query_string": {"statementId": w.sam_statement if side == "other" else w.jo_statement}}


WRITE_OWN_OTHER = {
    "participant": ((200,), (403,)), "assessor": ((200,), (403,)), "iqa": ((200,), (403,)), "lead": ((403,), (403,)),
    "admin": ((200,), (200,)), "lms": ((200,), (200,)), "lms_agent": ((200,), (200,)), "revoked": ((401,), (401,)),
}


def _writes(ok: int) -> Expect:
    return {r: (ok if o == (200,) else o[0], ok if t == (200,) else t[0]) for r, (o, t) in WRITE_OWN_OTHER.items()}


def _doc_writes() -> Expect:
    # State / Agent Profile: own agent only for participant, reviewers; lead writes nothing; an LMS with an
    # agent and only the state/profile scopes is limited to that agent.
    return {
        "participant": (204, 403), "assessor": (204, 403), "iqa": (204, 403), "lead": (403, 403),
        "admin": (204, 204), "lms": (204, 204), "lms_agent": (204, 403), "revoked": (401, 401),
    }


def _doc_reads() -> Expect:
    return {
        "participant": (200, 403), "assessor": (200, 403), "iqa": (200, 403), "lead": (200, 403),
        "admin": (200, 200), "lms": (200, 200), "lms_agent": (200, 403), "revoked": (401, 401),
    }


def _activity_profile_writes() -> Expect:
    return _same(204, participant=(403, 403), assessor=(403, 403), iqa=(403, 403), lead=(403, 403))


def cohort_req(method: str):  # noqa: ANN201
    def build(w: World, role: str, side: str) -> tuple[str, dict[str, Any]]:
        cohort = NORTH if side == "own" else SOUTH
        path = f"/api/cohorts/{cohort}/learners"
        if method == "POST":
            return path, {"json": {"agent": NEWBIE}}
        if method == "DELETE":
            return path, {"query_string": {"agent": NEWBIE}}
        return path, {}
    return build


def _admin_only(ok: int) -> Expect:
    return _same(403, admin=(ok, ok), lms=(ok, ok))


CASES: list[tuple[str, str, str, Any, Expect]] = [
    # id, rule, method, builder, expected
    ("about", "/xapi/about", "GET", lambda w, r, s: ("/xapi/about", {}), _same(200, revoked=(200, 200))),
    # The API's description and its reference page are public: they hold no one's data.
    ("openapi", "/api/openapi.json", "GET", lambda w, r, s: ("/api/openapi.json", {}), _same(200, revoked=(200, 200))),
    ("api-docs", "/api/docs", "GET", lambda w, r, s: ("/api/docs", {}), _same(200, revoked=(200, 200))),
    ("api-docs-css", "/api/docs.css", "GET", lambda w, r, s: ("/api/docs.css", {}), _same(200, revoked=(200, 200))),
    ("statements-by-agent", "/xapi/statements", "GET", statements_by_agent, _same(200)),
    ("statements-all", "/xapi/statements", "GET", statements_all, _same(200)),
    ("statement-by-id", "/xapi/statements", "GET", statement_by_id,
     _same(200, participant=(200, 404), assessor=(200, 404), iqa=(200, 404), lead=(200, 404))),
    ("statements-post", "/xapi/statements", "POST", statement_write, _writes(200)),
    ("statements-put", "/xapi/statements", "PUT", statement_put, _writes(204)),
    ("state-get", "/xapi/activities/state", "GET", state_req(False, "GET"), _doc_reads()),
    ("state-put", "/xapi/activities/state", "PUT", state_req(True, "PUT"), _doc_writes()),
    ("state-post", "/xapi/activities/state", "POST", state_req(True, "POST"), _doc_writes()),
    ("state-delete", "/xapi/activities/state", "DELETE", state_req(True, "DELETE"), _doc_writes()),
    ("agent-profile-get", "/xapi/agents/profile", "GET", agent_profile_req(False, "GET"), _doc_reads()),
    ("agent-profile-put", "/xapi/agents/profile", "PUT", agent_profile_req(True, "PUT"), _doc_writes()),
    ("agent-profile-post", "/xapi/agents/profile", "POST", agent_profile_req(True, "POST"), _doc_writes()),
    ("agent-profile-delete", "/xapi/agents/profile", "DELETE", agent_profile_req(True, "DELETE"), _doc_writes()),
    ("activity-profile-get", "/xapi/activities/profile", "GET", activity_profile_req(False, "GET"), _same(200)),
    ("activity-profile-put", "/xapi/activities/profile", "PUT", activity_profile_req(True, "PUT"), _activity_profile_writes()),
    ("activity-profile-post", "/xapi/activities/profile", "POST", activity_profile_req(True, "POST"),
     _activity_profile_writes()),
    ("activity-profile-delete", "/xapi/activities/profile", "DELETE", activity_profile_req(True, "DELETE"),
     _activity_profile_writes()),
    ("activities", "/xapi/activities", "GET", lambda w, r, s: ("/xapi/activities", {"query_string": {"activityId": ACTIVITY}}),
     _same(200)),
    ("agents", "/xapi/agents", "GET",
     lambda w, r, s: ("/xapi/agents", {"query_string": {"agent": agent_json(SAM if s == "other" else OWN_LEARNER[r])}}),
     _reader(200)),
    ("exporters", "/api/exporters", "GET", lambda w, r, s: ("/api/exporters", {}), _same(200)),
    ("export", "/api/learners/<path:agent>/exports/<name>", "GET",
     lambda w, r, s: (learner_path(SAM if s == "other" else OWN_LEARNER[r], "exports/cpd-log"),
                      {"query_string": {"format": "json"}}),
     _reader(200, lms_agent=(403, 403))),
    ("summary", "/api/learners/<path:agent>/summary", "GET",
     lambda w, r, s: (learner_path(SAM if s == "other" else OWN_LEARNER[r], "summary"),
                      {"query_string": {"activity": NORTH}}),
     _reader(200)),
    ("cohort-summary", "/api/cohorts/summary", "GET",
     lambda w, r, s: ("/api/cohorts/summary", {"query_string": {"activity": NORTH if s == "own" else SOUTH}}),
     _same(200, participant=(403, 403), assessor=(200, 403), iqa=(200, 403), lead=(200, 403))),
    # The lead's dashboard: the cohort's lead and admins only (not its assessor or IQA, nor a participant); the
    # other cohort is nobody's, so an admin is told it does not exist.
    ("cohort-dashboard", "/api/cohorts/dashboard", "GET",
     lambda w, r, s: ("/api/cohorts/dashboard", {"query_string": {"cohort": NORTH if s == "own" else SOUTH}}),
     _same(403, lead=(200, 403), admin=(200, 404), lms=(200, 404), revoked=(401, 401))),
    ("journal", "/api/journal", "POST",
     lambda w, r, s: ("/api/journal", {"json": {"agent": SAM if s == "other" else OWN_ACTOR[r], "what": "Read",
                                                "mode": "formal", "date": "2026-10-02",
                                                "reflection": {"learned": "A", "impact": "B"}}}),
     _same(200, participant=(200, 403), assessor=(403, 403), iqa=(403, 403), lead=(403, 403))),
    ("frameworks", "/api/frameworks", "GET", lambda w, r, s: ("/api/frameworks", {}), _same(200)),
    ("framework", "/api/frameworks/<path:framework>", "GET",
     lambda w, r, s: ("/api/frameworks/ilm-l5-leadership", {}), _same(200)),
    ("framework-import", "/api/frameworks", "POST", lambda w, r, s: ("/api/frameworks", {"json": {}}),
     _same(403, admin=(400, 400), lms=(400, 400))),
    ("evidence", "/api/learners/<path:agent>/evidence", "GET",
     lambda w, r, s: (learner_path(SAM if s == "other" else OWN_LEARNER[r], "evidence"),
                      {"query_string": {"framework": "ilm-l5-leadership"}}),
     _reader(200)),
    ("progress", "/api/learners/<path:agent>/progress", "GET",
     lambda w, r, s: (learner_path(SAM if s == "other" else OWN_LEARNER[r], "progress"),
                      {"query_string": {"framework": "ilm-l5-leadership"}}),
     _reader(200)),
    ("decide", "/api/reviews", "POST",
     lambda w, r, s: ("/api/reviews", {"json": {"evidence": w.sam_evidence if s == "other" else w.jo_evidence,
                                                "criterion": AC, "outcome": "accepted",
                                                "rationale": "Meets the criterion."}}),
     _same(403, assessor=(201, 403))),
    ("queue", "/api/reviews/queue", "GET",
     lambda w, r, s: ("/api/reviews/queue", {"query_string": {"cohort": NORTH if s == "own" else SOUTH}}),
     _same(403, assessor=(200, 403), iqa=(200, 403), admin=(200, 200), lms=(200, 200))),
    ("cohort-learners", "/api/cohorts/<path:cohort>/learners", "GET", cohort_req("GET"),
     _same(403, assessor=(200, 403), iqa=(200, 403), lead=(200, 403), admin=(200, 200), lms=(200, 200))),
    ("cohort-enrol", "/api/cohorts/<path:cohort>/learners", "POST", cohort_req("POST"),
     _same(403, lead=({200, 201}, 403), admin=({200, 201}, {200, 201}))),
    ("cohort-unenrol", "/api/cohorts/<path:cohort>/learners", "DELETE", cohort_req("DELETE"),
     _same(403, lead=({204, 404}, 403), admin=({204, 404}, {204, 404}))),
    # Assessment integrity (docs/api.md, "Sampling, units, witnesses, the EQA pack").
    ("sampling-plan-get", "/api/reviews/sampling-plan", "GET", lambda w, r, s: ("/api/reviews/sampling-plan", {}),
     _same(403, assessor=(200, 200), iqa=(200, 200), admin=(200, 200), lms=(200, 200))),
    ("sampling-plan-put", "/api/reviews/sampling-plan", "PUT",
     lambda w, r, s: ("/api/reviews/sampling-plan", {"json": dict(DEFAULT_PLAN)}), _same(403, admin=(201, 201))),
    ("sampling-plan-post", "/api/reviews/sampling-plan", "POST",
     lambda w, r, s: ("/api/reviews/sampling-plan", {"json": dict(DEFAULT_PLAN)}), _same(403, admin=(201, 201))),
    # A learner submits only their own unit (the body names no learner): "other" is the same request.
    ("unit-submission", "/api/units/submissions", "POST",
     lambda w, r, s: ("/api/units/submissions", {"json": {"framework": "ilm-l5-leadership", "unit": UNIT,
                                                          "declaration": True}}),
     _same(403, participant=(201, 201))),
    # Only an admin claims; Jo's and Sam's units are not ready (409 names what the claim waits for).
    ("unit-claim", "/api/units/claims", "POST",
     lambda w, r, s: ("/api/units/claims", {"json": {"learner": SAM if s == "other" else OWN_LEARNER[r],
                                                     "framework": "ilm-l5-leadership", "unit": UNIT}}),
     _same(403, admin=(409, 409))),
    ("learner-units", "/api/learners/<path:agent>/units", "GET",
     lambda w, r, s: (learner_path(SAM if s == "other" else OWN_LEARNER[r], "units"),
                      {"query_string": {"framework": "ilm-l5-leadership"}}),
     _reader(200)),
    ("eqa-pack", "/api/reviews/eqa-pack", "GET",
     lambda w, r, s: ("/api/reviews/eqa-pack", {"query_string": {"cohort": NORTH if s == "own" else SOUTH}}),
     _same(403, iqa=(200, 403), admin=(200, 200), lms=(200, 200))),
    # The learner (own evidence) or their cohort's assessor asks; the evidence records a witness testimony.
    ("witness-request", "/api/witness-requests", "POST",
     lambda w, r, s: ("/api/witness-requests", {"json": {"evidence": w.sam_witnessed if s == "other"
                                                         else w.jo_witnessed}}),
     _same(403, participant=(201, 403), assessor=(201, 403))),
    ("observation", "/api/observations", "POST",
     lambda w, r, s: ("/api/observations", {"json": {"learner": SAM if s == "other" else JO,
                                                     "evidence_type": "observation", "what": "Team meeting",
                                                     "date": "2026-10-03", "record": "Chaired it well.",
                                                     "standards": [AC]}}),
     _same(403, assessor=(201, 403))),
    # Data administration: admins only (role admin, or a client with the all scope).
    ("forward-targets", "/api/admin/forward/targets", "GET",
     lambda w, r, s: ("/api/admin/forward/targets", {}), _admin_only(200)),
    ("forward-target-add", "/api/admin/forward/targets", "POST",
     lambda w, r, s: ("/api/admin/forward/targets", {"json": {
         "name": _fresh(), "kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-value",
         "agent": NEWBIE}}), _admin_only(201)),
    ("forward-target-remove", "/api/admin/forward/targets/<name>", "DELETE",
     lambda w, r, s: (f"/api/admin/forward/targets/{_fresh()}", {}), _admin_only(404)),
    ("forward-dead", "/api/admin/forward/dead", "GET", lambda w, r, s: ("/api/admin/forward/dead", {}),
     _admin_only(200)),
    ("forward-replay", "/api/admin/forward/replay", "POST",
     lambda w, r, s: ("/api/admin/forward/replay", {"json": {}}), _admin_only(200)),
    ("person-export", "/api/admin/agents/export", "GET",
     lambda w, r, s: ("/api/admin/agents/export", {"query_string": {"agent": SAM if s == "other" else JO}}),
     _admin_only(200)),
    # A dry run: the matrix's people stay for the other cells.
    ("person-erase", "/api/admin/agents/erase", "POST",
     lambda w, r, s: ("/api/admin/agents/erase", {"json": {"agent": SAM if s == "other" else JO, "dryRun": True}}),
     _admin_only(200)),
    ("audit", "/api/admin/audit", "GET", lambda w, r, s: ("/api/admin/audit", {}), _admin_only(200)),
]


def test_every_xapi_and_api_route_is_in_the_matrix(world: World) -> None:
    routes = {
        (rule.rule, method)
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith(("/xapi", "/api"))
        for method in rule.methods - {"OPTIONS", "HEAD"}
    }
    covered = {(rule, method) for _, rule, method, _, _ in CASES}
    assert routes - covered == set(), "add these routes to the access matrix"
    assert covered - routes == set(), "the matrix names routes the app does not have"


def _leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    if body.startswith(b"PK"):
        # A ZIP (the EQA pack, a subject access export): its members are compressed, so search each one.
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            text += "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return [marker for marker in SAM_MARKERS if marker in text]


def _follow_more(w: World, role: str, response: Any) -> list[Any]:
    """Every page of a statement query (the ``more`` links), so paging cannot leak either."""
    pages = [response]
    while response.status_code == 200 and response.is_json and isinstance(response.get_json(), dict) and (
        response.get_json().get("more")
    ):
        response = w.call(role, "GET", response.get_json()["more"])
        pages.append(response)
        assert len(pages) < 200
    return pages


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_access_matrix(world: World, case: tuple[str, str, str, Any, Expect]) -> None:
    name, _, method, build, expected = case
    wrong: dict[tuple[str, str], Any] = {}
    leaks: dict[tuple[str, str], list[str]] = {}
    for role in ROLES:
        for side, want in zip(("own", "other"), expected[role], strict=True):
            path, kwargs = build(world, role, side)
            response = world.call(role, method, path, **kwargs)
            allowed = want if isinstance(want, set) else {want}
            if response.status_code not in allowed:
                wrong[(role, side)] = (response.status_code, want, response.get_data(as_text=True)[:200])
            if response.status_code == 403:
                error = response.get_json()["error"]
                assert error["rule"] and error["message"], (role, side, error)
            if role in RESTRICTED or (role == "lms_agent" and name.startswith(("state-", "agent-profile-"))):
                found = [m for page in _follow_more(world, role, response) for m in _leaks(page.get_data())]
                if found:
                    leaks[(role, side)] = found
    assert wrong == {}, f"{name}: unexpected statuses"
    assert leaks == {}, f"{name}: another learner's data came back"


def test_sam_naming_the_cohort_did_not_enrol_him_and_the_lms_did_enrol_jo(world: World) -> None:
    listed = world.call("admin", "GET", f"/api/cohorts/{NORTH}/learners").get_json()["learners"]
    agents = {row["agent"] for row in listed}
    assert f"mbox:{JO}" in agents
    assert f"mbox:{SAM}" not in agents


def test_the_restricted_roles_still_see_their_own_record(world: World) -> None:
    """The restriction is not an empty answer: Jo, and Jo's assessor, IQA and lead, read Jo's statements,
    Ann's decision about them, and Jo's documents."""
    for role in RESTRICTED:
        page = world.call(role, "GET", "/xapi/statements", query_string={"limit": "100"}).get_json()["statements"]
        ids = {s["id"] for s in page}
        assert {world.jo_statement, world.jo_evidence, world.decision} <= ids, role
        assert world.sam_statement not in ids and world.sam_evidence not in ids, role
