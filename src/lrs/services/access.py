"""Who may read, write, void, decide on and export whose learning record: the one set of access rules that
/xapi, /api, the CLI and the web pages all ask. No HTTP here; the store answers the membership questions.

Roles live on credentials (``lrs credentials create --role``) and on people's accounts (``lrs users``):

- ``participant``: bound to one agent. Reads only that learner's record (the statements its agent is the actor
  or object of, a group's members included, and the statements, decisions and voids that refer to them);
  writes statements only with its own agent as actor; State and Agent Profile documents only for its agent;
  activity profiles read-only.
- ``assessor`` / ``iqa``: bound to cohorts; act as their own agent (the credential's agent, else its authority).
  Read the records of the learners enrolled in their cohorts and their own; write only as themselves;
  decisions count only through the review rules (lrs.review).
- ``lead`` (programme lead): bound to cohorts; reads the records of the learners enrolled in them, on /xapi and
  /api; writes nothing.
- ``admin``: reads and writes everything, voids anything; decides on nothing (a decision needs a reviewer).
- no role (an xAPI client such as an LMS): the specification's scopes exactly. ``state`` and ``profile`` are
  limited to the credential's own agent when it has one (``--agent``); ``all`` is unrestricted. Only a
  credential marked ``may_enrol`` makes cohort enrolments from the statements it stores.

Voiding: only the voided statement's own authority (the same credential, or the same role-bound person: the
same agent) or an admin may void it (rule ``void-not-author``). A statement about someone else's record that a
restricted reader may not read is answered as not found (404), so its existence is not revealed.

Cohort membership is an enrolment (lrs.store.enrolments), made by an admin or lead, or from statements stored
under a credential trusted to enrol. Reviewers are never counted as learners of the cohorts they review.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from lrs.store import enrolments as enrolment_store
from lrs.store import reviews as review_store
from lrs.store.statements import ReadScope, statement_authorities
from lrs.xapi import scopes as xscopes
from lrs.xapi.datatypes import VOIDED_VERB
from lrs.xapi.errors import Forbidden
from lrs.xapi.ifi import agent_key as key_of

if TYPE_CHECKING:
    from lrs.config import Settings
    from lrs.services.principal import Principal
    from lrs.store.db import Database


class LRS(Protocol):
    """What the rules need of the LRS (lrs.services.statements, which asks this module: no import back)."""

    db: Database
    settings: Settings

    def principal_for(self, key: str) -> Principal | None: ...

PARTICIPANT, ASSESSOR, IQA, LEAD, ADMIN = "participant", "assessor", "iqa", "lead", "admin"
ROLES = (ADMIN, PARTICIPANT, ASSESSOR, IQA, LEAD)
REVIEWERS = (ASSESSOR, IQA)
#: Roles bound to cohorts: they read the learners enrolled in them.
COHORT_ROLES = (ASSESSOR, IQA, LEAD)

#: What each role needs, granted when ``lrs credentials create`` is given no --scope. The role's own rules
#: (whose data) apply on top of the scopes, whatever they are.
DEFAULT_SCOPES: dict[str | None, list[str]] = {
    None: [xscopes.ALL],
    ADMIN: [xscopes.ALL],
    PARTICIPANT: [xscopes.STATEMENTS_WRITE, xscopes.STATEMENTS_READ, xscopes.STATE, xscopes.PROFILE],
    ASSESSOR: [xscopes.STATEMENTS_WRITE, xscopes.STATEMENTS_READ, xscopes.STATE, xscopes.PROFILE],
    IQA: [xscopes.STATEMENTS_WRITE, xscopes.STATEMENTS_READ, xscopes.STATE, xscopes.PROFILE],
    LEAD: [xscopes.ALL_READ],
}


def is_admin(principal: Principal) -> bool:
    """Role admin, or an xAPI client with the ``all`` scope (it may read every learner)."""
    return principal.role == ADMIN or (principal.role is None and xscopes.ALL in principal.scopes)


def acting_agent(principal: Principal) -> str | None:
    """The agent a role-bound principal acts as: its bound agent; a reviewer without one, its authority."""
    if principal.agent_key:
        return principal.agent_key
    if principal.role in COHORT_ROLES:
        return principal.authority_key or None
    return None


def in_cohorts(lrs: LRS, principal: Principal, learner: str) -> bool:
    """True when ``learner`` is enrolled in one of the principal's cohorts (never the principal itself)."""
    if not principal.cohorts or learner == acting_agent(principal):
        return False
    with lrs.db.read() as conn:
        return enrolment_store.learner_in_cohorts(conn, learner, principal.cohorts)


# --- statements ---------------------------------------------------------------------------------------------


def statement_read_scope(principal: Principal) -> ReadScope | None:
    """What a principal may read of the statements: None for everything, else a ReadScope the store applies
    inside the query. Raises 403 when it may read no statements at all."""
    may_read, only_mine = xscopes.can_read_statements(set(principal.scopes))
    # A person's web account has no API scopes: its role alone decides (lrs.web.principal).
    may_read = may_read or (principal.role is not None and not principal.scopes)
    if not may_read and principal.role != ADMIN:
        raise Forbidden("this credential may not read statements", rule="scope")
    if only_mine:
        return ReadScope(authority_key=principal.authority_key)
    if principal.role == PARTICIPANT:
        return ReadScope(agents=_own(principal), authority_key=principal.authority_key)
    if principal.role in COHORT_ROLES:
        return ReadScope(agents=_own(principal), cohorts=tuple(principal.cohorts), authority_key=principal.authority_key)
    return None


def _own(principal: Principal) -> tuple[str, ...]:
    agent = acting_agent(principal)
    return (agent,) if agent else ()


def attachment_read_scope(principal: Principal) -> ReadScope | None:
    """Attachment bytes go to a reader of a statement that carried them; the same scope as the statements."""
    return statement_read_scope(principal)


def check_write_statements(lrs: LRS, principal: Principal, statements: list[dict[str, Any]]) -> None:
    """Raise 403 unless ``principal`` may store every statement of the batch: a lead writes nothing; a
    participant, assessor or IQA writes only with its own agent as actor; only a statement's own authority
    (or an admin) may void it."""
    if principal.role == LEAD:
        raise Forbidden("a programme lead reads its learners' records and writes nothing", rule="read-only")
    many = len(statements) > 1
    if principal.role in (PARTICIPANT, *REVIEWERS):
        own = acting_agent(principal)
        if not own:
            raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
        for index, statement in enumerate(statements):
            actor = statement.get("actor") or {}
            if key_of(actor) != own:
                raise Forbidden(
                    f"a {principal.role} records statements only with its own agent as actor",
                    rule="actor-not-self",
                    path=f"[{index}].actor" if many else "actor",
                )
    voided: dict[str, str] = {}
    for index, statement in enumerate(statements):
        obj = statement.get("object") or {}
        verb = (statement.get("verb") or {}).get("id")
        if verb == VOIDED_VERB and obj.get("objectType") == "StatementRef":
            voided.setdefault(str(obj.get("id", "")).lower(), f"[{index}].object.id" if many else "object.id")
    if voided:
        check_void(lrs, principal, voided)


def check_void(lrs: LRS, principal: Principal, targets: dict[str, str]) -> None:
    """Raise 403 ``void-not-author`` unless ``principal`` may void each target (id -> the field path): the
    target's own authority (the same credential), the same role-bound person (the same agent), or an admin.
    A target not stored (yet) voids nothing, and is let through as the specification asks."""
    if principal.role == ADMIN:
        return
    with lrs.db.read() as conn:
        authorities = statement_authorities(conn, targets)
    for target_id, path in targets.items():
        authority = authorities.get(target_id)
        if authority is None or key_of(authority) == principal.authority_key:
            continue
        if principal.role is not None and principal.agent_key and _authority_person(lrs, authority) == principal.agent_key:
            continue
        raise Forbidden(
            "only the authority that stored a statement (or an admin) may void it", rule="void-not-author", path=path
        )


def _authority_person(lrs: LRS, authority: dict[str, Any]) -> str | None:
    """The agent of the role-bound credential that a stored authority names, if any."""
    account = authority.get("account") or {}
    if account.get("homePage") != lrs.settings.authority_home_page or not isinstance(account.get("name"), str):
        return None
    other = lrs.principal_for(account["name"])
    return other.agent_key if other is not None and other.role is not None else None


# --- documents and agents -------------------------------------------------------------------------------------


def check_document(lrs: LRS, principal: Principal, kind: str, agent: str, *, write: bool) -> None:
    """Raise 403 unless ``principal`` may read (or write) the State or Agent Profile documents of ``agent``, or
    (``agent`` "") the activity profiles. ``kind``: "state", "activity profile" or "agent profile"."""
    if principal.role == ADMIN:
        return
    if principal.role is None:
        # The specification's scopes: state and profile are limited to the credential's own agent.
        if agent and principal.agent_key and xscopes.ALL not in principal.scopes and agent != principal.agent_key:
            raise Forbidden(
                f"this credential's {kind} access is limited to its own agent", rule="scope-agent", path="agent"
            )
        return
    if not agent:  # activity profiles: shared by the activity's users, changed only by its clients
        if write:
            raise Forbidden(f"a {principal.role} may read but not change activity profiles", rule="read-only")
        return
    own = acting_agent(principal)
    if principal.role == PARTICIPANT:
        if not own:
            raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
        if agent != own:
            raise Forbidden(f"a participant may use only its own {kind} documents", rule="participant-own-data", path="agent")
        return
    if principal.role == LEAD and write:
        raise Forbidden("a programme lead reads its learners' records and writes nothing", rule="read-only")
    if agent == own:
        return
    if write:
        raise Forbidden(f"a {principal.role} writes {kind} documents only for its own agent", rule="actor-not-self", path="agent")
    if not in_cohorts(lrs, principal, agent):
        raise Forbidden(f"this {principal.role} does not review a cohort this learner belongs to", rule="cohort-scope", path="agent")


def check_read_agent(lrs: LRS, principal: Principal, agent: str) -> None:
    """Raise 403 unless ``principal`` may read what the LRS knows of ``agent`` (GET /xapi/agents)."""
    if principal.role in (PARTICIPANT, *COHORT_ROLES):
        if agent == acting_agent(principal):
            return
        check_read_learner(lrs, principal, agent, what="person")


# --- learners' records on /api, the pages and the CLI -----------------------------------------------------------


def check_read_learner(lrs: LRS, principal: Principal, learner: str, *, what: str = "record") -> None:
    """Raise 403 unless ``principal`` may read ``learner``'s {what} (evidence, progress, decisions)."""
    if principal.role == PARTICIPANT:
        if not principal.agent_key:
            raise Forbidden("this participant credential is not bound to an agent", rule="participant-unbound")
        if principal.agent_key != learner:
            raise Forbidden(f"a participant may see only their own {what}", rule="participant-own-data", path="agent")
        return
    if principal.role in COHORT_ROLES:
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
    """A participant exports only their own record; an assessor, IQA or lead those of their cohorts' learners;
    an admin (role admin, or the ``all`` scope) anyone's."""
    if principal.role == PARTICIPANT or principal.role in COHORT_ROLES:
        check_read_learner(lrs, principal, learner, what="record")
        return
    if is_admin(principal):
        return
    raise Forbidden(
        "only the participant, their assessor, IQA or lead, or an admin may export a learner's record",
        rule="export-access",
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


def check_read_summary(lrs: LRS, principal: Principal, learner: str, activity: str | None) -> None:
    """Raise 403 unless ``principal`` may read the 70/20/10 summary of ``learner`` (within ``activity``): the
    learner rule, and a cohort role names one of its cohorts (``activity=``)."""
    if principal.role in COHORT_ROLES and (activity is None or activity not in principal.cohorts):
        raise Forbidden(
            f"an {principal.role} sees learners only within its cohorts: add activity= one of them",
            rule="cohort-scope",
            path="activity",
        )
    check_read_learner(lrs, principal, learner, what="summary")


def check_read_cohort(principal: Principal, activity: str) -> None:
    """Raise 403 unless ``principal`` may read the summary of the cohort or programme ``activity``."""
    if principal.role == PARTICIPANT:
        raise Forbidden("a participant may not see a cohort's summary", rule="participant-own-data", path="activity")
    if principal.role in COHORT_ROLES:
        if activity not in principal.cohorts:
            raise Forbidden(f"this {principal.role} does not review that cohort", rule="cohort-scope", path="activity")
        return
    if is_admin(principal) or xscopes.can_read_statements(set(principal.scopes)) == (True, False):
        return
    raise Forbidden("this credential may not read cohort summaries", rule="scope")


def check_read_dashboard(principal: Principal, cohort: str) -> None:
    """Raise 403 unless ``principal`` may read the programme lead's dashboard of ``cohort`` (its learners' last
    activity, balance, CPD readiness, unit progress and risk): the lead bound to that cohort, or an admin."""
    if principal.role == LEAD:
        if cohort not in principal.cohorts:
            raise Forbidden("this lead does not lead that cohort", rule="cohort-scope", path="cohort")
        return
    if is_admin(principal):
        return
    raise Forbidden("the cohort dashboard is for the cohort's programme lead and admins", rule="dashboard-role",
                    path="cohort")


def cohort_summary_enrolled_only(principal: Principal) -> bool:
    """A cohort role's cohort summary counts only the cohort's enrolled learners (not whoever names it)."""
    return principal.role in COHORT_ROLES


def check_write_journal(principal: Principal, learner: str, path: str) -> None:
    """Raise 403 unless ``principal`` may record a journal entry for ``learner`` (``path``: the entry's agent
    field, for the answer)."""
    if principal.role == PARTICIPANT:
        if learner != _own_agent(principal):
            raise Forbidden("a participant may only write its own journal", rule="participant-own-data", path=path)
        return
    if principal.role in COHORT_ROLES:
        raise Forbidden(f"an {principal.role} may not write journal entries", rule="scope")
    if is_admin(principal) or principal.allows(xscopes.STATEMENTS_WRITE, read=False):
        return
    raise Forbidden("this credential may not write statements", rule="scope")


def journal_default_agent(principal: Principal) -> str | None:
    """The learner a journal entry without an agent is for: a participant's own agent, else nobody."""
    return principal.agent_key if principal.role == PARTICIPANT else None


# --- enrolments ------------------------------------------------------------------------------------------------


def check_enrol(principal: Principal, cohort: str) -> None:
    """Raise 403 unless ``principal`` may enrol or unenrol learners of ``cohort``: an admin, or a lead of it."""
    if principal.role == ADMIN:
        return
    if principal.role == LEAD and cohort in principal.cohorts:
        return
    raise Forbidden("only an admin or the cohort's lead may enrol learners", rule="enrol-access", path="cohort")


def check_list_enrolments(principal: Principal, cohort: str | None) -> tuple[str, ...] | None:
    """The cohorts whose learners ``principal`` may list (None: every cohort); 403 when none."""
    if is_admin(principal):
        return None
    if principal.role in COHORT_ROLES:
        if cohort is not None and cohort not in principal.cohorts:
            raise Forbidden(f"this {principal.role} does not review that cohort", rule="cohort-scope", path="cohort")
        return tuple(principal.cohorts)
    raise Forbidden("only an admin, or a cohort's assessor, IQA or lead, may list its learners", rule="enrol-access")


def check_enrollable(lrs: LRS, cohort: str, learner: str) -> None:
    """Raise 403 when ``learner`` reviews or leads ``cohort``: reviewers are never its learners."""
    if learner in reviewers_of(lrs).get(cohort, set()):
        raise Forbidden("a reviewer or lead of a cohort is never one of its learners", rule="reviewer-not-learner", path="agent")


def reviewers_of(lrs: LRS) -> dict[str, set[str]]:
    """cohort -> the agents of the credentials and accounts that review or lead it."""
    with lrs.db.read() as conn:
        return enrolment_store.cohort_reviewers(conn, COHORT_ROLES)


def enrolments_from_statements(lrs: LRS, principal: Principal, statements: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(cohort, learner, statement id) enrolments the statements make: only under a credential without a role
    that is trusted to enrol (an LMS): the actor (a group's members) of each statement, in each grouping or
    parent activity of its context. The caller drops the reviewers of the cohort (``without_reviewers``) from
    those that are new, so that the LMS's every statement costs one read, not two."""
    if principal.role is not None or not principal.may_enrol:
        return []
    found: list[tuple[str, str, str]] = []
    for statement in statements:
        actor = statement.get("actor") or {}
        learners = [key_of(actor)] if actor.get("objectType") != "Group" else []
        learners += [key_of(m) for m in actor.get("member") or [] if isinstance(m, dict)]
        context = (statement.get("context") or {}).get("contextActivities") or {}
        cohorts = [
            a.get("id")
            for kind in ("grouping", "parent")
            for a in (context.get(kind) if isinstance(context.get(kind), list) else [context.get(kind)])
            if isinstance(a, dict) and a.get("id")
        ]
        found += [(c, k, statement["id"]) for c in cohorts for k in learners if k]
    return found


def without_reviewers(lrs: LRS, enrolments: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The enrolments whose learner is not a reviewer or lead of that cohort."""
    if not enrolments:
        return []
    reviewers = reviewers_of(lrs)
    return [(c, k, s) for c, k, s in enrolments if k not in reviewers.get(c, set())]


# --- conflicts of interest (issue 20) ----------------------------------------------------------------------
# Appended rather than woven into check_decide so that the access rules and these stay separately readable: a
# reviewer with the right role and cohort may still not decide where they have a stake.


def check_not_own_evidence(principal: Principal, learner: str) -> None:
    """Raise 403 when a reviewer (assessor or IQA) would decide on their own evidence. Other roles are refused by
    :func:`check_decide` for their role."""
    if principal.role in REVIEWERS and principal.agent_key and principal.agent_key == learner:
        raise Forbidden(
            "nobody decides on their own evidence: another assessor must assess it",
            rule="own-evidence",
            path="evidence",
        )


def check_not_own_decision(principal: Principal, assessor_key: str, assessor_agent: str | None) -> None:
    """Raise 403 when an IQA would sample a decision they made as assessor: ``assessor_key`` is the credential
    that made it, ``assessor_agent`` the agent key of its actor (the same person holding two credentials)."""
    if principal.role != IQA:
        return  # check_decide refuses other roles for their role
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


# --- people's accounts (issue 18) ------------------------------------------------------------------------------


def check_reviewer_not_learner(lrs: LRS, agent: str | None, cohorts: Iterable[str]) -> None:
    """Raise 403 when ``agent`` is enrolled as a learner in one of ``cohorts`` that an account or credential
    would review or lead: a person is not learner and reviewer in the same cohort (check_enrollable is the same
    rule seen from the enrolment)."""
    if not agent:
        return
    with lrs.db.read() as conn:
        clash = next((c for c in cohorts if enrolment_store.learner_in_cohorts(conn, agent, [c])), None)
    if clash is not None:
        raise Forbidden(
            f"this person is a learner in {clash}, and a person is not learner and reviewer in the same cohort",
            rule="reviewer-not-learner",
            path="cohorts",
        )
