"""The ZIP: index.html, portfolio.pdf, manifest.json and evidence/<statement id>/<file>.

manifest.json is for machines (an e-portfolio import, an awarding body's checks): every evidence statement with
the SHA-256 of its canonical JSON, so anyone holding the statements can prove the portfolio shows them unaltered,
every attachment with its path and hash, every decision, and the Open Badges 3.0 credentials of completed units.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from lrs_ilm_portfolio import __version__
from lrs_ilm_portfolio.build import STATUSES, Evidence, Portfolio
from lrs_ilm_portfolio.credentials import Issuer, sign_credential, unit_credential
from lrs_ilm_portfolio.render_html import to_html
from lrs_ilm_portfolio.render_pdf import to_pdf

MANIFEST_FORMAT = "lrs-ilm-portfolio"
MANIFEST_VERSION = 1


def _node(node: Any) -> dict[str, Any]:
    return {"code": node.code, "uri": node.uri, "title": node.title}


def _evidence(evidence: Evidence, outcome: str | None) -> dict[str, Any]:
    return {
        "statement_id": evidence.statement_id,
        "in_export": evidence.statement is not None,
        "sha256": evidence.sha256,
        "date": evidence.date or None,
        "timestamp": evidence.timestamp or None,
        "title": evidence.title,
        "mode": evidence.mode,
        "evidence_type": evidence.evidence_type or None,
        "outcome": outcome,
        "attachments": [
            {
                "path": a.path,
                "sha2": a.sha2,
                "contentType": a.content_type,
                "length": a.length,
                "display": a.display,
                "description": a.description or None,
                "usageType": a.usage_type or None,
                "fileUrl": a.file_url,
                "included": a.path is not None,
            }
            for a in evidence.attachments
        ],
    }


def manifest(portfolio: Portfolio, issuer: Issuer, credentials: list[dict[str, Any]],
             credentials_jwt: list[str] | None) -> dict[str, Any]:
    q = portfolio.qualification
    units = []
    for unit in portfolio.units:
        criteria = []
        for entry in unit.criteria:
            criterion: dict[str, Any] = _node(entry.criterion.node)
            if entry.criterion.outcome is not None:
                criterion["learning_outcome"] = _node(entry.criterion.outcome)
            criterion["status"] = entry.status
            criterion["evidence"] = [_evidence(u.evidence, u.outcome) for u in entry.uses]
            criterion["decisions"] = [
                {
                    "statement_id": d.statement_id,
                    "evidence_id": d.evidence_id,
                    "role": d.role,
                    "outcome": d.outcome,
                    "reviewer": d.reviewer,
                    "feedback": d.feedback,
                    "rationale": d.rationale,
                    "mapped_by_assessor": d.mapped,
                    "sample_reason": d.sample_reason or None,
                    "decided": d.decided,
                    "target_id": d.target_id,
                    "superseded": d.superseded,
                }
                for u in entry.uses
                for d in u.decisions
            ]
            criteria.append(criterion)
        record = unit.record
        units.append({
            **_node(unit.unit.node),
            "assessed": unit.assessed,
            "complete": unit.complete,
            "submissions": [
                {"statement_id": s.statement_id, "attempt": s.attempt, "submitted": s.submitted, "declaration": s.declaration}
                for s in (record.submissions if record else ())
            ],
            "sampling": {
                "required": list(record.sampling_required) if record else [],
                "outstanding": list(record.sampling_outstanding) if record else [],
            },
            "claim": ({"statement_id": record.claim_id, "claimed": record.claimed, "by": record.claimed_by}
                      if record and record.claim_id else None),
            "counts": {status: unit.count(status) for status in STATUSES},
            "criteria": criteria,
        })
    data: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        "generator": f"lrs-ilm-portfolio {__version__}",
        "generated": portfolio.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "learner": {"agent": portfolio.agent, "agent_key": portfolio.agent_key, "name": portfolio.learner_name,
                    "registration_number": portfolio.registration_number or None},
        "qualification": {"uri": q.uri, "slug": q.slug, "title": q.title, "code": q.code},
        "centre": {"name": portfolio.centre or None, "number": portfolio.centre_number or None, "issuer_id": issuer.id},
        "units": units,
        "sampling": {
            "plan": portfolio.sampling_plan,
            "samples": [
                {"statement_id": d.statement_id, "decision_id": d.target_id, "criterion": d.criterion,
                 "evidence_id": d.evidence_id, "iqa": d.reviewer, "outcome": d.outcome,
                 "sample_reason": d.sample_reason or None, "rationale": d.rationale, "action": d.feedback or None,
                 "decided": d.decided}
                for d in portfolio.samples
            ],
        },
        "credentials": credentials,
    }
    if credentials_jwt is not None:
        data["credentials_jwt"] = credentials_jwt
        data["signing"] = {"alg": issuer.signing_key.alg, "kid": issuer.signing_key.kid} if issuer.signing_key else None
    return data


def build_zip(portfolio: Portfolio, issuer: Issuer) -> bytes:
    credentials = [unit_credential(portfolio, unit, issuer) for unit in portfolio.units if unit.complete]
    jwts = [sign_credential(c, issuer.signing_key) for c in credentials] if issuer.signing_key else None
    files: list[tuple[str, bytes]] = [
        ("index.html", to_html(portfolio)),
        ("portfolio.pdf", to_pdf(portfolio)),
        ("manifest.json", json.dumps(manifest(portfolio, issuer, credentials, jwts), indent=2,
                                     ensure_ascii=False).encode("utf-8")),
    ]
    written = set()
    for evidence in portfolio.evidence:
        for attachment in evidence.attachments:
            if attachment.path and attachment.content is not None and attachment.path not in written:
                written.add(attachment.path)
                files.append((attachment.path, attachment.content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()
