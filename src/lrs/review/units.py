"""Unit submissions, the IQA sampling plan and the centre's certification claims: recorded as statements,
derived into ``unit_submissions``, ``sampling_plans`` and ``unit_claims``, and read back as where a learner
stands on each unit and as the sampling log. No HTTP here.

A unit is complete only when every criterion is accepted, every accepted decision the sampling plan selects
has been confirmed by an IQA, the learner has submitted the unit with a declaration of authenticity, and the
centre (an admin) has claimed certification. Only then may an exporter issue a credential.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import registry
from lrs.competency.frameworks import Framework, FrameworkItem
from lrs.learning import vocabulary as v
from lrs.review import decisions as rules
from lrs.review import sampling
from lrs.review.records import (
    LearnerReviews,
    assessed_frameworks,
    credential_key,
    find_framework,
    read_learner_reviews,
    reviewer_agent,
    units_of,
)
from lrs.review.types import ReviewDecision, UnitRecord, UnitSubmission
from lrs.services import access
from lrs.store import assessment as unit_store
from lrs.store import evidence as evidence_store
from lrs.store import reviews as store
from lrs.xapi.errors import Conflict, Forbidden, NotFound, XAPIError
from lrs.xapi.ifi import agent_from_key, agent_key, parse_agent

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)
VERSION = rules.VERSION


def clear(conn: Any) -> None:
    unit_store.clear(conn)


# --- the sampling plan ---------------------------------------------------------------------------------------


def plan_iri(lrs: LRS) -> str:
    return lrs.settings.authority_home_page.rstrip("/") + "/sampling-plan"


def current_plan(lrs: LRS) -> dict[str, Any]:
    """The plan in force: ``{"plan", "adopted", "statement_id"}`` (the default plan, adopted None, when the centre
    has adopted none)."""
    with lrs.db.read() as conn:
        return plan_in(conn)


def plan_in(conn: Any) -> dict[str, Any]:
    """:func:`current_plan` in a read transaction the caller holds."""
    row = unit_store.current_plan(conn)
    if row is None:
        return {"plan": dict(sampling.DEFAULT_PLAN), "adopted": None, "statement_id": None}
    return {"plan": row["plan"], "adopted": row["adopted"].isoformat(), "statement_id": row["statement_id"]}


def adopt_plan(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """An admin adopts a sampling plan (the fields of sampling.DEFAULT_PLAN); it is in force from now on."""
    access.check_centre_admin(principal, "adopt a sampling plan")
    plan = sampling.validate_plan(body)
    statement = sampling.plan_statement(reviewer_agent(principal), plan_iri(lrs), plan)
    lrs.store_statements(statement, principal, VERSION)
    return current_plan(lrs)


def unit_of(reg: Any, framework_uri: str, item_uri: str) -> str:
    """The IRI of the unit a criterion belongs to (the criterion's own IRI when it is in no unit)."""
    fw = reg.frameworks.get(framework_uri)
    if fw is None:
        return item_uri
    for top, leaves in _units(fw):
        if any(leaf.uri == item_uri for leaf in leaves):
            return top.uri
    return item_uri


def _unit_index(reg: Any, framework_uris: Any) -> dict[tuple[str, str], str]:
    """(framework IRI, criterion IRI) -> its unit's IRI, for the criteria (leaves) of these frameworks: worked out
    once per request rather than once per decision."""
    index: dict[tuple[str, str], str] = {}
    for uri in dict.fromkeys(framework_uris):
        fw = reg.frameworks.get(uri)
        if fw is None:
            continue
        for top, leaves in _units(fw):
            for leaf in leaves:
                index.setdefault((uri, leaf.uri), top.uri)
    return index


def evidence_type_of(statement: dict[str, Any] | None) -> str | None:
    """The evidence type a statement names (the evidence-type context extension), or None."""
    extensions = ((statement or {}).get("context") or {}).get("extensions") or {}
    found = extensions.get(v.EXT_EVIDENCE_TYPE) if isinstance(extensions, dict) else None
    return found if isinstance(found, str) else None


def selected_for_sampling(
    lrs: LRS,
    row: dict[str, Any],
    plan: dict[str, Any] | None = None,
    first_decisions: dict[str, list[str]] | None = None,
) -> bool:
    """Whether the plan in force selects this assessor decision (a review_decisions row) for IQA sampling.
    ``first_decisions``: a dict a caller that asks about many rows in one request passes (empty), so that each
    reviewer's first decisions are read once for that request rather than once per row. A caller with many rows
    at hand asks :func:`selected_by_plan` once instead."""
    return row["statement_id"] in selected_by_plan(lrs, [row], plan, first_decisions=first_decisions)


def selected_by_plan(
    lrs: LRS,
    rows: list[dict[str, Any]],
    plan: dict[str, Any] | None = None,
    *,
    evidence: dict[str, dict[str, Any] | None] | None = None,
    first_decisions: dict[str, list[str]] | None = None,
    conn: Any = None,
    evidence_types: dict[str, str | None] | None = None,
) -> set[str]:
    """Which of these assessor decisions (review_decisions rows) the plan in force selects for IQA sampling, in
    one pass: each reviewer's first decisions (only a rank within the plan's first ``new_assessor_decisions``
    changes the rate) and the evidence types of the evidence judged are read in one transaction, not per row.
    ``evidence``: evidence id -> statement, when the caller has read them already (the evidence type is in the
    statement); ``evidence_types``: evidence id -> its evidence type, when the caller has them (from the
    evidence links) rather than the statements; ``conn``: a read transaction the caller has open."""
    if not rows:
        return set()
    plan = plan or current_plan(lrs)["plan"]
    # In the caller's transaction, the frameworks' version is read there rather than in a transaction of its own.
    reg = registry(lrs, evidence_store.imported_version(conn) if conn is not None else None)
    first_decisions = {} if first_decisions is None else first_decisions
    limit = int(plan["new_assessor_decisions"])
    reviewers = [k for k in dict.fromkeys(r["reviewer_key"] for r in rows) if k not in first_decisions]
    missing = sorted({r["evidence_id"] for r in rows} - set(evidence or {}) - set(evidence_types or {}))

    def read(c: Any) -> dict[str, str | None]:
        for reviewer in reviewers:
            first_decisions[reviewer] = store.assessor_decision_ids(c, reviewer, limit=limit) if limit > 0 else []
        return {e: evidence_type_of(s) for e, s in store.statements_by_id(c, missing).items()}

    if reviewers or missing:
        if conn is not None:
            types = read(conn)
        else:
            with lrs.db.read() as c:
                types = read(c)
    else:
        types = {}
    types.update({e: evidence_type_of(s) for e, s in (evidence or {}).items()})
    types.update(evidence_types or {})
    unit_index = _unit_index(reg, (r["framework_uri"] for r in rows))
    chosen = set()
    rates: dict[tuple[str, int, str, str | None], float] = {}  # the same few combinations recur across rows
    for row in rows:
        ranks = first_decisions[row["reviewer_key"]]
        rank = ranks.index(row["statement_id"]) + 1 if row["statement_id"] in ranks else 0
        key = (
            row["reviewer_key"], rank, unit_index.get((row["framework_uri"], row["item_uri"]), row["item_uri"]),
            types.get(row["evidence_id"]),
        )
        rate = rates.get(key)
        if rate is None:
            rate = rates[key] = sampling.rate_for(
                plan, assessor=key[0], assessor_rank=key[1], unit=key[2], evidence_type=key[3]
            )
        if sampling.selected(row["statement_id"], rate):
            chosen.add(row["statement_id"])
    return chosen


# --- deriving submissions, claims and plans from statements ----------------------------------------------------


#: The verbs of the statements a unit submission, a certification claim or a sampling plan is derived from.
UNIT_VERBS = frozenset((v.VERB_SUBMITTED_UNIT, v.VERB_CLAIMED_CERTIFICATION, v.VERB_ADOPTED_SAMPLING_PLAN))


def derive(
    lrs: LRS, statements: list[dict[str, Any]], voided: set[str], *, indexed: set[str] | None = None
) -> None:
    """Index the unit submissions, claims and sampling plans among these stored statements (forget voided).
    ``indexed``: which of ``voided`` are indexed submissions, claims or plans, when the caller has read it."""
    found = [s for s in statements if (s.get("verb") or {}).get("id") in UNIT_VERBS]
    if indexed is not None:
        voided = indexed
    elif voided:
        with lrs.db.read() as conn:
            voided = unit_store.derived(conn, voided)
    if not found and not voided:
        return
    reg = registry(lrs) if found else None
    subs: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    for statement in found:
        key = credential_key(lrs, statement)
        principal = lrs.principal_for(key) if key else None
        if principal is None and key == lrs.operator_principal().authority["account"]["name"]:
            principal = lrs.operator_principal()  # an operator at the command line acts as the centre admin
        verb = statement["verb"]["id"]
        when = sampling.stamp_of(statement)
        ignored = f"statement {statement['id']} ({verb.rsplit('/', 1)[-1]}) is not counted"
        if principal is None or when is None:
            log.info("%s: not stored by a known credential", ignored)
            continue
        obj = statement.get("object") or {}
        if verb == v.VERB_SUBMITTED_UNIT:
            learner = agent_key(statement.get("actor") or {})
            framework = reg.item_framework.get(obj.get("id", "")) if reg else None
            if principal.role != access.PARTICIPANT or principal.agent_key != learner or framework is None:
                log.info("%s: a learner submits their own unit, with its own credential", ignored)
                continue
            subs.append({"statement_id": statement["id"].lower(), "agent_key": learner, "framework_uri": framework,
                         "unit_uri": obj["id"], "submitted": when})
        elif verb == v.VERB_CLAIMED_CERTIFICATION:
            if principal.role != access.ADMIN or obj.get("objectType") != "StatementRef":
                log.info("%s: only a centre admin claims certification, of a submission", ignored)
                continue
            sub_id = str(obj.get("id", "")).lower()
            sub = next((s for s in subs if s["statement_id"] == sub_id), None)
            if sub is None:
                with lrs.db.read() as conn:
                    sub = unit_store.submission(conn, sub_id)
            if sub is None:
                log.info("%s: no unit submission %s", ignored, sub_id)
                continue
            claims.append({"statement_id": statement["id"].lower(), "submission_id": sub_id,
                           "agent_key": sub["agent_key"], "framework_uri": sub["framework_uri"],
                           "unit_uri": sub["unit_uri"], "claimed_by": principal.key or key, "claimed": when})
        else:
            raw = ((statement.get("result") or {}).get("extensions") or {}).get(v.EXT_SAMPLING_PLAN)
            if principal.role != access.ADMIN:
                log.info("%s: only a centre admin adopts a sampling plan", ignored)
                continue
            try:
                plan = sampling.validate_plan(raw)
            except XAPIError as error:
                log.info("%s: %s", ignored, error)
                continue
            plans.append({"statement_id": statement["id"].lower(), "plan": plan, "adopted_by": principal.key or key,
                          "adopted": when})

    def write(conn: Any) -> None:
        unit_store.forget(conn, voided)
        unit_store.insert_rows(conn, unit_store.SUB, subs)
        unit_store.insert_rows(conn, unit_store.PLAN, plans)

    if subs or plans or voided:
        lrs.db.write(write)
    # A claim counts only when the unit was ready for it (claim_unit checks first; a claim stored directly is
    # checked here), after this batch's submissions are in.
    ready = []
    for claim in claims:
        fw = reg.frameworks.get(claim["framework_uri"]) if reg else None
        if fw is not None and not not_ready_reasons(unit_records(lrs, claim["agent_key"], [fw])[claim["unit_uri"]]):
            ready.append(claim)
        else:
            log.info("claim %s is not counted: the unit was not ready to claim", claim["statement_id"])
    if ready:
        lrs.db.write(lambda conn: unit_store.insert_rows(conn, unit_store.CLAIM, ready))


# --- units -----------------------------------------------------------------------------------------------------


def _units(fw: Framework) -> list[tuple[FrameworkItem, list[FrameworkItem]]]:
    return units_of(fw)


def _find_unit(lrs: LRS, framework: Any, unit: Any) -> tuple[Framework, FrameworkItem]:
    if not isinstance(framework, str) or not framework.strip():
        raise XAPIError("name the framework (the qualification): its slug or URI", rule="required", path="framework")
    if not isinstance(unit, str) or not unit.strip():
        raise XAPIError("name the unit: its IRI or code", rule="required", path="unit")
    fw = find_framework(registry(lrs), framework.strip())
    for top, _ in _units(fw):
        if unit.strip() in (top.uri, top.code):
            return fw, top
    raise NotFound(f"{fw.slug} has no unit {unit!r}", rule="unit", path="unit")


def _submission_view(row: dict[str, Any], attempt: int) -> UnitSubmission:
    declaration = ((row["payload"].get("result") or {}).get("extensions") or {}).get(v.EXT_DECLARATION) or {}
    return UnitSubmission(
        statement_id=row["statement_id"],
        attempt=attempt,
        submitted=str(row["payload"].get("timestamp") or ""),
        declaration=str(declaration.get("text") or "") if isinstance(declaration, dict) else "",
    )


def submit_unit(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """A learner submits a unit: ``{"framework", "unit", "declaration": true}`` (they agree to the declaration
    of authenticity, sampling.DECLARATION). Each submission is an attempt; a resubmission is a later one."""
    if not isinstance(body, dict):
        raise XAPIError("a unit submission is a JSON object", rule="invalid-submission", path="")
    if principal.role != access.PARTICIPANT or not principal.agent_key:
        raise Forbidden("a learner submits their own unit (a participant credential bound to them)", rule="participant-own-data")
    fw, unit = _find_unit(lrs, body.get("framework"), body.get("unit"))
    if body.get("declaration") is not True:
        raise XAPIError(
            "declare the work your own: declaration true (the text: " + sampling.DECLARATION + ")",
            rule="declaration-required",
            path="declaration",
        )
    with lrs.db.read() as conn:
        claimed = [c for c in unit_store.claims(conn, principal.agent_key) if c["unit_uri"] == unit.uri]
    if claimed:
        raise Conflict("the centre has already claimed certification of this unit", rule="unit-claimed", path="unit")
    learner = agent_from_key(principal.agent_key)
    learner["name"] = principal.name
    statement = sampling.submission_statement(learner, fw.uri, unit.uri, f"{unit.code} {unit.title}".strip())
    lrs.store_statements(statement, principal, VERSION)
    return unit_view(lrs, principal.agent_key, fw, unit)


def unit_records(lrs: LRS, learner: str, frameworks: list[Framework] | None = None) -> dict[str, UnitRecord]:
    """Unit URI -> where the learner stands, for every unit of ``frameworks`` (every assessed one when None)."""
    reg = registry(lrs)
    if frameworks is None:
        frameworks = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
    with lrs.db.read() as conn:
        reviews = read_learner_reviews(conn, learner, frameworks)
        return read_unit_records(lrs, conn, learner, frameworks, reviews)


def read_unit_records(
    lrs: LRS,
    conn: Any,
    learner: str,
    frameworks: list[Framework],
    reviews: LearnerReviews,
    evidence: dict[str, dict[str, Any]] | None = None,
) -> dict[str, UnitRecord]:
    """:func:`unit_records` in a read transaction the caller holds, from the learner's review the caller has read
    (:func:`lrs.review.records.read_learner_reviews`, with every framework of ``frameworks``); ``evidence``:
    statements the caller has read already, by id (the sampling plan looks at their evidence type)."""
    decisions, criteria = reviews.decisions, reviews.criteria
    plan = plan_in(conn)["plan"]
    submissions = unit_store.submissions(conn, learner)
    claims = unit_store.claims(conn, learner)
    rows = {r["statement_id"]: r for r in reviews.rows}
    confirmed = _confirmed(decisions)
    units = [(fw, unit, leaves) for fw in frameworks for unit, leaves in _units(fw)]
    accepted = {
        unit.uri: [d for d in _accepted_decisions(decisions, {leaf.uri for leaf in leaves}) if d in rows]
        for _, unit, leaves in units
    }
    selected = selected_by_plan(
        lrs, [rows[d] for found in accepted.values() for d in found], plan, evidence=evidence, conn=conn
    )
    out: dict[str, UnitRecord] = {}
    for fw, unit, leaves in units:
        assessed = bool(leaves) and all(criteria[leaf.uri].status == "accepted" for leaf in leaves)
        required = tuple(d for d in accepted[unit.uri] if d in selected)
        outstanding = tuple(d for d in required if d not in confirmed)
        subs = [s for s in submissions if s["unit_uri"] == unit.uri]
        claim = next((c for c in reversed(claims) if c["unit_uri"] == unit.uri), None)
        out[unit.uri] = UnitRecord(
            framework=fw.uri,
            unit=unit.uri,
            assessed=assessed,
            sampling_required=required,
            sampling_outstanding=outstanding,
            submissions=tuple(_submission_view(s, n) for n, s in enumerate(subs, 1)),
            claim_id=claim["statement_id"] if claim else None,
            claimed=str(claim["payload"].get("timestamp")) if claim else None,
            claimed_by=(claim["payload"].get("actor") or {}) if claim else {},
            complete=bool(claim) and assessed and not outstanding and bool(subs),
        )
    return out


def _confirmed(decisions: list[ReviewDecision]) -> set[str]:
    """Assessor decisions whose latest IQA decision confirmed them."""
    latest: dict[str, str] = {}
    for d in decisions:
        if d.role == "iqa" and d.target_id:
            latest[d.target_id] = d.outcome
    return {target for target, outcome in latest.items() if outcome == "confirmed"}


def _accepted_decisions(decisions: list[ReviewDecision], criteria: set[str]) -> list[str]:
    """The current accepted assessor decisions on these criteria (those a unit's result rests on)."""
    current: dict[tuple[str, str], ReviewDecision] = {}
    for d in decisions:
        if d.role == "assessor" and d.criterion in criteria:
            current[(d.evidence_id, d.criterion)] = d
    return [d.statement_id for d in current.values() if d.outcome == "accepted"]


def unit_view(lrs: LRS, learner: str, fw: Framework, unit: FrameworkItem) -> dict[str, Any]:
    record = unit_records(lrs, learner, [fw])[unit.uri]
    return record_view(record, unit)


def record_view(record: UnitRecord, unit: FrameworkItem | None = None) -> dict[str, Any]:
    reasons = not_ready_reasons(record)
    return {
        "unit": record.unit,
        **({"code": unit.code, "title": unit.title} if unit else {}),
        "framework": record.framework,
        "assessed": record.assessed,
        "submissions": [
            {"id": s.statement_id, "attempt": s.attempt, "submitted": s.submitted, "declaration": s.declaration}
            for s in record.submissions
        ],
        "sampling": {"required": list(record.sampling_required), "outstanding": list(record.sampling_outstanding)},
        "claim": {"id": record.claim_id, "claimed": record.claimed, "by": record.claimed_by} if record.claim_id else None,
        "ready_to_claim": not reasons and not record.claim_id,
        "waiting_for": reasons,
        "complete": record.complete,
    }


def not_ready_reasons(record: UnitRecord) -> list[str]:
    reasons = []
    if not record.assessed:
        reasons.append("assessor acceptance of every criterion")
    if record.sampling_outstanding:
        reasons.append(f"IQA sampling of {len(record.sampling_outstanding)} decision(s) the sampling plan selects")
    if not record.submissions:
        reasons.append("the learner's submission with a declaration of authenticity")
    return reasons


def _claim_target(lrs: LRS, principal: Principal, body: Any) -> tuple[str, Framework, FrameworkItem, UnitRecord]:
    """The learner, qualification, unit and where the unit stands, for a claim ``{"learner", "framework",
    "unit"}``, once the access module allows the principal to claim."""
    access.check_centre_admin(principal, "claim certification")
    if not isinstance(body, dict):
        raise XAPIError("a claim is a JSON object", rule="invalid-claim", path="")
    raw = body.get("learner")
    if not isinstance(raw, str) or not raw.strip():
        raise XAPIError("name the learner: an agent key or an Agent's JSON", rule="required", path="learner")
    learner = parse_agent(raw.strip())
    fw, unit = _find_unit(lrs, body.get("framework"), body.get("unit"))
    return learner, fw, unit, unit_records(lrs, learner, [fw])[unit.uri]


def claim_preview(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """What :func:`claim_unit` would claim, without claiming: the unit's view (``ready_to_claim``,
    ``waiting_for``, the claim when there is one) with ``learner`` and the qualification's ``framework_title``
    and ``framework_slug``. The same checks and refusals as the claim, for a page to confirm it first."""
    learner, fw, unit, record = _claim_target(lrs, principal, body)
    return {**record_view(record, unit), "learner": learner, "framework_title": fw.title, "framework_slug": fw.slug}


def claim_unit(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """The centre claims certification of a unit for a learner: ``{"learner", "framework", "unit"}``. Refused
    (409 ``unit-not-ready``) until every criterion is accepted, the plan's sampling is done and the unit is
    submitted."""
    learner, fw, unit, record = _claim_target(lrs, principal, body)
    if record.claim_id:
        raise Conflict("certification of this unit is already claimed", rule="unit-claimed", path="unit")
    reasons = not_ready_reasons(record)
    if reasons:
        raise Conflict("the unit is not ready to claim; waiting for: " + "; ".join(reasons), rule="unit-not-ready", path="unit")
    statement = sampling.claim_statement(reviewer_agent(principal), record.submissions[-1].statement_id, unit.uri)
    lrs.store_statements(statement, principal, VERSION)
    return unit_view(lrs, learner, fw, unit)


def units_to_claim(lrs: LRS, principal: Principal) -> list[dict[str, Any]]:
    """Every unit a learner has submitted that the centre has not claimed yet, for the centre's admin: each
    with the learner, the qualification and unit, the attempts, the latest submission, and whether it is ready
    to claim (``waiting_for``: what the claim would wait for, the reasons :func:`claim_unit` gives). The
    submissions are read in one query; where a unit stands is read once per learner and qualification."""
    access.check_centre_admin(principal, "claim certification")
    with lrs.db.read() as conn:
        rows = unit_store.unclaimed_submissions(conn)
    reg = registry(lrs)
    records: dict[tuple[str, str], dict[str, UnitRecord]] = {}
    out = []
    for row in rows:
        fw = reg.frameworks.get(row["framework_uri"])
        unit = fw.item_by_uri(row["unit_uri"]) if fw else None
        if fw is None or unit is None:
            continue  # a framework no longer loaded: nothing a claim could name
        pair = (row["agent_key"], fw.uri)
        if pair not in records:
            records[pair] = unit_records(lrs, row["agent_key"], [fw])
        record = records[pair][unit.uri]
        if record.claim_id:
            continue
        out.append({
            "learner": row["agent_key"],
            "framework": fw,
            "unit": unit,
            "attempts": row["attempts"],
            "submitted": row["submitted"],
            "waiting_for": not_ready_reasons(record),
        })
    return out


def claimed_lately(lrs: LRS, principal: Principal, limit: int = 20) -> list[dict[str, Any]]:
    """The centre's latest claims, newest first, for the centre's admin."""
    access.check_centre_admin(principal, "see the centre's claims")
    with lrs.db.read() as conn:
        rows = unit_store.recent_claims(conn, limit)
    reg = registry(lrs)
    out = []
    for row in rows:
        fw = reg.frameworks.get(row["framework_uri"])
        unit = fw.item_by_uri(row["unit_uri"]) if fw else None
        out.append({**row, "framework": fw, "unit": unit})
    return out


# --- the learner's submission ----------------------------------------------------------------------------------


def submission_gaps(criteria: list[dict[str, Any]]) -> list[str]:
    """Why a unit is not ready for the learner to submit, from its criteria (``code`` and ``status``, as a
    unit of :func:`lrs.review.service.progress` lists them): a criterion with no evidence, or one referred back
    with nothing new since. Empty when every criterion has evidence that is accepted or waiting for a decision.
    (``POST /api/units/submissions`` takes an early submission too: each one is an attempt.)"""
    missing = [c["code"] for c in criteria if c["status"] == "without-evidence"]
    referred = [c["code"] for c in criteria if c["status"] == "referred"]
    reasons = []
    if missing:
        some = "1 criterion has" if len(missing) == 1 else f"{len(missing)} criteria have"
        reasons.append(f"{some} no evidence yet: {', '.join(missing)}")
    if referred:
        some = "1 criterion was" if len(referred) == 1 else f"{len(referred)} criteria were"
        reasons.append(f"{some} referred back to you and need{'s' * (len(referred) == 1)} more evidence: "
                       f"{', '.join(referred)}")
    return reasons


def submit_ready_unit(lrs: LRS, principal: Principal, body: Any) -> dict[str, Any]:
    """:func:`submit_unit`, once the unit is ready to submit (:func:`submission_gaps`): refused with 409
    ``unit-not-ready-to-submit`` naming what is missing. The learner's pages submit through this."""
    if principal.role != access.PARTICIPANT or not principal.agent_key:
        raise Forbidden("a learner submits their own unit (a participant credential bound to them)", rule="participant-own-data")
    if isinstance(body, dict):
        fw, unit = _find_unit(lrs, body.get("framework"), body.get("unit"))
        with lrs.db.read() as conn:
            reviews = read_learner_reviews(conn, principal.agent_key, [fw])
        leaves = next((leaves for top, leaves in _units(fw) if top.uri == unit.uri), [])
        gaps = submission_gaps([{"code": leaf.code, "status": reviews.criteria[leaf.uri].status} for leaf in leaves])
        if gaps:
            raise Conflict("the unit is not ready to submit: " + "; ".join(gaps), rule="unit-not-ready-to-submit",
                           path="unit")
    return submit_unit(lrs, principal, body)


def learner_units(lrs: LRS, learner: str, framework: str) -> list[dict[str, Any]]:
    fw = find_framework(registry(lrs), framework)
    records = unit_records(lrs, learner, [fw])
    return [record_view(records[top.uri], top) for top, _ in _units(fw)]


def set_registration_number(lrs: LRS, learner: str, number: str) -> None:
    """Record a learner's registration number with the awarding body (an operator action)."""
    number = number.strip()
    if not number or len(number) > 64:
        raise XAPIError("a registration number is 1 to 64 characters", rule="invalid-registration", path="number")
    lrs.db.write(lambda conn: unit_store.set_registration_number(conn, learner, number))


def registration_number(lrs: LRS, learner: str) -> str:
    with lrs.db.read() as conn:
        return unit_store.registration_number(conn, learner) or ""
