"""Cohort enrolments made by people (an admin or a cohort's lead), for /api and the CLI. Who may is
lrs.services.access; enrolments from an LMS's statements are made by the LRS as it stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lrs.services import access
from lrs.store import enrolments as store
from lrs.xapi.statement import iso

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS


def enrol(lrs: LRS, principal: Principal, cohort: str, learner: str) -> bool:
    """Enrol ``learner`` (an agent key) in ``cohort``; False when they already were."""
    access.check_enrol(principal, cohort)
    access.check_enrollable(lrs, cohort, learner)
    return lrs.db.write(lambda conn: store.enrol(conn, cohort, learner, enrolled_by=principal.key or principal.name))


def unenrol(lrs: LRS, principal: Principal, cohort: str, learner: str) -> bool:
    access.check_enrol(principal, cohort)
    return lrs.db.write(lambda conn: store.unenrol(conn, cohort, learner))


def learners(lrs: LRS, principal: Principal, cohort: str | None = None) -> list[dict[str, Any]]:
    """The enrolments the principal may see (of ``cohort``, or of every cohort it may list)."""
    allowed = access.check_list_enrolments(principal, cohort)
    with lrs.db.read() as conn:
        rows = store.list_enrolments(conn, cohort, allowed)
    return [
        {
            "cohort": r["cohort"],
            "agent": r["agent_key"],
            "role": r["role"],
            "enrolled_at": _iso(r["enrolled_at"]),
            "enrolled_by": r["enrolled_by"],
            "source_statement_id": r["source_statement_id"],
        }
        for r in rows
    ]


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return iso(value if value.tzinfo else value.replace(tzinfo=UTC))  # SQLite keeps the UTC wall time
