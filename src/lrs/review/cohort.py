"""Unit progress of a whole cohort (the lead's dashboard): for each learner, for the qualification, how many
units are complete, in progress and not started, and how many criteria are accepted of how many. No HTTP here.

It is lrs.review's per-learner reading (service.progress, units.unit_records) asked of every learner at once:
lrs.store.cohort_progress answers in two grouped queries, never one per learner. A criterion's status follows
decisions.criterion_review; a unit is

- complete when the centre has claimed certification of it (units.claim_unit claims only a unit whose criteria
  are all accepted, whose sampling the plan requires is done and which the learner submitted), it is still
  submitted and every criterion is still accepted;
- not started when none of its criteria has evidence;
- in progress otherwise.

A claim made stands for the sampling done before it: this reading does not re-run the sampling plan over the
decisions (units.unit_records does, one learner at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import registry
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


def criterion_status(accepted: bool, awaiting: bool, referred: bool) -> str:
    """The status decisions.criterion_review gives a criterion, from whether some of its evidence is accepted,
    waiting for a decision (or returned by an IQA action), or referred."""
    if accepted:
        return "accepted"
    if awaiting:
        return "awaiting-decision"
    if referred:
        return "referred"
    return "without-evidence"


def nothing_yet(fw: Any) -> UnitProgress:  # noqa: ANN401 - a Framework
    """The progress of a learner without evidence: every unit not started."""
    units = units_of(fw)
    return UnitProgress(not_started=len(units), criteria=sum(len(leaves) for _, leaves in units))


def cohort_unit_progress(lrs: LRS, cohort: str) -> dict[str, Any]:
    """``{"qualifications": [{"uri", "slug", "title"}], "learners": {agent: {framework uri: UnitProgress}}}``:
    the qualifications (frameworks with assessment criteria) some learner of the cohort has evidence for (every
    qualification when nobody has any yet), and each learner's progress in each. A learner without evidence
    has no entry: their progress is ``nothing_yet`` (every unit not started)."""
    reg = registry(lrs)
    assessed = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
    with lrs.db.read() as conn:
        flags = store.criterion_flags(conn, cohort, [fw.uri for fw in assessed])
        claimed = store.claimed_units(conn, cohort, [fw.uri for fw in assessed])
    status: dict[tuple[str, str], str] = {
        (r["agent_key"], r["item_uri"]): criterion_status(
            bool(r["accepted"]), bool(r["awaiting"]), bool(r["referred"])
        )
        for r in flags
    }
    started = {r["framework_uri"] for r in flags}
    shown = [fw for fw in assessed if fw.uri in started] or assessed
    learners: dict[str, dict[str, UnitProgress]] = {}
    agents = sorted({r["agent_key"] for r in flags})
    for fw in shown:
        units = units_of(fw)
        for agent in agents:
            complete = in_progress = not_started = accepted = total = 0
            for unit, leaves in units:
                found = [status.get((agent, leaf.uri), "without-evidence") for leaf in leaves]
                met = sum(1 for s in found if s == "accepted")
                accepted += met
                total += len(leaves)
                if leaves and met == len(leaves) and (agent, unit.uri) in claimed:
                    complete += 1
                elif all(s == "without-evidence" for s in found):
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
