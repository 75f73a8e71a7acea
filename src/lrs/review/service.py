"""The review workflow: decisions recorded as statements, derived into ``review_decisions``, and read back as a
queue, a learner's progress per unit, and the decisions an export carries. No HTTP here.

Only decisions made by the right credential count: an ``accepted``/``referred`` statement whose authority is an
assessor credential reviewing a cohort of the learner, a ``confirmed``/``overturned`` one whose authority is
such an IQA credential. Anyone may store such a statement through /xapi (it is valid xAPI); it is kept, and
ignored by the review.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import Registry, registry
from lrs.competency.frameworks import Framework, FrameworkItem
from lrs.hookspecs import CriterionReview, ReviewDecision
from lrs.learning.journal import agent_from_key
from lrs.review import decisions as rules
from lrs.services import access
from lrs.store import evidence as evidence_store
from lrs.store import reviews as store
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Conflict, NotFound, XAPIError
from lrs.xapi.formats import language_text
from lrs.xapi.ifi import agent_key

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

log = logging.getLogger(__name__)

#: CFItemType of the items assessors judge; frameworks with such items are the queue's default.
CRITERION_TYPES = ("AssessmentCriterion", "Assessment Criterion")


# --- frameworks and criteria -----------------------------------------------------------------------------


def find_framework(reg: Registry, name: str) -> Framework:
    found = reg.frameworks.get(name) or next((f for f in reg.frameworks.values() if f.slug == name), None)
    if found is None:
        known = ", ".join(sorted(f.slug for f in reg.frameworks.values()))
        raise NotFound(f"no framework {name!r} (known: {known})", rule="framework", path="framework")
    return found


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


def assessed_frameworks(reg: Registry) -> list[str]:
    """Frameworks that have assessment criteria (qualifications): the review queue's default."""
    return [uri for uri, fw in reg.frameworks.items() if any(i.item_type in CRITERION_TYPES for i in fw.items)]


# --- recording decisions ---------------------------------------------------------------------------------


def reviewer_agent(principal: Principal) -> dict[str, Any]:
    """The actor of a decision: the credential's own agent (named after the credential) when it is bound to
    one, otherwise its authority agent."""
    if principal.agent_key:
        agent = agent_from_key(principal.agent_key)
        agent["name"] = principal.name
        return agent
    return dict(principal.authority)


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


def _evidence(lrs: LRS, evidence_id: Any) -> tuple[dict[str, Any], str]:
    if not isinstance(evidence_id, str) or not evidence_id.strip():
        raise XAPIError("name the evidence: its statement id", rule="required", path="evidence")
    with lrs.db.read() as conn:
        found = store.statement_summary(conn, evidence_id.strip().lower())
    if found is None or found["voided"] or found["is_voiding"]:
        raise NotFound(f"no evidence statement {evidence_id!r}", rule="evidence", path="evidence")
    learner = agent_key(found["payload"].get("actor") or {})
    if not learner:
        raise XAPIError("that statement's actor is not a learner (a group?)", rule="evidence", path="evidence")
    return found["payload"], learner


def decide(lrs: LRS, principal: Principal, body: Any) -> ReviewDecision:
    """Record a decision from a request body; returns it as derived.

    An assessor: ``{"evidence": <statement id>, "criterion": <IRI or code>, "framework"?: <slug or URI>,
    "outcome": "accepted" | "referred", "feedback": <text, required when referred>}``.
    An IQA: ``{"decision": <assessor decision statement id>, "outcome": "confirmed" | "overturned",
    "feedback": <text, required when overturned>}``.
    """
    if not isinstance(body, dict):
        raise XAPIError("a decision is a JSON object", rule="invalid-review", path="")
    known = {"evidence", "criterion", "framework", "outcome", "feedback", "decision"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise XAPIError(
            f"{unknown[0]!r} is not a decision field ({', '.join(sorted(known))})", rule="unknown-field", path=unknown[0]
        )
    outcome = body.get("outcome")
    if not isinstance(outcome, str) or outcome not in rules.ROLE_OF_OUTCOME:
        raise XAPIError(
            "outcome is one of accepted, referred (assessor), confirmed, overturned (IQA)",
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
    feedback = _feedback(body.get("feedback"), required=outcome == "referred")
    access.check_decide(lrs, principal, learner, "assessor")
    statement = rules.assessor_statement(
        reviewer_agent(principal),
        evidence["id"],
        rules.Criterion(item.uri, item.code, item.title),
        outcome,
        feedback,
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
    feedback = _feedback(body.get("feedback"), required=outcome == "overturned")
    access.check_decide(lrs, principal, target["agent_key"], "iqa")
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
    statement = rules.iqa_statement(
        reviewer_agent(principal), target["statement_id"], target["evidence_id"], criterion, outcome, feedback
    )
    lrs.store_statements(statement, principal, rules.VERSION)
    return _derived(lrs, statement["id"], target["framework_uri"])


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
    return next(d for d in rules.mark_superseded([_decision(r) for r in trail]) if d.statement_id == statement_id)


# --- deriving decisions from statements -------------------------------------------------------------------


def _credential_key(lrs: LRS, statement: dict[str, Any]) -> str | None:
    """The key of the credential that stored a statement, read from its authority."""
    account = (statement.get("authority") or {}).get("account") or {}
    if account.get("homePage") != lrs.settings.authority_home_page:
        return None
    name = account.get("name")
    return name if isinstance(name, str) else None


def derive(lrs: LRS, statements: list[dict[str, Any]]) -> int:
    """Index the decisions among these stored statements (and forget those voided). Returns how many."""
    voided = {
        (s.get("object") or {}).get("id", "").lower()
        for s in statements
        if (s.get("verb") or {}).get("id") == VOIDED_VERB
    }
    # A decision voided in its own batch is not counted either.
    parsed = [(s, p) for s in statements if (p := rules.parse(s)) is not None and p.statement_id not in voided]
    if voided:
        # Most voided statements are not decisions: find out with a read, so that a batch which voids
        # something ordinary does not queue for SQLite's write lock a second time.
        with lrs.db.read() as conn:
            voided = store.decided(conn, voided)
    if not parsed and not voided:
        return 0
    reg = registry(lrs)
    rows: list[dict[str, Any]] = []
    principals: dict[str, Principal | None] = {}
    pending: dict[str, dict[str, Any]] = {}  # decisions earlier in the same batch, for IQA targets
    for statement, decision in parsed:
        key = _credential_key(lrs, statement) or ""
        if key not in principals:
            principals[key] = lrs.principal_for(key) if key else None
        principal = principals[key]
        row = _row(lrs, reg, statement, decision, principal, pending)
        if row is not None:
            rows.append(row)
            pending[row["statement_id"]] = row

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
    if decision.role == "assessor":
        with lrs.db.read() as conn:
            evidence = store.statement_summary(conn, decision.target_id)
        if evidence is None or evidence["voided"] or evidence["is_voiding"]:
            log.info("%s: no evidence statement %s", ignored, decision.target_id)
            return None
        learner = agent_key(evidence["payload"].get("actor") or {})
        item_uri = next((c for c in decision.criteria if c in reg.item_framework), None)
        if not learner or item_uri is None:
            log.info("%s: no learner or no known criterion", ignored)
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
    lrs.db.write(store.clear)
    after, examined, found = 0, 0, 0
    while True:
        with lrs.db.read() as conn:
            batch = store.statements_after(conn, after, batch_size)
        if not batch:
            break
        found += derive(lrs, [payload for _, payload in batch])
        examined += len(batch)
        after = batch[-1][0]
        if on_progress is not None:
            on_progress(len(batch))
    return {"statements": examined, "decisions": found}


# --- reading ------------------------------------------------------------------------------------------------


def _decision(row: dict[str, Any]) -> ReviewDecision:
    payload = row["payload"]
    stamp = payload.get("timestamp") or payload.get("stored") or ""
    return ReviewDecision(
        statement_id=row["statement_id"],
        outcome=row["outcome"],
        role=row["role"],
        evidence_id=row["evidence_id"],
        framework=row["framework_uri"],
        criterion=row["item_uri"],
        reviewer=payload.get("actor") or {},
        feedback=(payload.get("result") or {}).get("response") or "",
        decided=stamp,
        target_id=row["target_id"],
    )


def learner_reviews(
    lrs: LRS, learner: str, frameworks: list[Framework] | None = None
) -> tuple[list[ReviewDecision], dict[str, CriterionReview]]:
    """Every decision on the learner's evidence (store order, superseded marked) and, for every criterion (leaf
    item) of ``frameworks`` (all in force when None), where the learner stands."""
    reg = registry(lrs)
    frameworks = list(reg.frameworks.values()) if frameworks is None else frameworks
    with lrs.db.read() as conn:
        rows = store.decisions_for(conn, learner)
        links: list[tuple[str, str]] = []
        for fw in frameworks:
            links += [(item, s["id"]) for item, s, _ in evidence_store.evidence_for(conn, learner, fw.uri)]
    decisions = rules.mark_superseded([_decision(r) for r in rows])
    outcomes = rules.current_outcomes(decisions)
    evidence: dict[str, list[str]] = {}
    for item, statement_id in links:
        evidence.setdefault(item, []).append(statement_id)
    for d in decisions:  # an assessor may judge evidence against a criterion the learner did not name
        if d.role == "assessor":
            evidence.setdefault(d.criterion, [])
            if d.evidence_id not in evidence[d.criterion]:
                evidence[d.criterion].append(d.evidence_id)
    criteria = {
        leaf.uri: rules.criterion_review(fw.uri, leaf.uri, evidence.get(leaf.uri, []), outcomes)
        for fw in frameworks
        for leaf in fw.leaves()
    }
    return decisions, criteria


def _units(fw: Framework) -> list[tuple[FrameworkItem, list[FrameworkItem]]]:
    """Top-level items and the criteria (leaves) under each; a top-level leaf is its own unit."""
    units = []
    for top in fw.children(None):
        leaves: list[FrameworkItem] = []
        stack = [top]
        while stack:
            node = stack.pop(0)
            kids = fw.children(node.id)
            if kids:
                stack[:0] = kids
            else:
                leaves.append(node)
        units.append((top, leaves))
    return units


def _evidence_view(statement: dict[str, Any], mode: str | None) -> dict[str, Any]:
    from lrs.learning import vocabulary as v

    definition = (statement.get("object") or {}).get("definition") or {}
    extensions = (statement.get("context") or {}).get("extensions") or {}
    return {
        "id": statement["id"],
        "date": (statement.get("timestamp") or statement.get("stored") or "")[:10],
        "title": language_text(definition.get("name")) or (statement.get("object") or {}).get("id"),
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
        "decided": d.decided,
        "target": d.target_id,
        "superseded": d.superseded,
    }


def progress(lrs: LRS, learner: str, framework_name: str) -> dict[str, Any]:
    """A learner's progress in one framework: per unit, per criterion, the status, the evidence and the
    decisions; per unit the counts and whether it is complete (every criterion accepted)."""
    fw = find_framework(registry(lrs), framework_name)
    decisions, criteria = learner_reviews(lrs, learner, [fw])
    ids = {e for c in criteria.values() for e in c.evidence}
    with lrs.db.read() as conn:
        statements = store.judged_evidence(conn, sorted(ids))
    by_pair: dict[tuple[str, str], list[ReviewDecision]] = {}
    for d in decisions:
        by_pair.setdefault((d.evidence_id, d.criterion), []).append(d)
    units_out = []
    totals = dict.fromkeys(rules.STATUSES, 0)
    for unit, leaves in _units(fw):
        counts = dict.fromkeys(rules.STATUSES, 0)
        criteria_out = []
        for leaf in leaves:
            review = criteria[leaf.uri]
            counts[review.status] += 1
            criteria_out.append(
                {
                    "uri": leaf.uri,
                    "code": leaf.code,
                    "title": leaf.title,
                    "status": review.status,
                    "evidence": [
                        {
                            **_evidence_view(*statements[e]),
                            "outcome": outcome,
                            "decisions": [decision_view(d) for d in by_pair.get((e, leaf.uri), [])],
                        }
                        for e, outcome in review.evidence.items()
                        if e in statements
                    ],
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
                "complete": counts["accepted"] == len(leaves) and bool(leaves),
            }
        )
    return {
        "agent": learner,
        "framework": {"uri": fw.uri, "slug": fw.slug, "title": fw.title},
        "units": units_out,
        "counts": totals,
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
    items = []
    for r in rows:
        fw = reg.frameworks.get(r["framework_uri"])
        item = fw.item_by_uri(r["item_uri"]) if fw else None
        criterion = {"uri": r["item_uri"], "code": item.code if item else "", "title": item.title if item else ""}
        if role == "assessor":
            items.append(
                {
                    "learner": r["agent_key"],
                    "framework": r["framework_uri"],
                    "criterion": criterion,
                    "evidence": _evidence_view(r["payload"], r["learning_mode"]),
                    "waiting_since": r["payload"].get("stored"),
                }
            )
        else:
            payload, mode = evidence.get(r["evidence_id"], ({"id": r["evidence_id"]}, None))
            items.append(
                {
                    "learner": r["agent_key"],
                    "framework": r["framework_uri"],
                    "criterion": criterion,
                    "evidence": _evidence_view(payload, mode),
                    "decision": decision_view(replace(_decision(r), superseded=False)),
                    "waiting_since": r["payload"].get("stored"),
                }
            )
    return {"role": role, "items": items, "total": total, "limit": limit, "offset": offset}
