"""People's accounts for the web pages: creating one and changing its name, role, learner identity and cohorts,
for the admin pages and ``lrs users``. Who may is lrs.services.access; the store is lrs.store.users.

The rules a change keeps, whoever makes it:

- a participant has a learner identity (the agent their learning is recorded as);
- an assessor, IQA or lead is bound to the cohorts they review or lead; a participant's cohorts are their
  enrolments (lrs.services.enrolments), so a participant's cohorts given here enrol them; an admin has none;
- a person is not learner and reviewer in the same cohort (access.check_reviewer_not_learner, and
  access.check_enrollable for the enrolment);
- the last enabled administrator stays an administrator (nobody could manage accounts in the pages otherwise).

A refusal is an XAPIError naming the rule and the field (``path``) it is about, in words a page can show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lrs.services import access
from lrs.services import enrolments as enrolment_service
from lrs.store import users as store
from lrs.xapi.datatypes import is_iri
from lrs.xapi.errors import Conflict, NotFound, XAPIError

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS


def check(lrs: LRS, *, name: str, role: str, agent_key: str | None, cohorts: list[str]) -> None:
    """Raise the first rule a (new or changed) account would break."""
    if not name.strip():
        raise XAPIError("enter the person's name", rule="required", path="name")
    if role not in access.ROLES:
        raise XAPIError("choose a role", rule="invalid-role", path="role")
    if role == access.PARTICIPANT and not agent_key:
        raise XAPIError(
            "a participant needs a learner identity: the address their learning is recorded under, like "
            "mbox:mailto:name@council.gov.uk",
            rule="participant-agent",
            path="agent",
        )
    bad = next((c for c in cohorts if not is_iri(c)), None)
    if bad is not None:
        raise XAPIError(
            f"{bad} is not a cohort's web address (IRI), like https://centre.example/cohorts/north",
            rule="invalid-cohort",
            path="cohorts",
        )
    if role == access.ADMIN and cohorts:
        raise XAPIError(
            "an administrator is not bound to cohorts: leave them empty", rule="admin-cohorts", path="cohorts"
        )
    if role in access.COHORT_ROLES:
        access.check_reviewer_not_learner(lrs, agent_key, cohorts)


def create_account(
    lrs: LRS,
    principal: Principal,
    *,
    email: str,
    name: str,
    role: str,
    agent_key: str | None,
    cohorts: list[str],
    password_hash: str | None = None,
) -> int:
    """Create an account; a participant's ``cohorts`` enrol them as a learner. Returns the account's id."""
    access.check_centre_admin(principal, "create a person's account")
    check(lrs, name=name, role=role, agent_key=agent_key, cohorts=cohorts)
    if role == access.PARTICIPANT:
        for cohort in cohorts:  # before the account exists: a refused enrolment leaves nothing half made
            access.check_enrollable(lrs, cohort, agent_key or "")

    def work(conn: Any) -> int:
        if store.user_by_email(conn, email):
            raise Conflict(
                "there is already an account with this email address", rule="email-taken", path="email"
            )
        return store.create_user(
            conn,
            email=email,
            name=name.strip(),
            role=role,
            agent_key=agent_key,
            cohorts=cohorts if role in access.COHORT_ROLES else None,
            password_hash=password_hash,
        )

    user_id = lrs.db.write(work)
    if role == access.PARTICIPANT:
        for cohort in cohorts:
            enrolment_service.enrol(lrs, principal, cohort, agent_key or "")
    return user_id


def update_account(
    lrs: LRS,
    principal: Principal,
    user_id: int,
    *,
    name: str,
    role: str,
    agent_key: str | None,
    cohorts: list[str],
) -> dict[str, Any]:
    """Change an account's name, role, learner identity and the cohorts it reviews or leads (a participant's
    enrolments change through lrs.services.enrolments). Returns the account as changed."""
    access.check_centre_admin(principal, "change a person's account")
    with lrs.db.read() as conn:
        user = store.user_by_id(conn, user_id)
    if user is None:
        raise NotFound("there is no such account", rule="user")
    if role == access.PARTICIPANT and cohorts:
        raise XAPIError(
            "a participant is not bound to cohorts here: enrol them in a cohort as a learner instead",
            rule="participant-cohorts",
            path="cohorts",
        )
    check(lrs, name=name, role=role, agent_key=agent_key, cohorts=cohorts)

    def work(conn: Any) -> None:
        # Checked in the same transaction as the change: two admins demoting each other cannot both succeed.
        if user["role"] == access.ADMIN and role != access.ADMIN and store.enabled_admins(conn) == [user_id]:
            raise Conflict(
                f"{user['name']} is the only administrator, and without one nobody can manage accounts here: "
                "make another person an administrator first",
                rule="last-admin",
                path="role",
            )
        store.update_user(
            conn,
            user_id,
            name=name.strip(),
            role=role,
            agent_key=agent_key,
            cohorts=cohorts if role in access.COHORT_ROLES else None,
        )

    lrs.db.write(work)
    with lrs.db.read() as conn:
        return store.user_by_id(conn, user_id) or user
