"""Unit progress of a whole cohort (the lead's dashboard): for each learner, in the qualification, how many
units are complete, in progress and not started, and how many criteria are met of how many. No HTTP here.

It is lrs.review's reading of one learner (records.learner_reviews, service.progress) done for every learner
at once: lrs.store.cohort_progress reads the cohort's evidence links, decisions and claimed units in three
queries, never one per learner, and each criterion's status comes from the review's own rules
(decisions.current_outcomes, decisions.criterion_review). A unit is

- complete when the centre has claimed certification of it (units.claim_unit claims only a unit whose criteria
  are all accepted, whose sampling the plan requires is done and which the learner submitted), it is still
  submitted and every criterion is still accepted;
- not started when none of its criteria has evidence;
- in progress otherwise.

A claim stands for the sampling done before it: this reading does not run the sampling plan over the decisions
again (units.unit_records does, one learner at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import registry
from lrs.competency.frameworks import Framework
from lrs.review import decisions as rules
from lrs.review.records import assessed_frameworks, units_of
from lrs.store import cohort_progress as store

if TYPE_CHECKING:
    from lrs.services.statements import LRS


@dataclass(frozen=True)
class UnitProgress:
    """One learner's progress in one qualification."""

    complete: int = 0
    in_progress: int = 0
    not_started: int = 0
    criteria_accepted: int = 0
    criteria: int = 0

    @property
    def units(self) -> int:
        return self.complete + self.in_progress + self.not_started


def nothing_yet(fw: Framework) -> UnitProgress:
    """The progress of a learner without evidence: every unit not started."""
    units = units_of(fw)
    return UnitProgress(not_started=len(units), criteria=sum(len(leaves) for _, leaves in units))


def cohort_unit_progress(lrs: LRS, cohort: str) -> dict[str, Any]:
    """``{"qualifications": [{"uri", "slug", "title"}], "learners": {agent: {framework uri: UnitProgress}},
    "nothing_yet": {framework uri: UnitProgress}}``: the qualifications (frameworks with assessment criteria)
    some learner of the cohort has evidence for (every qualification when nobody has any yet), and each
    learner's progress in each. A learner without evidence has no entry: their progress is ``nothing_yet``."""
    reg = registry(lrs)
    assessed = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
    uris = [fw.uri for fw in assessed]
    with lrs.db.read() as conn:
        links = store.evidence_links(conn, cohort, uris)
        rows = store.decisions(conn, cohort, uris)
        claimed = store.claimed_units(conn, cohort, uris)
    # Each learner's evidence per criterion: the links, then what an assessor judged against a criterion the
    # learner did not name, as records.learner_reviews gathers them.
    evidence: dict[str, dict[str, list[str]]] = {}
    for agent, item, statement_id in links:
        evidence.setdefault(agent, {}).setdefault(item, []).append(statement_id)
    for row in rows:
        if row.role == "assessor":
            mine = evidence.setdefault(row.agent_key, {}).setdefault(row.criterion, [])
            if row.evidence_id not in mine:
                mine.append(row.evidence_id)
    # The current outcome of each (evidence, criterion): one call for the whole cohort, since a piece of
    # evidence is one learner's (the rows carry the fields current_outcomes reads of a decision).
    outcomes = rules.current_outcomes(rows)
    started = {reg.item_framework.get(item) for items in evidence.values() for item in items}
    shown = [fw for fw in assessed if fw.uri in started] or assessed
    units = {fw.uri: units_of(fw) for fw in shown}
    learners: dict[str, dict[str, UnitProgress]] = {}
    for agent, items in evidence.items():
        for fw in shown:
            complete = in_progress = not_started = accepted = total = 0
            for unit, leaves in units[fw.uri]:
                found = [
                    rules.criterion_review(fw.uri, leaf.uri, items[leaf.uri], outcomes).status
                    if leaf.uri in items
                    else "without-evidence"
                    for leaf in leaves
                ]
                met = found.count("accepted")
                accepted += met
                total += len(leaves)
                if leaves and met == len(leaves) and (agent, unit.uri) in claimed:
                    complete += 1
                elif found.count("without-evidence") == len(found):
                    not_started += 1
                else:
                    in_progress += 1
            learners.setdefault(agent, {})[fw.uri] = UnitProgress(
                complete, in_progress, not_started, accepted, total
            )
    return {
        "qualifications": [{"uri": fw.uri, "slug": fw.slug, "title": fw.title} for fw in shown],
        "learners": learners,
        "nothing_yet": {fw.uri: nothing_yet(fw) for fw in shown},
    }
