"""Portfolio evidence in the learning journal: evidence types, witnesses and attached files, recorded through
POST /api/journal and `lrs journal add`, read back as xAPI (attachments with their bytes), and every bad input a
400 naming the rule and the field, storing nothing. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import make_credential

from lrs.cli import cli
from lrs.learning import journal
from lrs.learning import vocabulary as v
from lrs.learning.journal import parse_entries, to_statement

JO = "mailto:jo@la.example"
SAM = "mailto:sam@la.example"
KSS_PL_4 = "https://w3id.org/xapi/social-work-leadership/frameworks/kss-practice-leaders/4"  # a shipped item
PDF = b"%PDF-1.4\n% a service plan, anonymised\n%%EOF\n"
SIGNED = b"%PDF-1.4\n% testimony signed by Sam Okafor\n%%EOF\n"
CRLF = b"\r\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment(data: bytes = PDF, name: str = "service-plan.pdf", **extra: Any) -> dict[str, Any]:
    return {"name": name, "content_type": "application/pdf", "content_base64": b64(data), **extra}


def entry(**overrides: Any) -> dict[str, Any]:
    """A work product without a reflection: the smallest piece of evidence that stands on its own."""
    body: dict[str, Any] = {
        "agent": JO,
        "what": "Service plan for the front door redesign",
        "description": "The plan I wrote and took to the improvement board.",
        "mode": "on-the-job",
        "date": "2026-03-04",
        "evidence_type": "product",
        "attachments": [attachment()],
    }
    body.update(overrides)
    return {k: val for k, val in body.items() if val is not None}


WITNESS = {
    "name": "Sam Okafor",
    "role": "Head of Service, Children's Social Care",
    "relationship": "line manager",
    "date": "2026-03-10",
    "agent": SAM,
}


@pytest.fixture
def jo(lrs_instance) -> tuple[str, str]:  # noqa: ANN001
    return make_credential(lrs_instance, ["all"], name="Jo", role="participant", agent_key=f"mbox:{JO}")


def record(client, body: Any, auth=None) -> list[str]:  # noqa: ANN001
    response = client.post("/api/journal", json=body, auth=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["ids"]


def fetch(client, statement_id: str) -> dict[str, Any]:  # noqa: ANN001
    response = client.get(f"/xapi/statements?statementId={statement_id}")
    assert response.status_code == 200
    return response.get_json()


def multipart_parts(response) -> list[tuple[dict[str, str], bytes]]:  # noqa: ANN001
    """The parts of a multipart/mixed response: the statement JSON first, then one per attachment."""
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    delimiter = b"--" + content_type.split("boundary=", 1)[1].strip('"').encode()
    body = response.get_data()
    closing = CRLF + delimiter + b"--" + CRLF
    assert body.startswith(delimiter + CRLF) and body.endswith(closing)
    parts = []
    for chunk in body[len(delimiter) : -len(closing)].split(CRLF + delimiter):
        head, _, content = chunk[2:].partition(CRLF + CRLF)
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append(({k.lower(): val for k, val in headers.items()}, content))
    return parts


def stored_bytes(client, statement_id: str) -> dict[str, tuple[str, bytes]]:  # noqa: ANN001
    """GET ...&attachments=true: the statement's attachment content by hash, with its Content-Type."""
    response = client.get(f"/xapi/statements?statementId={statement_id}&attachments=true")
    assert response.status_code == 200
    [(_, statement_json), *parts] = multipart_parts(response)
    assert json.loads(statement_json)["id"] == statement_id
    return {h["x-experience-api-hash"]: (h["content-type"], content) for h, content in parts}


def statement_count(client) -> int:  # noqa: ANN001
    return len(client.get("/xapi/statements?limit=0").get_json()["statements"])


# --- each evidence type, recorded and read back ------------------------------------------------------------


def test_a_work_product_carries_its_file_as_an_xapi_attachment(client, jo):
    [statement_id] = record(client, entry(attachments=[attachment(description="Anonymised plan, v3")]), auth=jo)
    s = fetch(client, statement_id)
    assert s["context"]["extensions"][v.EXT_EVIDENCE_TYPE] == "product"
    assert "result" not in s  # no reflection given: no result.response, no impact extension
    assert s["attachments"] == [
        {
            "usageType": v.USAGE_WORK_PRODUCT,
            "display": {"en-GB": "service-plan.pdf"},
            "description": {"en-GB": "Anonymised plan, v3"},
            "contentType": "application/pdf",
            "length": len(PDF),
            "sha2": sha256(PDF),
        }
    ]
    assert stored_bytes(client, statement_id) == {sha256(PDF): ("application/pdf", PDF)}


def test_a_witness_testimony_as_text(client, jo):
    body = entry(
        what="Chaired a complex strategy discussion",
        evidence_type="witness-testimony",
        attachments=None,
        witness={**WITNESS, "testimony": "Jo kept the discussion on the child's lived experience throughout."},
    )
    [statement_id] = record(client, body, auth=jo)
    s = fetch(client, statement_id)
    extensions = s["context"]["extensions"]
    assert extensions[v.EXT_EVIDENCE_TYPE] == "witness-testimony"
    assert extensions[v.EXT_WITNESS] == {
        "name": "Sam Okafor",
        "role": "Head of Service, Children's Social Care",
        "relationship": "line manager",
        "date": "2026-03-10",
        "agent": {"objectType": "Agent", "mbox": SAM, "name": "Sam Okafor"},
        "testimony": "Jo kept the discussion on the child's lived experience throughout.",
    }
    assert "result" not in s and "attachments" not in s


def test_a_witness_testimony_as_a_signed_attachment(client, jo):
    witness = {"name": "Sam Okafor", "role": "Head of Service", "agent": {"mbox": SAM}}
    body = entry(
        evidence_type="witness-testimony",
        witness=witness,
        attachments=[attachment(SIGNED, "testimony-signed.pdf")],
    )
    [statement_id] = record(client, body, auth=jo)
    s = fetch(client, statement_id)
    assert s["context"]["extensions"][v.EXT_WITNESS] == {
        "name": "Sam Okafor",
        "role": "Head of Service",
        "agent": {"objectType": "Agent", "mbox": SAM, "name": "Sam Okafor"},
    }
    [att] = s["attachments"]
    assert (att["usageType"], att["sha2"], att["length"]) == (v.USAGE_WITNESS_TESTIMONY, sha256(SIGNED), len(SIGNED))
    assert stored_bytes(client, statement_id) == {sha256(SIGNED): ("application/pdf", SIGNED)}


def test_an_observation_names_the_observer_as_witness(client, jo):
    observer = {"name": "Priya Shah", "role": "ILM assessor", "relationship": "assessor", "date": "2026-03-04"}
    body = entry(
        what="Observed: chairing the weekly risk panel",
        evidence_type="observation",
        attachments=None,
        witness=observer,
        standards=[KSS_PL_4],
        reflection={"learned": "I close items before everyone has spoken.", "impact": "I now go round the room."},
    )
    [statement_id] = record(client, body, auth=jo)
    s = fetch(client, statement_id)
    extensions = s["context"]["extensions"]
    assert extensions[v.EXT_EVIDENCE_TYPE] == "observation"
    assert extensions[v.EXT_WITNESS] == observer
    assert extensions[v.EXT_STANDARDS] == [KSS_PL_4]
    assert s["result"]["response"] == "I close items before everyone has spoken."
    assert s["result"]["extensions"][v.EXT_IMPACT] == "I now go round the room."


def test_a_professional_discussion_and_a_reflective_account(client, jo):
    discussion = entry(
        what="Professional discussion with my assessor on unit 8600-508",
        mode="formal",
        duration="PT1H",
        evidence_type="professional-discussion",
        attachments=[attachment(b"ID3 recording", "discussion.mp3", content_type="audio/mpeg")],
        witness={"name": "Priya Shah", "role": "ILM assessor"},
    )
    account = entry(
        what="Reflective account: leading through the Ofsted visit",
        evidence_type="reflective-account",
        attachments=None,
        reflection={"learned": "Inspectors wanted the practice story.", "impact": "I lead with cases now."},
    )
    first, second = record(client, [discussion, account], auth=jo)
    s = fetch(client, first)
    assert s["context"]["extensions"][v.EXT_EVIDENCE_TYPE] == "professional-discussion"
    assert s["result"] == {"duration": "PT1H"}  # a duration, but no reflective answers
    assert s["attachments"][0]["contentType"] == "audio/mpeg"
    assert s["attachments"][0]["usageType"] == v.USAGE_WORK_PRODUCT
    s = fetch(client, second)
    assert s["context"]["extensions"] == {v.EXT_EVIDENCE_TYPE: "reflective-account"}
    assert s["result"]["response"] == "Inspectors wanted the practice story."


@pytest.mark.parametrize("evidence_type", ["questioning", "recognition-of-prior-learning"])
def test_the_other_evidence_types_need_no_reflection(client, jo, evidence_type):
    [statement_id] = record(client, entry(evidence_type=evidence_type), auth=jo)
    assert fetch(client, statement_id)["context"]["extensions"][v.EXT_EVIDENCE_TYPE] == evidence_type


def test_content_shared_by_entries_is_stored_once_and_served_to_each(client, lrs_instance):
    ids = record(client, [entry(), entry(date="2026-03-05", attachments=[attachment(), attachment(SIGNED, "b.pdf")])])
    assert [len(fetch(client, i)["attachments"]) for i in ids] == [1, 2]
    assert set(lrs_instance.attachments({sha256(PDF), sha256(SIGNED)})) == {sha256(PDF), sha256(SIGNED)}
    assert stored_bytes(client, ids[1]) == {
        sha256(PDF): ("application/pdf", PDF),
        sha256(SIGNED): ("application/pdf", SIGNED),
    }


def test_base64_with_line_breaks_is_accepted(client):
    wrapped = "\n".join(b64(PDF * 4)[i : i + 76] for i in range(0, len(b64(PDF * 4)), 76))
    [statement_id] = record(client, entry(attachments=[attachment(content_base64=wrapped)]))
    assert fetch(client, statement_id)["attachments"][0]["sha2"] == sha256(PDF * 4)


def test_to_statement_without_reflection_has_no_result():
    [parsed] = parse_entries(entry(attachments=None, evidence_type="product"))
    s = to_statement(parsed, activity_base="https://lrs.example/")
    assert "result" not in s and "attachments" not in s
    assert s["context"]["extensions"] == {v.EXT_EVIDENCE_TYPE: "product"}


# --- bad inputs ---------------------------------------------------------------------------------------------

FUTURE = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()


@pytest.mark.parametrize(
    ("body", "path", "rule"),
    [
        (entry(evidence_type="portfolio"), "evidence_type", "evidence-type"),
        (entry(evidence_type=["product"]), "evidence_type", "evidence-type"),
        (entry(witness={"role": "Head of Service"}), "witness.name", "required"),
        (entry(witness={"name": "Sam Okafor"}), "witness.role", "required"),
        (entry(witness={**WITNESS, "date": FUTURE}), "witness.date", "invalid-journal-entry"),
        (entry(witness={**WITNESS, "date": "10/03/2026"}), "witness.date", "invalid-journal-entry"),
        (entry(witness={**WITNESS, "signature": "S. Okafor"}), "witness.signature", "unknown-field"),
        (entry(witness={**WITNESS, "agent": JO}), "witness.agent", "invalid-journal-entry"),
        (entry(witness="Sam"), "witness", "invalid-journal-entry"),
        (entry(evidence_type="witness-testimony", attachments=None), "witness", "required"),
        (
            entry(evidence_type="witness-testimony", attachments=None, witness=WITNESS),
            "witness.testimony",
            "required",
        ),
        (entry(attachments=[attachment(content_base64="not base64!")]), "attachments[0].content_base64", "base64"),
        (entry(attachments=[attachment(), attachment(content_base64="QUJD=")]), "attachments[1].content_base64", "base64"),
        (entry(attachments=[attachment(content_base64="")]), "attachments[0].content_base64", "required"),
        (entry(attachments=[attachment() for _ in range(11)]), "attachments", "too-many-attachments"),
        (entry(attachments=[attachment(content_type=None)]), "attachments[0].content_type", "required"),
        (entry(attachments=[attachment(content_type="pdf")]), "attachments[0].content_type", "media-type"),
        (entry(attachments=[attachment(name="../../etc/plan.pdf")]), "attachments[0].name", "invalid-journal-entry"),
        (entry(attachments=[{"content_type": "text/plain", "content_base64": "eA=="}]), "attachments[0].name", "required"),
        (entry(attachments=[attachment(url="https://x.example/a.pdf")]), "attachments[0].url", "unknown-field"),
        (entry(attachments="plan.pdf"), "attachments", "invalid-journal-entry"),
        (entry(evidence_type="reflective-account"), "reflection", "required"),
        (entry(evidence_type=None), "reflection", "required"),
        (entry(reflection={"learned": "a lot"}), "reflection.impact", "required"),
        (entry(reflection="it was good"), "reflection", "required"),
        (entry(exhibit="A"), "exhibit", "unknown-field"),
    ],
)  # fmt: skip
def test_bad_evidence_is_a_400_naming_rule_and_field_and_stores_nothing(client, lrs_instance, body, path, rule):
    response = client.post("/api/journal", json=body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["path"], error["rule"]) == (path, rule), error
    assert error["message"].startswith(f"{path}: ")
    assert statement_count(client) == 0
    assert lrs_instance.attachments({sha256(PDF)}) == {}


def test_an_attachment_over_the_size_limit_is_refused(client, monkeypatch):
    monkeypatch.setattr(journal, "MAX_ATTACHMENT_BYTES", 16)
    too_big = client.post("/api/journal", json=entry(attachments=[attachment(b"x" * 16), attachment(b"y" * 17)]))
    assert too_big.status_code == 400
    error = too_big.get_json()["error"]
    assert (error["path"], error["rule"]) == ("attachments[1].content_base64", "attachment-too-large")
    assert "16 bytes" in error["message"]
    # Far too big is refused before decoding, with the same answer.
    huge = client.post("/api/journal", json=entry(attachments=[attachment(b"z" * 1000)]))
    assert huge.get_json()["error"]["rule"] == "attachment-too-large"
    assert statement_count(client) == 0
    assert len(record(client, entry(attachments=[attachment(b"x" * 16)]))) == 1


def test_a_batch_with_one_bad_entry_stores_nothing(client, lrs_instance):
    good = entry()
    bad = entry(evidence_type="witness-testimony", witness={"name": "Sam Okafor"}, date="2026-03-06")
    response = client.post("/api/journal", json=[good, bad])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["path"], error["rule"]) == ("[1].witness.role", "required")
    bad_base64 = client.post("/api/journal", json=[good, entry(attachments=[attachment(content_base64="%%%")])])
    assert bad_base64.get_json()["error"]["path"] == "[1].attachments[0].content_base64"
    assert statement_count(client) == 0
    assert lrs_instance.attachments({sha256(PDF)}) == {}


def test_a_participant_records_evidence_only_in_its_own_journal(client, jo):
    other = client.post("/api/journal", json=entry(agent=SAM), auth=jo)
    assert other.status_code == 403
    assert statement_count(client) == 0


def test_the_witness_extension_follows_the_profile_schema_when_complete(client, jo):
    """With relationship and date given and the testimony attached, the witness object is what the profile's
    inlineSchema for the extension describes."""
    from jsonschema import Draft7Validator

    from lrs.learning.classification import PROFILE_PATH

    profile = json.loads(PROFILE_PATH.read_text(encoding="utf-8"))
    [concept] = [c for c in profile["concepts"] if c["id"] == v.EXT_WITNESS]
    body = entry(evidence_type="witness-testimony", witness=WITNESS, attachments=[attachment(SIGNED)])
    [statement_id] = record(client, body, auth=jo)
    witness = fetch(client, statement_id)["context"]["extensions"][v.EXT_WITNESS]
    assert list(Draft7Validator(json.loads(concept["inlineSchema"])).iter_errors(witness)) == []


def test_the_cpd_log_copes_with_evidence_without_reflection(client, jo):
    """The SWE CPD log plugin exports a journal of assessment evidence without reflective answers: the evidence
    is for the ILM portfolio, so it stays out of the regulator's log (unless the participant selects it, see
    tests/plugins/test_cpd_log_export.py) and the log says no complete record is there yet."""
    record(client, [entry(), entry(what="Observed panel", evidence_type="observation", attachments=None,
                                   witness={"name": "Priya Shah", "role": "ILM assessor"})], auth=jo)  # fmt: skip
    response = client.get(f"/api/learners/{quote(JO)}/exports/cpd-log?year=2026&format=json", auth=jo)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = json.loads(response.get_data())
    assert data["pieces"] == []
    assert not data["readiness"]["ready"]
    assert data["readiness"]["missing"][0].startswith("Record at least 2 complete pieces of CPD for 2025–26: 0 complete")


# --- the command line ---------------------------------------------------------------------------------------


@pytest.fixture
def run(lrs_instance, settings):  # noqa: ANN001, ANN201
    lrs_instance.pm.hook.lrs_register_commands(cli=cli)
    runner = CliRunner()
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    base = ["journal", "add", "--agent", JO, "--mode", "on-the-job", "--date", "2026-03-04"]
    return lambda *args: runner.invoke(cli, [*base, *args], env=env)


def test_lrs_journal_add_records_a_work_product_with_attach(client, run, tmp_path):
    plan = tmp_path / "service-plan.pdf"
    plan.write_bytes(PDF)
    notes = tmp_path / "notes.unknownext"
    notes.write_bytes(b"\x00\x01 raw")
    result = run("--what", "Service plan", "--evidence-type", "product", "--attach", str(plan), "--attach", str(notes))
    assert result.exit_code == 0, result.output
    statement_id = result.output.strip()
    s = fetch(client, statement_id)
    assert s["context"]["extensions"][v.EXT_EVIDENCE_TYPE] == "product"
    assert "result" not in s
    assert [(a["display"]["en-GB"], a["contentType"], a["sha2"], a["usageType"]) for a in s["attachments"]] == [
        ("service-plan.pdf", "application/pdf", sha256(PDF), v.USAGE_WORK_PRODUCT),
        ("notes.unknownext", "application/octet-stream", sha256(b"\x00\x01 raw"), v.USAGE_WORK_PRODUCT),
    ]
    assert stored_bytes(client, statement_id)[sha256(PDF)] == ("application/pdf", PDF)


def test_lrs_journal_add_records_a_witness_testimony(client, run):
    result = run(
        "--what", "Chaired the strategy discussion", "--evidence-type", "witness-testimony",
        "--witness-name", "Sam Okafor", "--witness-role", "Head of Service", "--witness-relationship",
        "line manager", "--witness-date", "2026-03-10", "--witness-testimony", "Jo kept the child central.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    s = fetch(client, result.output.strip())
    assert s["context"]["extensions"][v.EXT_WITNESS] == {
        "name": "Sam Okafor",
        "role": "Head of Service",
        "relationship": "line manager",
        "date": "2026-03-10",
        "testimony": "Jo kept the child central.",
    }


def test_lrs_journal_add_checks_evidence_as_the_api_does(client, run, tmp_path, monkeypatch):
    no_testimony = run("--what", "x", "--evidence-type", "witness-testimony", "--witness-name", "Sam",
                       "--witness-role", "HoS")  # fmt: skip
    assert no_testimony.exit_code != 0 and "witness.testimony:" in no_testimony.output
    no_reflection = run("--what", "x")
    assert no_reflection.exit_code != 0 and "reflection.learned:" in no_reflection.output
    half = run("--what", "x", "--evidence-type", "product", "--learned", "a lot")
    assert half.exit_code != 0 and "reflection.impact:" in half.output
    bad_type = run("--what", "x", "--evidence-type", "essay", "--learned", "a", "--impact", "b")
    assert bad_type.exit_code != 0 and "evidence_type:" in bad_type.output
    monkeypatch.setattr(journal, "MAX_ATTACHMENT_BYTES", 16)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 1000)
    too_big = run("--what", "x", "--evidence-type", "product", "--attach", str(big))
    assert too_big.exit_code != 0 and "attachments[0].content_base64:" in too_big.output
    missing = run("--what", "x", "--evidence-type", "product", "--attach", str(tmp_path / "nope.pdf"))
    assert missing.exit_code != 0
    assert statement_count(client) == 0
