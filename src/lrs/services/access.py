"""Who may see and decide on whose learning record: the role rules every /api endpoint applies.

Roles live on credentials (``lrs credentials create --role``):

- ``participant``: bound to one agent; sees only that agent's record (summaries, evidence, progress, exports).
- ``assessor``: bound to cohorts (grouping activities); sees the learners of those cohorts and decides on their
  evidence (accepted / referred).
- ``iqa`` (internal quality assurer): bound to cohorts; sees their learners and confirms or overturns the
  assessors' decisions on them.
- ``admin``: sees everyone; decides on nothing (a decision needs an assessor or an IQA).
- no role (an xAPI client credential): reads learners when its scopes let it read every statement.

A learner belongs to a cohort when they are the actor (or object) of a statement that names the cohort
activity, as object or in context. No HTTP here; the store answers the cohort question.

The 70/20/10 summaries and the journal (``check_read_summary``, ``check_read_cohort``, ``check_write_journal``)
ask the cohort question by the ``activity`` a request names instead: an assessor or IQA reads a learner's
summary within one of its cohorts (``activity=``), and writes no journal entries; an xAPI client credential
writes journal entries when it may write statements.

This module answers every access question of the /api endpoints, the CLI and the pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrs.store import reviews as review_store
from lrs.xapi import scopes as xscopes
from lrs.xapi.errors import Forbidden

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS

PARTICIPANT, ASSESSOR, IQA, ADMIN = "participant", "assessor", "iqa", "admin"
REVIEWERS = (ASSESSOR, IQA)


def is_admin(principal: Principal) -> bool:
    return principal.role == ADMIN or (principal.role is None and xscopes.ALL in principal.scopes)


def in_cohorts(lrs: LRS, principal: Principal, learner: str) -> bool:
    """True when ``learner`` belongs to one of the principal's cohorts."""
    if not principal.cohorts:
        return False
    with lrs.db.read() as conn:
        return review_store.learner_in_cohorts(conn, learner, principal.cohorts)


def check_read_learner(lrs: LRS, principal: Principal, learner: str, *, what: str = "record") -> None:
    """Raise 403 unless ``principal`` may read ``learner``'s {what} (evidence, progress, decisions)."""
    if principal.role == PARTICIPANT:
        if not principal.agent_key:
            raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
        if principal.agent_key != learner:
            raise Forbidden(f"a participant may see only their own {what}", rule="participant-own-data", path="agent")
        return
    if principal.role in REVIEWERS:
        if not in_cohorts(lrs, principal, learner):
            raise Forbidden(
                f"this {principal.role} does not review a cohort this learner belongs to",
                rule="cohort-scope",
                path="agent",
            )
        return
    if is_admin(principal):
        return
    if principal.role is None and xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden(f"this credential may not read learners' {what}", rule="scope")


def check_export(lrs: LRS, principal: Principal, learner: str) -> None:
    """A participant exports only their own record; an assessor or IQA those of their cohorts' learners; an
    admin (role admin, or the ``all`` scope) anyone's."""
    if principal.role == PARTICIPANT:
        check_read_learner(lrs, principal, learner, what="record")
        return
    if principal.role in REVIEWERS:
        check_read_learner(lrs, principal, learner, what="record")
        return
    if is_admin(principal):
        return
    raise Forbidden(
        "only the participant, their assessor or IQA, or an admin may export a learner's record", rule="export-access"
    )


def check_decide(lrs: LRS, principal: Principal, learner: str, role: str) -> None:
    """Raise 403 unless ``principal`` may make a decision of ``role`` ("assessor" or "iqa") on ``learner``."""
    if principal.role != role:
        who = "an assessor" if role == ASSESSOR else "an internal quality assurer (role iqa)"
        raise Forbidden(f"only {who} may make this decision", rule="review-role", path="outcome")
    if not in_cohorts(lrs, principal, learner):
        raise Forbidden(
            f"this {role} does not review a cohort this learner belongs to", rule="cohort-scope", path="evidence"
        )


def check_queue(principal: Principal) -> None:
    if principal.role in REVIEWERS or is_admin(principal):
        return
    raise Forbidden("the review queue is for assessors, IQAs and admins", rule="review-role")


def _own_agent(principal: Principal) -> str:
    if not principal.agent_key:
        raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
    return principal.agent_key


def check_read_summary(principal: Principal, learner: str, activity: str | None) -> None:
    """Raise 403 unless ``principal`` may read the 70/20/10 summary of ``learner`` (within ``activity``)."""
    if principal.role == PARTICIPANT:
        if learner != _own_agent(principal):
            raise Forbidden("a participant may only see its own summary", rule="participant-own-data", path="agent")
        return
    if principal.role in REVIEWERS:
        if activity is None or activity not in principal.cohorts:
            raise Forbidden(
                f"an {principal.role} sees learners only within its cohorts: add activity= one of them",
                rule="cohort-scope",
                path="activity",
            )
        return
    if is_admin(principal) or xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden("this credential may not read learners' summaries", rule="scope")


def check_read_cohort(principal: Principal, activity: str) -> None:
    """Raise 403 unless ``principal`` may read the summary of the cohort or programme ``activity``."""
    if principal.role == PARTICIPANT:
        raise Forbidden("a participant may not see a cohort's summary", rule="participant-own-data", path="activity")
    if principal.role in REVIEWERS:
        if activity not in principal.cohorts:
            raise Forbidden(f"this {principal.role} does not review that cohort", rule="cohort-scope", path="activity")
        return
    if is_admin(principal) or xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden("this credential may not read cohort summaries", rule="scope")


def check_write_journal(principal: Principal, learner: str, path: str) -> None:
    """Raise 403 unless ``principal`` may record a journal entry for ``learner`` (``path``: the entry's agent
    field, for the answer)."""
    if principal.role == PARTICIPANT:
        if learner != _own_agent(principal):
            raise Forbidden("a participant may only write its own journal", rule="participant-own-data", path=path)
        return
    if principal.role in REVIEWERS:
        raise Forbidden(f"an {principal.role} may not write journal entries", rule="scope")
    if is_admin(principal) or principal.allows(xscopes.STATEMENTS_WRITE, read=False):
        return
    raise Forbidden("this credential may not write statements", rule="scope")


def journal_default_agent(principal: Principal) -> str | None:
    """The learner a journal entry without an agent is for: a participant's own agent, else nobody."""
    return principal.agent_key if principal.role == PARTICIPANT else None


# --- conflicts of interest (issue 20) ----------------------------------------------------------------------
# Appended rather than woven into check_decide so that the access rules and these stay separately readable: a
# reviewer with the right role and cohort may still not decide where they have a stake.


def check_not_own_evidence(principal: Principal, learner: str) -> None:
    """Raise 403 when the reviewer would decide on their own evidence."""
    if principal.agent_key and principal.agent_key == learner:
        raise Forbidden(
            "nobody decides on their own evidence: another assessor must assess it",
            rule="own-evidence",
            path="evidence",
        )


def check_not_own_decision(principal: Principal, assessor_key: str, assessor_agent: str | None) -> None:
    """Raise 403 when an IQA would sample a decision they made as assessor: ``assessor_key`` is the credential
    that made it, ``assessor_agent`` the agent key of its actor (the same person holding two credentials)."""
    if principal.key == assessor_key or (principal.agent_key and principal.agent_key == assessor_agent):
        raise Forbidden("an IQA does not sample their own assessor decision", rule="own-decision", path="decision")


def check_not_learner_and_reviewer(lrs: LRS, principal: Principal) -> None:
    """Raise 403 when the reviewer is also a learner (with evidence of their own) in a cohort they review."""
    if not principal.agent_key or not principal.cohorts:
        return
    with lrs.db.read() as conn:
        learner = review_store.has_evidence_in_cohorts(conn, principal.agent_key, principal.cohorts)
    if learner:
        raise Forbidden(
            "a person is not learner and reviewer in the same cohort: another reviewer must decide",
            rule="learner-and-reviewer",
            path="outcome",
        )


def check_centre_admin(principal: Principal, what: str) -> None:
    """Raise 403 unless ``principal`` is a centre admin (sampling plan, certification claims)."""
    if principal.role != ADMIN:
        raise Forbidden(f"only a centre admin (role admin) may {what}", rule="admin-only")
