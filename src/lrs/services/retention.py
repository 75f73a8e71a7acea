"""Retention: statements of a kind kept for N years, then deleted with everything derived from them.

The policy is LRS_RETENTION: comma-separated ``<verb IRI>=<years>`` rules and an optional ``all=<years>`` for
every other verb, e.g. ``all=7,http://adlnet.gov/expapi/verbs/attended=2``. Unset: everything is kept. Years
are counted from ``stored``; a year is 365.25 days. ``lrs retention apply [--dry-run]`` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lrs.services.erasure import OnProgress, no_progress
from lrs.store import erasure as store

if TYPE_CHECKING:
    from lrs.services.statements import LRS

BATCH = 500


class RetentionError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    verb: str | None  # None: every verb without a rule of its own
    years: float


def parse_policy(text: str | None) -> list[Rule]:
    rules: list[Rule] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, years = part.rpartition("=")
        try:
            value = float(years)
        except ValueError:
            value = -1
        if not sep or not name or value <= 0:
            raise RetentionError(f"LRS_RETENTION: {part!r} is not <verb IRI>=<years> or all=<years>")
        rules.append(Rule(None if name == "all" else name, value))
    return rules


def apply(lrs: LRS, *, dry_run: bool, operator: str, now: datetime | None = None,
          policy: str | None = None, on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Delete what the policy no longer keeps (counts only with ``dry_run``); audited like an erasure.
    ``on_progress`` hears each batch: the rule and the statements counted so far (the total is not known)."""
    tell = on_progress or no_progress
    rules = parse_policy(policy if policy is not None else lrs.settings.retention)
    now = now or datetime.now(UTC)
    verbs_with_rules = [r.verb for r in rules if r.verb]
    report: dict[str, Any] = {"dry_run": dry_run, "rules": [], "statements": 0, "attachments": 0}
    for rule in rules:
        cutoff = now - timedelta(days=365.25 * rule.years)
        deleted = 0
        after_dry_run: set[int] = set()
        while True:
            with lrs.db.read() as conn:
                batch = store.statements_stored_before(conn, cutoff, rule.verb, verbs_with_rules,
                                                       BATCH + len(after_dry_run))
            batch = [(seq, sid) for seq, sid in batch if seq not in after_dry_run][:BATCH]
            if not batch:
                break
            seqs = [seq for seq, _ in batch]
            deleted += len(batch)
            tell(f"{'Counting' if dry_run else 'Deleting'} statements past {rule.verb or 'all'} ({rule.years:g} years)",
                 report["statements"] + deleted, None)
            if dry_run:
                after_dry_run.update(seqs)
                continue

            def work(conn, seqs=seqs, batch=batch) -> int:  # noqa: ANN001
                sha2s = store.attachment_sha2s_of(conn, seqs)
                store.delete_statements(conn, seqs, [sid for _, sid in batch])
                unused = [s for s in sha2s if not store.attachment_used_elsewhere(conn, s, [])]
                return store.delete_attachments(conn, unused)

            report["attachments"] += lrs.db.write(work)
        report["rules"].append({"verb": rule.verb or "all", "years": rule.years, "cutoff": cutoff.isoformat(),
                                "statements": deleted})
        report["statements"] += deleted
    if not dry_run and rules:
        lrs.db.write(lambda conn: store.record_audit(
            conn, at=now, action="retention", operator=operator, mode="delete", subject=None,
            counts={"statements": report["statements"], "attachments": report["attachments"],
                    "rules": [{k: r[k] for k in ("verb", "years", "statements")} for r in report["rules"]]},
        ))
    return report
