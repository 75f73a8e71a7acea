"""Unit progress of a whole cohort (the lead's dashboard): for each learner, in the qualification, how many
units are complete, in progress and not started, and how many criteria are met of how many. No HTTP here.

It is lrs.review's reading of one learner (records.learner_reviews, service.progress) done for every learner
at once: lrs.store.cohort_progress reads the cohort's evidenced criteria, each with whether it is met (the
derived ``learner_criteria``: a criterion is met, as in decisions.criterion_review, when some of its evidence's
current outcome is accepted, decisions.current_outcomes), and the claimed units in two queries, never one per
learner. A unit is

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
from lrs.review.records import assessed_frameworks, units_of
from lrs.store import cohort_progress as store
from lrs.store.evidence import imported_version

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


def cohort_unit_progress(lrs: LRS, cohort: str, *, conn: Any = None) -> dict[str, Any]:  # noqa: ANN401
    """``{"qualifications": [{"uri", "slug", "title"}], "learners": {agent: {framework uri: UnitProgress}},
    "nothing_yet": {framework uri: UnitProgress}}``: the qualifications (frameworks with assessment criteria)
    some learner of the cohort has evidence for (none when nobody has any yet), and each learner's progress in
    each. A learner without evidence has no entry: their progress is ``nothing_yet``. ``conn``: read in the
    caller's transaction (the lead's dashboard reads its panels in one), else in one of its own."""
    if conn is None:
        with lrs.db.read() as own:
            return cohort_unit_progress(lrs, cohort, conn=own)
    return unit_progress(read_unit_progress(lrs, cohort, conn))


def read_unit_progress(lrs: LRS, cohort: str, conn: Any) -> tuple[Any, ...]:  # noqa: ANN401
    """What :func:`unit_progress` works the cohort's progress out from, read in ``conn``'s transaction: the
    framework registry, the assessed frameworks, the learners' evidenced criteria and their claimed units. The
    lead's dashboard reads this with its other panels and works it out after (its reads back to back)."""
    reg = registry(lrs, imported_version(conn))
    assessed = [reg.frameworks[uri] for uri in assessed_frameworks(reg)]
    uris = [fw.uri for fw in assessed]
    return reg, assessed, store.criteria(conn, cohort, uris), store.claimed_units(conn, cohort, uris)


def unit_progress(read: tuple[Any, ...]) -> dict[str, Any]:
    """:func:`cohort_unit_progress` from what :func:`read_unit_progress` read."""
    reg, assessed, criteria, claimed = read
    # A criterion has evidence when the learner linked some to it or an assessor judged some against it
    # (records.learner_reviews); it is met when the current outcome of some of that evidence is accepted
    # (decisions.criterion_review). lrs.store.learner_criteria keeps both per learner with every change to the
    # links, the decisions and their statements; tests/review/test_cohort_progress.py compares them with each
    # learner's progress worked out from the links and decisions.
    evidenced: dict[str, set[str]] = {}
    met: dict[str, set[str]] = {}
    for agent, item, is_met in criteria:
        evidenced.setdefault(agent, set()).add(item)
        if is_met:
            met.setdefault(agent, set()).add(item)
    started = {reg.item_framework.get(item) for items in evidenced.values() for item in items}
    shown = [fw for fw in assessed if fw.uri in started]
    learners: dict[str, dict[str, UnitProgress]] = {}
    for fw in shown:
        units = units_of(fw)
        # Each criterion's units (by position), so a learner costs their own criteria, not every unit's.
        unit_of: dict[str, list[int]] = {}
        for i, (_, leaves) in enumerate(units):
            for leaf in leaves:
                unit_of.setdefault(leaf.uri, []).append(i)
        sizes = [len(leaves) for _, leaves in units]
        total = sum(sizes)
        for agent, items in evidenced.items():
            with_evidence = [0] * len(units)
            accepted = [0] * len(units)
            for item in items:
                for i in unit_of.get(item, ()):
                    with_evidence[i] += 1
            for item in met.get(agent, ()):
                for i in unit_of.get(item, ()):
                    accepted[i] += 1
            complete = in_progress = not_started = 0
            for i, (unit, _) in enumerate(units):
                if sizes[i] and accepted[i] == sizes[i] and (agent, unit.uri) in claimed:
                    complete += 1
                elif not with_evidence[i]:
                    not_started += 1
                else:
                    in_progress += 1
            learners.setdefault(agent, {})[fw.uri] = UnitProgress(
                complete, in_progress, not_started, sum(accepted), total
            )
    return {
        "qualifications": [{"uri": fw.uri, "slug": fw.slug, "title": fw.title} for fw in shown],
        "learners": learners,
        "nothing_yet": {fw.uri: nothing_yet(fw) for fw in shown},
    }
