"""Retention: `lrs retention apply` deletes what the policy no longer keeps (per verb, or all), with a dry run that
changes nothing, and an audit row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import statement
from sqlalchemy import text

from lrs.services import retention
from lrs.services.statements import LRS

ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def _age(lrs: LRS, ids: list[str], years: float) -> None:
    when = datetime.now(UTC) - timedelta(days=365.25 * years)
    lrs.db.write(lambda conn: conn.execute(text("UPDATE statements SET stored = :w WHERE id IN :ids").bindparams(
        __import__("sqlalchemy").bindparam("ids", expanding=True)), {"w": when, "ids": ids}))


def _ids(lrs: LRS) -> set[str]:
    with lrs.db.read() as conn:
        return set(conn.execute(text("SELECT id FROM statements")).scalars())


def test_policy_per_verb_and_all(lrs_instance: LRS) -> None:
    op = lrs_instance.operator_principal()
    old_attended = lrs_instance.store_statements([statement(id=str(uuid.uuid4())) for _ in range(3)], op, "1.0.3")
    old_completed = lrs_instance.store_statements(
        [statement(id=str(uuid.uuid4()), verb={"id": COMPLETED}) for _ in range(2)], op, "1.0.3")
    recent = lrs_instance.store_statements([statement(id=str(uuid.uuid4()))], op, "1.0.3")
    _age(lrs_instance, old_attended, 3)
    _age(lrs_instance, old_completed, 3)
    policy = f"all=5,{ATTENDED}=2"

    dry = retention.apply(lrs_instance, dry_run=True, operator="tester", policy=policy)
    assert dry["statements"] == 3 and _ids(lrs_instance) == set(old_attended + old_completed + recent)

    done = retention.apply(lrs_instance, dry_run=False, operator="tester", policy=policy)
    assert done["statements"] == 3
    assert _ids(lrs_instance) == set(old_completed + recent)  # completed are kept 5 years
    with lrs_instance.db.read() as conn:
        audit = conn.execute(text("SELECT action, operator FROM data_audit")).all()
    assert [tuple(a) for a in audit] == [("retention", "tester")]


@pytest.mark.parametrize("bad", ["all", "all=0", "=3", "all=many"])
def test_a_bad_policy_is_named(bad: str) -> None:
    with pytest.raises(retention.RetentionError, match="LRS_RETENTION"):
        retention.parse_policy(bad)
