"""What the review's other modules share: frameworks and units, the reviewer agent of a credential, the
credential behind a stored statement, and a learner's derived decisions and criteria (no HTTP here).
lrs.review.service re-exports these names, which callers already use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import Registry, registry
from lrs.competency.frameworks import Framework, FrameworkItem
from lrs.learning import vocabulary as v
from lrs.review import decisions as rules
from lrs.review.types import CriterionReview, ReviewDecision
from lrs.store import evidence as evidence_store
from lrs.store import reviews as store
from lrs.xapi.ifi import agent_from_key

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

#: CFItemType of the items assessors judge; frameworks with such items are the queue's default.
CRITERION_TYPES = ("AssessmentCriterion", "Assessment Criterion")


def find_framework(reg: Registry, name: str) -> Framework:
    """The framework a URI or slug names, or a 404 (lrs.competency.evidence.Registry.find)."""
    return reg.find(name)


def assessed_frameworks(reg: Registry) -> list[str]:
    """Frameworks that have assessment criteria (qualifications): the review queue's default."""
    return [uri for uri, fw in reg.frameworks.items() if any(i.item_type in CRITERION_TYPES for i in fw.items)]


def reviewer_agent(principal: Principal) -> dict[str, Any]:
    """The actor of a decision: the credential's own agent (named after the credential) when it is bound to
    one, otherwise its authority agent."""
    if principal.agent_key:
        agent = agent_from_key(principal.agent_key)
        agent["name"] = principal.name
        return agent
    return dict(principal.authority)


def credential_key(lrs: LRS, statement: dict[str, Any]) -> str | None:
    """The key of the credential that stored a statement, read from its authority."""
    account = (statement.get("authority") or {}).get("account") or {}
    if account.get("homePage") != lrs.settings.authority_home_page:
        return None
    name = account.get("name")
    return name if isinstance(name, str) else None


def decision_of(row: dict[str, Any]) -> ReviewDecision:
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
        rationale=_text(((payload.get("result") or {}).get("extensions") or {}).get(v.EXT_RATIONALE)),
        mapped=((payload.get("context") or {}).get("extensions") or {}).get(v.EXT_MAPPED_IN_DECISION) is True,
        sample_reason=_text(((payload.get("context") or {}).get("extensions") or {}).get(v.EXT_SAMPLE_REASON)),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def learner_reviews(
    lrs: LRS, learner: str, frameworks: list[Framework] | None = None
) -> tuple[list[ReviewDecision], dict[str, CriterionReview]]:
    """Every decision on the learner's evidence (store order, superseded marked) and, for every criterion (leaf
    item) of ``frameworks`` (all in force when None), where the learner stands."""
    reg = registry(lrs)
    frameworks = list(reg.frameworks.values()) if frameworks is None else frameworks
    with lrs.db.read() as conn:
        found = read_learner_reviews(conn, learner, frameworks)
    return found.decisions, found.criteria


@dataclass(frozen=True)
class LearnerReviews:
    """What one read of a learner's review gives: the decision rows (with their statements' payloads, store
    order), the decisions made of them (superseded marked), and where the learner stands on each criterion."""

    rows: list[dict[str, Any]]
    decisions: list[ReviewDecision]
    criteria: dict[str, CriterionReview]


def read_learner_reviews(conn: Any, learner: str, frameworks: list[Framework]) -> LearnerReviews:
    """:func:`learner_reviews` in a read transaction the caller holds, keeping the rows (a caller that also works
    out the learner's units needs them, and should not read them again)."""
    rows = store.decisions_for(conn, learner)
    decisions = rules.mark_superseded([decision_of(r) for r in rows])
    return criteria_from(rows, decisions, links_in(conn, learner, frameworks), frameworks)


def links_in(conn: Any, learner: str, frameworks: list[Framework]) -> list[tuple[str, str]]:
    """(item IRI, statement id) of the learner's evidence links in these frameworks, oldest first."""
    links: list[tuple[str, str]] = []
    for fw in frameworks:
        links += evidence_store.evidence_ids_for(conn, learner, fw.uri)
    return links


def criteria_from(
    rows: list[dict[str, Any]], decisions: list[ReviewDecision], links: list[tuple[str, str]], frameworks: list[Framework]
) -> LearnerReviews:
    """Where the learner stands on each criterion of ``frameworks``, from their decisions and evidence links."""
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
    return LearnerReviews(rows, decisions, criteria)


def units_of(fw: Framework) -> list[tuple[FrameworkItem, list[FrameworkItem]]]:
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
