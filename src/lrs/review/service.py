"""The review workflow: decisions recorded as statements, derived into ``review_decisions``, and read back as a
queue, a learner's progress per unit, and the decisions an export carries. No HTTP here.

Only decisions made by the right credential count: an ``accepted``/``referred`` statement whose authority is an
assessor credential reviewing a cohort of the learner, a ``confirmed``/``action-raised`` one whose authority is
such an IQA credential; and only when it keeps the conflict-of-interest rules (not on one's own evidence, not
on one's own decision, not as a learner of the cohort), carries a rationale, and (an assessor's) names a
criterion the evidence is mapped to or maps it. Anyone may store such a statement through /xapi (it is valid
xAPI); it is kept, and ignored by the review.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import Registry, evidence_learner, registry
from lrs.competency.frameworks import Framework, FrameworkItem
from lrs.learning import vocabulary as v
from lrs.review import decisions as rules
from lrs.review.records import (
    CRITERION_TYPES,
    LearnerReviews,
    assessed_frameworks,
    credential_key,
    criteria_from,
    decision_of,
    find_framework,
    learner_reviews,
    links_in,
    read_learner_reviews,
    reviewer_agent,
    units_of,
)
from lrs.review.types import ReviewDecision
from lrs.services import access
from lrs.store import reviews as store
from lrs.store.db import batches_in_store_order
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Conflict, NotFound, XAPIError
from lrs.xapi.formats import language_text
from lrs.xapi.ifi import agent_key

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)



# --- frameworks and criteria -----------------------------------------------------------------------------


def find_criterion(reg: Registry, criterion: str, framework: str | None) -> tuple[Framework, FrameworkItem]:
    """A criterion by its IRI, or by its code ("Template L5 U1 AC1.1") within ``framework``; it must be a leaf."""
    if framework:
        fw = find_framework(reg, framework)
        item = fw.item_by_uri(criterion) or fw.item_by_code(criterion)
    else:
        uri = reg.item_framework.get(criterion)
        fw = reg.frameworks[uri] if uri else None  # type: ignore[assignment]
        item = fw.item_by_uri(criterion) if fw else None
    if fw is None or item is None:
        hint = "" if framework else " (give its IRI, or its code with framework=)"
        raise XAPIError(f"no criterion {criterion!r}{hint}", rule="criterion", path="criterion")
    if fw.children(item.id):
        raise XAPIError(
            f"{item.code} is a {item.item_type or 'group'}, not a criterion: decide on each criterion under it",
            rule="criterion-not-leaf",
            path="criterion",
        )
    return fw, item




# --- recording decisions ---------------------------------------------------------------------------------


def _feedback(value: Any, *, required: bool) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise XAPIError("write feedback: what is missing, or what the learner should do", rule="required", path="feedback")
        return ""
    if not isinstance(value, str):
        raise XAPIError("feedback is text", rule="invalid-review", path="feedback")
    if len(value) > rules.MAX_FEEDBACK:
        raise XAPIError(f"feedback is longer than {rules.MAX_FEEDBACK} characters", rule="invalid-review", path="feedback")
    return value.strip()


def _rationale(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise XAPIError(
            "every decision has a rationale: why the evidence does or does not meet the criterion",
            rule="rationale-required",
            path="rationale",
        )
    if not isinstance(value, str):
        raise XAPIError("rationale is text", rule="invalid-review", path="rationale")
    if len(value) > rules.MAX_RATIONALE:
        raise XAPIError(f"rationale is longer than {rules.MAX_RATIONALE} characters", rule="invalid-review", path="rationale")
    return value.strip()


def _evidence(lrs: LRS, evidence_id: Any) -> tuple[dict[str, Any], str]:
    if not isinstance(evidence_id, str) or not evidence_id.strip():
        raise XAPIError("name the evidence: its statement id", rule="required", path="evidence")
    with lrs.db.read() as conn:
        found = store.statement_summary(conn, evidence_id.strip().lower())
    if found is None or found["voided"] or found["is_voiding"]:
        raise NotFound(f"no evidence statement {evidence_id!r}", rule="evidence", path="evidence")
    learner = evidence_learner(found["payload"])
    if not learner:
        raise XAPIError("that statement's actor is not a learner (a group?)", rule="evidence", path="evidence")
    return found["payload"], learner


def decide(lrs: LRS, principal: Principal, body: Any) -> ReviewDecision:
    """Record a decision from a request body; returns it as derived.

    An assessor: ``{"evidence": <statement id>, "criterion": <IRI or code>, "framework"?: <slug or URI>,
    "outcome": "accepted" | "referred", "rationale": <text>, "feedback": <text, required when referred>,
    "map": true (map the evidence to a criterion the learner did not link it to)}``.
    An IQA: ``{"decision": <assessor decision statement id>, "outcome": "confirmed" | "action-raised",
    "rationale": <text>, "feedback": <the action for the assessor, required when raising one>,
    "sample"?: "plan" | "additional" (default: what the sampling plan says)}``.
    """
    if not isinstance(body, dict):
        raise XAPIError("a decision is a JSON object", rule="invalid-review", path="")
    known = {"evidence", "criterion", "framework", "outcome", "feedback", "decision", "rationale", "map", "sample"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise XAPIError(
            f"{unknown[0]!r} is not a decision field ({', '.join(sorted(known))})", rule="unknown-field", path=unknown[0]
        )
    outcome = body.get("outcome")
    if outcome == "overturned":
        raise XAPIError(
            "an IQA no longer overturns a decision: raise an action (outcome action-raised) and the assessor reassesses",
            rule="invalid-review",
            path="outcome",
        )
    if not isinstance(outcome, str) or outcome not in rules.ROLE_OF_OUTCOME:
        raise XAPIError(
            "outcome is one of accepted, referred (assessor), confirmed, action-raised (IQA)",
            rule="required" if outcome is None else "invalid-review",
            path="outcome",
        )
    if rules.ROLE_OF_OUTCOME[outcome] == "assessor":
        return _assessor_decision(lrs, principal, body, outcome)
    return _iqa_decision(lrs, principal, body, outcome)


def _assessor_decision(lrs: LRS, principal: Principal, body: dict[str, Any], outcome: str) -> ReviewDecision:
    if body.get("decision") is not None:
        raise XAPIError("an assessor decides on evidence, not on a decision", rule="invalid-review", path="decision")
    evidence, learner = _evidence(lrs, body.get("evidence"))
    criterion_raw = body.get("criterion")
    if not isinstance(criterion_raw, str) or not criterion_raw.strip():
        raise XAPIError("name the criterion: its IRI, or its code with framework=", rule="required", path="criterion")
    framework_raw = body.get("framework")
    if framework_raw is not None and not isinstance(framework_raw, str):
        raise XAPIError("framework is a slug or a URI", rule="invalid-review", path="framework")
    reg = registry(lrs)
    fw, item = find_criterion(reg, criterion_raw.strip(), framework_raw)
    # Own evidence first: a reviewer is never enrolled in their own cohort, so the cohort check would hide the reason.
    access.check_not_own_evidence(principal, learner)
    access.check_decide(lrs, principal, learner, "assessor")
    access.check_not_learner_and_reviewer(lrs, principal)
    rationale = _rationale(body.get("rationale"))
    feedback = _feedback(body.get("feedback"), required=outcome == "referred")
    map_raw = body.get("map", False)
    if not isinstance(map_raw, bool):
        raise XAPIError("map is true or false", rule="invalid-review", path="map")
    with lrs.db.read() as conn:
        linked = store.is_linked(conn, evidence["id"].lower(), item.uri)
    if not linked and not map_raw:
        raise XAPIError(
            f"this evidence is not mapped to {item.code}: decide on a criterion it is mapped to, or map it in "
            "this decision (map: true, recorded in the decision)",
            rule="criterion-not-mapped",
            path="criterion",
        )
    statement = rules.assessor_statement(
        reviewer_agent(principal),
        evidence["id"],
        rules.Criterion(item.uri, item.code, item.title),
        outcome,
        feedback,
        rationale=rationale,
        mapped=not linked,
        cohorts=[c for c in principal.cohorts if _names_activity(evidence, c)],
    )
    lrs.store_statements(statement, principal, rules.VERSION)
    return _derived(lrs, statement["id"], fw.uri)


def _iqa_decision(lrs: LRS, principal: Principal, body: dict[str, Any], outcome: str) -> ReviewDecision:
    for field in ("evidence", "criterion", "framework"):
        if body.get(field) is not None:
            raise XAPIError(
                f"an IQA decides on an assessor's decision: give decision=, not {field}=", rule="invalid-review", path=field
            )
    decision_id = body.get("decision")
    if not isinstance(decision_id, str) or not decision_id.strip():
        raise XAPIError("name the assessor's decision: its statement id", rule="required", path="decision")
    with lrs.db.read() as conn:
        target = store.decision(conn, decision_id.strip().lower())
        trail = store.decisions_on(conn, target["evidence_id"], target["item_uri"]) if target else []
    if target is None or target["role"] != "assessor":
        raise NotFound(f"no assessor decision {decision_id!r}", rule="decision", path="decision")
    access.check_not_own_evidence(principal, target["agent_key"])
    access.check_not_own_decision(principal, target["reviewer_key"], agent_key(target_payload(lrs, target)))
    access.check_decide(lrs, principal, target["agent_key"], "iqa")
    access.check_not_learner_and_reviewer(lrs, principal)
    rationale = _rationale(body.get("rationale"))
    feedback = _feedback(body.get("feedback"), required=outcome == "action-raised")
    sample_raw = body.get("sample")
    if sample_raw is not None and sample_raw not in rules.SAMPLE_REASONS:
        raise XAPIError("sample is plan or additional", rule="invalid-review", path="sample")
    latest = [d for d in trail if d["role"] == "assessor"][-1]
    if latest["statement_id"] != target["statement_id"]:
        raise Conflict(
            f"that decision was superseded by the assessor's later decision {latest['statement_id']}",
            rule="decision-superseded",
            path="decision",
        )
    fw = registry(lrs).frameworks.get(target["framework_uri"])
    item = fw.item_by_uri(target["item_uri"]) if fw else None
    criterion = rules.Criterion(target["item_uri"], item.code if item else "", item.title if item else "")
    from lrs.review import units

    sample_reason = sample_raw or ("plan" if units.selected_for_sampling(lrs, target) else "additional")
    statement = rules.iqa_statement(
        reviewer_agent(principal),
        target["statement_id"],
        target["evidence_id"],
        criterion,
        outcome,
        feedback,
        rationale=rationale,
        sample_reason=sample_reason,
    )
    lrs.store_statements(statement, principal, rules.VERSION)
    return _derived(lrs, statement["id"], target["framework_uri"])


def target_payload(lrs: LRS, row: dict[str, Any]) -> dict[str, Any]:
    """The actor of a derived decision's statement (rows from some queries carry the payload already)."""
    if "payload" in row:
        return row["payload"].get("actor") or {}
    with lrs.db.read() as conn:
        found = store.statement_summary(conn, row["statement_id"])
    return (found["payload"].get("actor") or {}) if found else {}


def _names_activity(statement: dict[str, Any], iri: str) -> bool:
    from lrs.xapi.statement import context_activities

    if (statement.get("object") or {}).get("id") == iri:
        return True
    found = context_activities(statement.get("context") or {})
    return any(isinstance(a, dict) and a.get("id") == iri for acts in found.values() for a in acts)


def _derived(lrs: LRS, statement_id: str, framework_uri: str) -> ReviewDecision:
    with lrs.db.read() as conn:
        row = store.decision(conn, statement_id)
        trail = store.decisions_on(conn, row["evidence_id"], row["item_uri"]) if row else []
    if row is None:  # the statement is stored; only the derived row is missing (a rebuild repairs it)
        raise XAPIError(
            "the decision was stored but could not be indexed; run `lrs review rebuild`", status=500, rule="review-index"
        )
    return next(d for d in rules.mark_superseded([decision_of(r) for r in trail]) if d.statement_id == statement_id)


# --- deriving decisions from statements -------------------------------------------------------------------


@functools.cache
def _relevant_verbs() -> frozenset[str]:
    """The verbs of the statements the review derives anything from: decisions (rules.parse answers None for
    any other verb), unit submissions, claims and sampling plans, and voiding."""
    from lrs.review import units

    return frozenset({*rules.OUTCOME_OF_VERB, *units.UNIT_VERBS, VOIDED_VERB})


def derive(lrs: LRS, statements: list[dict[str, Any]]) -> int:
    """Index the decisions among these stored statements (and forget those voided), then the unit submissions,
    claims and sampling plans (a claim is checked against the decisions, so they come first). Returns how many
    decisions."""
    # Almost no statement an LMS sends is a decision, a unit's, a claim's, a plan's or a voiding: one set
    # look-up per statement finds that out, and the review then costs nothing more (no parsing, no SQL).
    relevant = _relevant_verbs()
    if not any((s.get("verb") or {}).get("id") in relevant for s in statements):
        return 0
    from lrs.review import units

    voided = {
        (s.get("object") or {}).get("id", "").lower()
        for s in statements
        if (s.get("verb") or {}).get("id") == VOIDED_VERB
    }
    decisions: set[str] = set()
    derived: set[str] = set()
    if voided:
        # Most voided statements are neither decisions nor a unit's submission, claim or plan: one read finds
        # out (both kinds in one query), so that a batch which voids something ordinary does not queue for
        # SQLite's write lock a second time.
        with lrs.db.read() as conn:
            decisions, derived = store.voided_derivations(conn, voided)
    found = _derive_decisions(lrs, statements, voided, decisions)
    units.derive(lrs, [s for s in statements if s["id"].lower() not in voided], voided, indexed=derived)
    return found


def _derive_decisions(
    lrs: LRS, statements: list[dict[str, Any]], voided: set[str], voided_decisions: set[str]
) -> int:
    """``voided``: the ids the batch voids; ``voided_decisions``: those of them that are indexed decisions."""
    # A decision voided in its own batch is not counted either.
    parsed = [(s, p) for s in statements if (p := rules.parse(s)) is not None and p.statement_id not in voided]
    voided = voided_decisions
    if not parsed and not voided:
        return 0
    reg = registry(lrs)
    rows: list[dict[str, Any]] = []
    principals: dict[str, Principal | None] = {}
    pending: dict[str, dict[str, Any]] = {}  # decisions earlier in the same batch, for IQA targets
    for statement, decision in parsed:
        key = credential_key(lrs, statement) or ""
        if key not in principals:
            principals[key] = lrs.principal_for(key) if key else None
        principal = principals[key]
        row = _row(lrs, reg, statement, decision, principal, pending)
        if row is not None:
            rows.append(row)
            # With the actor's agent, for the own-decision rule when an IQA's sample comes in the same batch
            # (as it always does in a rebuild, which reads the store in batches).
            pending[row["statement_id"]] = {**row, "actor_agent": agent_key(statement.get("actor") or {})}

    if not rows and not voided:
        return 0

    def write(conn: Any) -> None:
        store.delete_decisions(conn, voided)
        store.insert_decisions(conn, rows)

    lrs.db.write(write)
    return len(rows)


def _row(
    lrs: LRS,
    reg: Registry,
    statement: dict[str, Any],
    decision: rules.ParsedDecision,
    principal: Principal | None,
    pending: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    ignored = f"statement {decision.statement_id} ({decision.outcome}) is not counted as a decision"
    if principal is None or principal.role != decision.role:
        log.info("%s: its authority is not an %s credential", ignored, decision.role)
        return None
    if not decision.rationale.strip():
        log.info("%s: it has no rationale", ignored)
        return None
    if decision.role == "assessor":
        with lrs.db.read() as conn:
            evidence = store.statement_summary(conn, decision.target_id)
        if evidence is None or evidence["voided"] or evidence["is_voiding"]:
            log.info("%s: no evidence statement %s", ignored, decision.target_id)
            return None
        learner = evidence_learner(evidence["payload"])
        item_uri = next((c for c in decision.criteria if c in reg.item_framework), None)
        if not learner or item_uri is None:
            log.info("%s: no learner or no known criterion", ignored)
            return None
        with lrs.db.read() as conn:
            linked = store.is_linked(conn, decision.target_id, item_uri)
        if not linked and not decision.mapped:
            log.info("%s: the evidence is not mapped to the criterion and the decision does not map it", ignored)
            return None
        framework_uri, evidence_id = reg.item_framework[item_uri], decision.target_id
    else:
        target = pending.get(decision.target_id)
        if target is None:
            with lrs.db.read() as conn:
                target = store.decision(conn, decision.target_id)
        if target is None or target["role"] != "assessor":
            log.info("%s: no assessor decision %s", ignored, decision.target_id)
            return None
        learner, item_uri = target["agent_key"], target["item_uri"]
        framework_uri, evidence_id = target["framework_uri"], target["evidence_id"]
        assessor_agent = (
            target["actor_agent"] if "actor_agent" in target else agent_key(target_payload(lrs, target))
        )
        if principal.key == target["reviewer_key"] or (principal.agent_key and principal.agent_key == assessor_agent):
            log.info("%s: an IQA does not sample their own decision (own-decision)", ignored)
            return None
    if principal.agent_key and principal.agent_key == learner:
        log.info("%s: nobody decides on their own evidence (own-evidence)", ignored)
        return None
    if principal.agent_key:
        with lrs.db.read() as conn:
            if store.has_evidence_in_cohorts(conn, principal.agent_key, principal.cohorts):
                log.info("%s: the reviewer is a learner of a cohort they review (learner-and-reviewer)", ignored)
                return None
    with lrs.db.read() as conn:
        if not store.learner_in_cohorts(conn, learner, principal.cohorts):
            log.info("%s: the learner is not in the reviewer's cohorts", ignored)
            return None
    return {
        "statement_id": decision.statement_id,
        "agent_key": learner,
        "evidence_id": evidence_id,
        "framework_uri": framework_uri,
        "item_uri": item_uri,
        "role": decision.role,
        "outcome": decision.outcome,
        "reviewer_key": principal.key,
        "target_id": decision.target_id if decision.role == "iqa" else None,
        "decided": decision.decided,
    }


def rebuild(
    lrs: LRS, batch_size: int = 1000, *, on_progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Forget every derived decision and derive them again from the stored statements, in store order;
    ``on_progress(n)`` after each batch of ``n`` statements."""
    from lrs.review import units

    lrs.db.write(store.clear)
    lrs.db.write(units.clear)
    examined, found = 0, 0
    for batch in batches_in_store_order(lrs.db, store.statements_after, batch_size):
        found += derive(lrs, [payload for _, payload in batch])
        examined += len(batch)
        if on_progress is not None:
            on_progress(len(batch))
    return {"statements": examined, "decisions": found}


# --- reading ------------------------------------------------------------------------------------------------


def _occasion(statement: dict[str, Any]) -> str:
    """The name of an assessor's record's occasion (its object is the learner, so the name is in context)."""
    other = ((statement.get("context") or {}).get("contextActivities") or {}).get("other") or []
    for activity in other if isinstance(other, list) else [other]:
        name = language_text(((activity or {}).get("definition") or {}).get("name"))
        if name:
            return name
    return ""


def _evidence_view(statement: dict[str, Any], mode: str | None) -> dict[str, Any]:

    definition = (statement.get("object") or {}).get("definition") or {}
    extensions = (statement.get("context") or {}).get("extensions") or {}
    return {
        "id": statement["id"],
        "date": (statement.get("timestamp") or statement.get("stored") or "")[:10],
        "title": language_text(definition.get("name")) or _occasion(statement) or (statement.get("object") or {}).get("id"),
        "verb": (statement.get("verb") or {}).get("id"),
        "mode": mode,
        "evidence_type": extensions.get(v.EXT_EVIDENCE_TYPE),
    }


def decision_view(d: ReviewDecision) -> dict[str, Any]:
    return {
        "id": d.statement_id,
        "role": d.role,
        "outcome": d.outcome,
        "reviewer": d.reviewer,
        "feedback": d.feedback,
        "rationale": d.rationale,
        "mapped": d.mapped,
        "sample_reason": d.sample_reason or None,
        "decided": d.decided,
        "target": d.target_id,
        "superseded": d.superseded,
    }


def progress(lrs: LRS, learner: str, framework_name: str) -> dict[str, Any]:
    """A learner's progress in one framework: per unit, per criterion, the status, the evidence and the
    decisions; per unit the counts, whether it is assessed (every criterion accepted), its submissions, sampling
    and claim, and whether it is complete (assessed, sampled, submitted and claimed)."""
    return progress_in(lrs, learner, [framework_name])[0]


def progress_in(lrs: LRS, learner: str, framework_names: list[str]) -> list[dict[str, Any]]:
    """:func:`progress` in each of these frameworks, from one read of the learner's review: the decisions, the
    evidence, the units' submissions and claims and the sampling plan's selection are each read once, in one
    transaction, however many frameworks and units there are."""
    from lrs.review import units as certification

    reg = registry(lrs)
    frameworks = [find_framework(reg, name) for name in framework_names]
    out = []
    with lrs.db.read() as conn:
        # The decisions are the learner's (not one framework's): read once; the criteria are worked out per
        # framework from them, as a request for that framework alone would.
        reviews = read_learner_reviews(conn, learner, [])
        per_framework = [(fw, _reviews_for(conn, learner, fw, reviews)) for fw in frameworks]
        ids = {e for _, found in per_framework for c in found.criteria.values() for e in c.evidence}
        statements = store.judged_evidence(conn, sorted(ids))
        payloads = {e: payload for e, (payload, _) in statements.items()}
        records = [
            certification.read_unit_records(lrs, conn, learner, [fw], found, payloads) for fw, found in per_framework
        ]
    for (fw, found), unit_records in zip(per_framework, records, strict=True):
        out.append(_progress_view(learner, fw, found, statements, unit_records))
    return out


def _reviews_for(conn: Any, learner: str, fw: Framework, everything: LearnerReviews) -> LearnerReviews:
    """The learner's review in one framework, from the decisions already read (only the links are read)."""
    return criteria_from(everything.rows, everything.decisions, links_in(conn, learner, [fw]), [fw])


def _progress_view(
    learner: str,
    fw: Framework,
    found: LearnerReviews,
    statements: dict[str, tuple[dict[str, Any], str | None]],
    records: dict[str, Any],
) -> dict[str, Any]:
    from lrs.review import units as certification

    decisions, criteria = found.decisions, found.criteria
    by_pair: dict[tuple[str, str], list[ReviewDecision]] = {}
    for d in decisions:
        by_pair.setdefault((d.evidence_id, d.criterion), []).append(d)
    units_out = []
    totals = dict.fromkeys(rules.STATUSES, 0)
    views: dict[str, dict[str, Any]] = {}
    for unit, leaves in units_of(fw):
        counts = dict.fromkeys(rules.STATUSES, 0)
        criteria_out = []
        for leaf in leaves:
            review = criteria[leaf.uri]
            counts[review.status] += 1
            evidence_out = []
            for e, outcome in review.evidence.items():
                if e not in statements:
                    continue
                if e not in views:
                    views[e] = _evidence_view(*statements[e])
                evidence_out.append(
                    {
                        **views[e],
                        "outcome": outcome,
                        "decisions": [decision_view(d) for d in by_pair.get((e, leaf.uri), [])],
                    }
                )
            criteria_out.append(
                {
                    "uri": leaf.uri,
                    "code": leaf.code,
                    "title": leaf.title,
                    "status": review.status,
                    "evidence": evidence_out,
                }
            )
        for status, n in counts.items():
            totals[status] += n
        units_out.append(
            {
                "uri": unit.uri,
                "code": unit.code,
                "title": unit.title,
                "criteria": criteria_out,
                "counts": counts,
                # Every criterion accepted; "complete" also needs the plan's sampling, the submission and the
                # centre's claim (lrs.review.units).
                "assessed": counts["accepted"] == len(leaves) and bool(leaves),
                "certification": certification.record_view(records[unit.uri]),
                "complete": records[unit.uri].complete,
            }
        )
    return {
        "agent": learner,
        "framework": {"uri": fw.uri, "slug": fw.slug, "title": fw.title},
        "units": units_out,
        "counts": totals,
        "units_assessed": sum(1 for u in units_out if u["assessed"]),
        "units_complete": sum(1 for u in units_out if u["complete"]),
        "complete": all(u["complete"] for u in units_out) and bool(units_out),
    }


def queue(
    lrs: LRS,
    principal: Principal,
    *,
    cohort: str | None = None,
    framework: str | None = None,
    role: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """What awaits a decision, oldest first: for an assessor, evidence of its cohorts' learners that no
    assessor has decided on; for an IQA, current assessor decisions no IQA has confirmed or overturned. An
    admin sees either (``role``) across every learner, or one cohort's."""
    access.check_queue(principal)
    if principal.role in access.REVIEWERS:
        if role is not None and role != principal.role:
            raise XAPIError(f"an {principal.role} sees its own queue", rule="review-role", path="role")
        role = principal.role
        cohorts: list[str] | None = list(principal.cohorts)
        if cohort is not None:
            if cohort not in principal.cohorts:
                raise XAPIError(
                    f"this {principal.role} does not review that cohort", status=403, rule="cohort-scope", path="cohort"
                )
            cohorts = [cohort]
    else:
        role = role or "assessor"
        if role not in access.REVIEWERS:
            raise XAPIError("role is assessor or iqa", rule="invalid-parameter", path="role")
        cohorts = [cohort] if cohort else None
    reg = registry(lrs)
    framework_uris = [find_framework(reg, framework).uri] if framework else assessed_frameworks(reg)
    from lrs.review import units as certification

    with lrs.db.read() as conn:
        if role == "assessor":
            rows, total = store.awaiting_assessment(
                conn, cohorts=cohorts, framework_uris=framework_uris, limit=limit, offset=offset
            )
        else:
            rows, total = store.awaiting_quality_assurance(
                conn, cohorts=cohorts, framework_uris=framework_uris, limit=limit, offset=offset
            )
            evidence = store.judged_evidence(conn, sorted({r["evidence_id"] for r in rows}))
            # Whether the plan in force selects each decision: worked out for the page at once, in this
            # transaction (it read the plan, each reviewer's first decisions and the evidence per row before).
            selected = certification.selected_by_plan(
                lrs, rows, certification.plan_in(conn)["plan"],
                evidence={e: payload for e, (payload, _) in evidence.items()}, conn=conn,
            )
    if role == "assessor":
        items = [_assessor_item(reg, r) for r in rows]
    else:
        items = [_iqa_item(reg, r, evidence, r["statement_id"] in selected) for r in rows]
    return {"role": role, "items": items, "total": total, "limit": limit, "offset": offset}


def _criterion(reg: Registry, framework_uri: str, item_uri: str) -> dict[str, str]:
    fw = reg.frameworks.get(framework_uri)
    item = fw.item_by_uri(item_uri) if fw else None
    return {"uri": item_uri, "code": item.code if item else "", "title": item.title if item else ""}


def _assessor_item(reg: Registry, r: dict[str, Any]) -> dict[str, Any]:
    """A queue item of an assessor: a waiting evidence link (with its statement's payload)."""
    return {
        "learner": r["agent_key"],
        "framework": r["framework_uri"],
        "criterion": _criterion(reg, r["framework_uri"], r["item_uri"]),
        "evidence": _evidence_view(r["payload"], r["learning_mode"]),
        "waiting_since": r["payload"].get("stored"),
    }


def _iqa_item(
    reg: Registry, r: dict[str, Any], evidence: dict[str, tuple[dict[str, Any], str | None]], selected: bool
) -> dict[str, Any]:
    """A queue item of an IQA: a waiting assessor decision (with its payload) and the evidence it judged."""
    payload, mode = evidence.get(r["evidence_id"], ({"id": r["evidence_id"]}, None))
    return {
        "learner": r["agent_key"],
        "framework": r["framework_uri"],
        "criterion": _criterion(reg, r["framework_uri"], r["item_uri"]),
        "evidence": _evidence_view(payload, mode),
        "decision": decision_view(replace(decision_of(r), superseded=False)),
        # The plan in force selects it: sampling it is required before the unit can be claimed.
        "selected_by_plan": selected,
        "waiting_since": r["payload"].get("stored"),
    }


def unit_code(criterion_code: str) -> str:
    """The unit part of a criterion's code ("Template L5 U1" of "Template L5 U1 AC1.1"), or the code itself."""
    return criterion_code.rsplit(" ", 1)[0] if " " in criterion_code else criterion_code


def assessor_queue_page(
    lrs: LRS,
    principal: Principal,
    *,
    cohort: str | None = None,
    unit: str | None = None,
    evidence_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The assessor's queue page: one page of the evidence waiting for a decision, oldest first, of the
    assessor's cohorts (or ``cohort``), only a ``unit``'s criteria (its code, "Template L5 U1") and one
    ``evidence_type`` when given; the totals of the whole filtered queue (pieces of evidence, learners); and
    the units and kinds of evidence that have something waiting (the filters' choices). Read in one transaction,
    from evidence_links and review_decisions, and the page's statements only."""
    access.check_queue(principal)
    if principal.role != access.ASSESSOR:
        raise XAPIError("this page is an assessor's queue", status=403, rule="review-role", path="role")
    cohorts = list(principal.cohorts)
    if cohort is not None:
        if cohort not in principal.cohorts:
            raise XAPIError("this assessor does not review that cohort", status=403, rule="cohort-scope", path="cohort")
        cohorts = [cohort]
    reg = registry(lrs)
    framework_uris = assessed_frameworks(reg)
    leaves = [(leaf.uri, leaf.code) for uri in framework_uris for leaf in reg.frameworks[uri].leaves()]
    item_uris = [u for u, code in leaves if code == unit or code.startswith(f"{unit} ")] if unit else None
    with lrs.db.read() as conn:
        rows, total, learners = store.awaiting_assessment_page(
            conn, cohorts=cohorts, framework_uris=framework_uris, limit=limit, offset=offset,
            item_uris=item_uris, evidence_type=evidence_type,
        )
        choices = store.waiting_choices(conn, cohorts=cohorts, framework_uris=framework_uris)
    codes = dict(leaves)
    units = sorted({unit_code(codes[u]) for u, _ in choices if codes.get(u)})
    kinds = sorted({k for _, k in choices if k})
    return {
        "items": [_assessor_item(reg, r) for r in rows],
        "total": total,
        "learners": learners,
        "units": units,
        "kinds": kinds,
        "limit": limit,
        "offset": offset,
    }


#: Fewer assessor decisions than this, and an assessor counts as new: their decisions are worth sampling.
NEW_ASSESSOR_DECISIONS = 20

#: An IQA's reasons to sample a decision, in the order the sampling page lists them.
REASON_PLAN = "Selected by the sampling plan"
REASON_REFERRAL = "A referral"
REASON_NEW_ASSESSOR = "A new assessor"
REASON_UNIT_NOT_SAMPLED = "A unit not sampled yet"


def sampling_page(lrs: LRS, principal: Principal, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """The IQA's sampling page: every assessor decision of the IQA's cohorts waiting to be sampled, with its
    reasons to sample it (the plan selects it, a referral, a new assessor, a unit no IQA has sampled yet),
    those with the most reasons first (oldest first among equals); one page of them in full, and the total.

    The reasons are worked out for every waiting decision from review_decisions and evidence_links (a few
    grouped reads, no statement payload); only the page's decisions and evidence are read in full."""
    from lrs.review import units as certification

    access.check_queue(principal)
    if principal.role != access.IQA:
        raise XAPIError("this page is an IQA's sampling list", status=403, rule="review-role", path="role")
    cohorts = list(principal.cohorts)
    reg = registry(lrs)
    with lrs.db.read() as conn:
        rows = store.quality_assurance_candidates(conn, cohorts=cohorts, framework_uris=assessed_frameworks(reg))
        unlinked = sorted({r["evidence_id"] for r in rows if not r["linked"]})
        types = {r["evidence_id"]: r["evidence_type"] for r in rows if r["linked"]}
        types.update(
            (e, certification.evidence_type_of(s)) for e, s in store.statements_by_id(conn, unlinked).items()
        )
        selected = certification.selected_by_plan(
            lrs, rows, certification.plan_in(conn)["plan"], evidence_types=types, conn=conn
        )
        sampled = store.sampled_criteria(conn, cohorts)
        made = store.decisions_made(conn, [r["reviewer_key"] for r in rows])
        unit_sampled: dict[str, bool] = {}
        for r in rows:
            reasons = []
            if r["statement_id"] in selected:
                reasons.append(REASON_PLAN)
            if r["outcome"] == "referred":
                reasons.append(REASON_REFERRAL)
            if made.get(r["reviewer_key"], 0) < NEW_ASSESSOR_DECISIONS:
                reasons.append(REASON_NEW_ASSESSOR)
            unit = r["item_uri"].rsplit(".", 1)[0]
            if unit not in unit_sampled:
                unit_sampled[unit] = any(u.startswith(unit) for u in sampled)
            if not unit_sampled[unit]:
                reasons.append(REASON_UNIT_NOT_SAMPLED)
            r["reasons"] = reasons
        # Most reasons first; the candidates come oldest first and the sort is stable.
        rows.sort(key=lambda r: -len(r["reasons"]))
        page = rows[offset : offset + limit]
        full = store.decisions_with_payloads(conn, [r["statement_id"] for r in page])
        evidence = store.judged_evidence(conn, sorted({r["evidence_id"] for r in page}))
    items = []
    for r in page:
        if r["statement_id"] not in full:  # its statement is gone (erased) since the candidates were read
            continue
        item = _iqa_item(reg, full[r["statement_id"]], evidence, r["statement_id"] in selected)
        item["reasons"] = r["reasons"]
        items.append(item)
    return {"items": items, "total": len(rows), "limit": limit, "offset": offset}


__all__ = ["CRITERION_TYPES", "assessed_frameworks", "find_framework", "learner_reviews", "reviewer_agent"]
