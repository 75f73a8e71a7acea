"""The EQA pack: what an external quality assurer asks a centre for, in one ZIP. The sampling plan in force
(and earlier ones), every IQA sample with its outcome and rationale, every action raised and whether the
assessor has reassessed, and a per-assessor summary (decisions, how many the plan selects, how many sampled,
confirmed, actions). Files: index.html (readable), eqa-pack.json (everything), sampling-plan.json,
samples.csv, actions.csv, assessors.csv. No HTTP here.
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lrs.competency.evidence import registry
from lrs.learning import vocabulary as v
from lrs.services import access
from lrs.store import assessment as unit_store
from lrs.store import reviews as store
from lrs.xapi.errors import Forbidden, XAPIError

if TYPE_CHECKING:
    from lrs.services.principal import Principal
    from lrs.services.statements import LRS


def _name(agent: dict[str, Any]) -> str:
    return str(agent.get("name") or agent.get("mbox", "").removeprefix("mailto:") or
               (agent.get("account") or {}).get("name") or "")


def _learners(conn: Any, agent_keys: set[str]) -> dict[str, tuple[str, str]]:
    """Agent key -> (name, awarding-body registration number), the learner as the centre knows them: their
    account's name, else their participant credential's (the rule of lrs.services.exports.learner_record)."""
    from lrs.store import credentials as credential_store
    from lrs.store import users as user_store

    found: dict[str, tuple[str, str]] = {}
    participants = None
    for key in agent_keys:
        name = user_store.name_for_agent(conn, key) or ""
        if not name:
            if participants is None:
                participants = {
                    c["agent_key"]: c["name"] for c in credential_store.list_credentials(conn)
                    if c.get("role") == "participant" and c.get("revoked") is None and c.get("agent_key")
                }
            name = participants.get(key, "")
        found[key] = (name, unit_store.registration_number(conn, key) or "")
    return found


def _criterion_code(reg: Any, framework_uri: str, item_uri: str) -> str:
    fw = reg.frameworks.get(framework_uri)
    item = fw.item_by_uri(item_uri) if fw else None
    return item.code if item else item_uri


def eqa_data(lrs: LRS, principal: Principal, *, cohort: str | None = None) -> dict[str, Any]:
    """The pack's content. An admin sees the whole centre (or one cohort); an IQA their own cohorts."""
    from lrs.review import units

    if access.is_admin(principal):
        cohorts = [cohort] if cohort else None
    elif principal.role == access.IQA:
        if cohort is not None and cohort not in principal.cohorts:
            raise Forbidden("this IQA does not review that cohort", rule="cohort-scope", path="cohort")
        cohorts = [cohort] if cohort else list(principal.cohorts)
    else:
        raise Forbidden("the EQA pack is for the centre's admins and IQAs", rule="review-role")
    reg = registry(lrs)
    plan = units.current_plan(lrs)
    with lrs.db.read() as conn:
        rows = store.all_decisions(conn, cohorts=cohorts)
        history = [{"statement_id": p["statement_id"], "adopted": p["adopted"].isoformat(), "plan": p["plan"]}
                   for p in unit_store.plans(conn)]
    by_id = {r["statement_id"]: r for r in rows}
    assessor_rows = [r for r in rows if r["role"] == "assessor"]
    iqa_rows = [r for r in rows if r["role"] == "iqa"]
    selected = units.selected_by_plan(lrs, assessor_rows, plan["plan"])
    sampled = {r["target_id"] for r in iqa_rows}
    later_assessor: dict[tuple[str, str], list[str]] = {}
    for r in assessor_rows:
        later_assessor.setdefault((r["evidence_id"], r["item_uri"]), []).append(r["statement_id"])

    def decision_of(r: dict[str, Any]) -> dict[str, Any]:
        result = r["payload"].get("result") or {}
        return {
            "id": r["statement_id"],
            "learner": r["agent_key"],
            "criterion": r["item_uri"],
            "criterion_code": _criterion_code(reg, r["framework_uri"], r["item_uri"]),
            "evidence": r["evidence_id"],
            "outcome": r["outcome"],
            "reviewer": _name(r["payload"].get("actor") or {}),
            "reviewer_credential": r["reviewer_key"],
            "decided": r["payload"].get("timestamp"),
            "rationale": (result.get("extensions") or {}).get(v.EXT_RATIONALE) or "",
            "feedback": result.get("response") or "",
            "sample_reason": ((r["payload"].get("context") or {}).get("extensions") or {}).get(v.EXT_SAMPLE_REASON),
        }

    # The unit and the kind of evidence of each sample, so that the EQA sees the sampling across units and
    # evidence types that the plan asks for (one read for all the sampled evidence).
    with lrs.db.read() as conn:
        evidence_of = {eid: store.statement_summary(conn, eid) for eid in {r["evidence_id"] for r in iqa_rows}}
        learners = _learners(conn, {r["agent_key"] for r in iqa_rows})
    samples = []
    actions = []
    for r in iqa_rows:
        sample = decision_of(r)
        unit_uri = units.unit_of(reg, r["framework_uri"], r["item_uri"])
        sample["unit"] = unit_uri
        sample["unit_code"] = _criterion_code(reg, r["framework_uri"], unit_uri)
        extensions = (((evidence_of.get(r["evidence_id"]) or {}).get("payload") or {}).get("context") or {}).get(
            "extensions") or {}
        evidence_type = extensions.get(v.EXT_EVIDENCE_TYPE)
        sample["evidence_type"] = evidence_type if isinstance(evidence_type, str) else ""
        sample["learner_name"], sample["registration_number"] = learners[r["agent_key"]]
        target = by_id.get(r["target_id"])
        sample["assessor_decision"] = r["target_id"]
        sample["assessor"] = _name(target["payload"].get("actor") or {}) if target else ""
        sample["assessor_outcome"] = target["outcome"] if target else ""
        samples.append(sample)
        if r["outcome"] == "action-raised":
            trail = later_assessor.get((r["evidence_id"], r["item_uri"]), [])
            after = trail[trail.index(r["target_id"]) + 1:] if r["target_id"] in trail else []
            actions.append({**sample, "action": sample["feedback"], "reassessed_by": after[0] if after else None,
                            "status": "reassessed" if after else "open"})
    summary: dict[str, dict[str, Any]] = {}
    for r in assessor_rows:
        key = r["reviewer_key"]
        entry = summary.setdefault(key, {
            "assessor": _name(r["payload"].get("actor") or {}), "credential": key, "decisions": 0, "accepted": 0,
            "referred": 0, "selected_by_plan": 0, "sampled": 0, "sampled_by_plan_outstanding": 0, "confirmed": 0,
            "actions": 0, "learners": set(),
        })
        entry["decisions"] += 1
        entry[r["outcome"]] = entry.get(r["outcome"], 0) + 1
        entry["learners"].add(r["agent_key"])
        if r["statement_id"] in selected:
            entry["selected_by_plan"] += 1
            if r["statement_id"] not in sampled:
                entry["sampled_by_plan_outstanding"] += 1
        if r["statement_id"] in sampled:
            entry["sampled"] += 1
    for r in iqa_rows:
        target = by_id.get(r["target_id"])
        if target is not None and target["reviewer_key"] in summary:
            entry = summary[target["reviewer_key"]]
            entry["confirmed" if r["outcome"] == "confirmed" else "actions"] += 1
    assessors = []
    for entry in summary.values():
        entry["learners"] = len(entry["learners"])
        entry["sample_rate"] = round(entry["sampled"] / entry["decisions"], 3) if entry["decisions"] else 0.0
        assessors.append(entry)
    return {
        "centre": {"name": lrs.settings.centre_name or None, "number": lrs.settings.centre_number or None},
        "cohorts": cohorts,
        "generated": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "sampling_plan": plan,
        "plan_history": history,
        "samples": samples,
        "actions": actions,
        "assessors": sorted(assessors, key=lambda a: a["assessor"]),
    }


SAMPLE_COLUMNS = ("decided", "reviewer", "learner_name", "registration_number", "learner", "unit_code", "criterion_code", "evidence_type", "assessor",
                  "assessor_outcome", "outcome", "sample_reason", "rationale", "feedback", "assessor_decision", "id")
ACTION_COLUMNS = ("decided", "reviewer", "learner_name", "registration_number", "learner", "unit_code", "criterion_code", "evidence_type", "assessor", "action", "rationale", "status",
                  "reassessed_by", "assessor_decision", "id")
ASSESSOR_COLUMNS = ("assessor", "credential", "learners", "decisions", "accepted", "referred", "selected_by_plan",
                    "sampled", "sample_rate", "sampled_by_plan_outstanding", "confirmed", "actions")


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        # A leading =, +, - or @ would run as a formula in a spreadsheet: quote it as text.
        # (An empty cell stays empty: "" is "in" any string, so test for a first character.)
        writer.writerow(["'" + str(v) if str(v)[:1] and str(v)[0] in "=+-@" else ("" if v is None else v)
                         for v in (row.get(c) for c in columns)])
    return out.getvalue().encode("utf-8")


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if r.get(c) is None else str(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(data: dict[str, Any]) -> bytes:
    centre = data["centre"]
    plan = data["sampling_plan"]
    title = f"EQA pack: {centre['name'] or 'centre'}" + (f" ({centre['number']})" if centre["number"] else "")
    parts = [
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:75rem;margin:1rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #999;padding:.25rem;"
        "text-align:left;vertical-align:top}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated {html.escape(data['generated'])}. Cohorts: "
        f"{html.escape(', '.join(data['cohorts']) if data['cohorts'] else 'all')}.</p>",
        "<h2>Sampling plan in force</h2>",
        f"<p>Adopted {html.escape(plan['adopted'] or 'never: the default plan applies')}.</p>",
        f"<pre>{html.escape(json.dumps(plan['plan'], indent=2))}</pre>",
        "<h2>Earlier sampling plans</h2>",
        "".join(
            f"<h3>Adopted {html.escape(p['adopted'])}</h3><pre>{html.escape(json.dumps(p['plan'], indent=2))}</pre>"
            for p in reversed(data["plan_history"])
            if p["statement_id"] != plan.get("statement_id")
        ) or "<p>None.</p>",
        "<h2>Per-assessor summary</h2>", _table(data["assessors"], ASSESSOR_COLUMNS),
        "<h2>Samples</h2>", _table(data["samples"], SAMPLE_COLUMNS),
        "<h2>Actions</h2>", _table(data["actions"], ACTION_COLUMNS),
        "</body></html>",
    ]
    return "\n".join(parts).encode("utf-8")


def eqa_zip(data: dict[str, Any]) -> bytes:
    files = {
        "index.html": to_html(data),
        "eqa-pack.json": json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8"),
        "sampling-plan.json": json.dumps({"current": data["sampling_plan"], "history": data["plan_history"]},
                                         indent=2, ensure_ascii=False, default=str).encode("utf-8"),
        "samples.csv": _csv(data["samples"], SAMPLE_COLUMNS),
        "actions.csv": _csv(data["actions"], ACTION_COLUMNS),
        "assessors.csv": _csv(data["assessors"], ASSESSOR_COLUMNS),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def filename(data: dict[str, Any]) -> str:
    stamp = data["generated"][:10]
    number = "".join(ch for ch in (data["centre"]["number"] or "centre") if ch.isalnum() or ch in "-_")
    return f"eqa-pack-{number}-{stamp}.zip"


def check_cohort(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise XAPIError("cohort is an activity IRI", rule="invalid-parameter", path="cohort")
    return value

