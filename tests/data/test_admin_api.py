"""The admin API for forwarding: targets added, listed (never with a password or secret), removed; dead letters
listed and replayed; admins only; bad bodies get a 400 naming the rule."""

from __future__ import annotations

import base64
from typing import Any

from conftest import make_credential

from lrs.services.statements import LRS


def _auth(credential: tuple[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(":".join(credential).encode()).decode()}


def test_forward_targets_through_the_admin_api(app: Any, lrs_instance: LRS) -> None:
    admin = _auth(make_credential(lrs_instance, ["all"], name="admin", role="admin"))
    participant = _auth(make_credential(lrs_instance, [], name="Jo", role="participant", agent_key="mbox:mailto:jo@la.example"))
    web = app.test_client()

    made = web.post("/api/admin/forward/targets", headers=admin, json={
        "name": "warehouse", "kind": "xapi", "url": "http://127.0.0.1:9/xapi", "key": "k", "secret": "s3cret-value"})
    assert made.status_code == 201, made.get_json()
    hook = web.post("/api/admin/forward/targets", headers=admin, json={
        "name": "alerts", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}).get_json()
    assert len(hook["secret"]) >= 32  # shown once, when made

    listed = web.get("/api/admin/forward/targets", headers=admin)
    assert [t["name"] for t in listed.get_json()["targets"]] == ["alerts", "warehouse"]
    assert "s3cret-value" not in listed.get_data(as_text=True) and hook["secret"] not in listed.get_data(as_text=True)

    duplicate = web.post("/api/admin/forward/targets", headers=admin, json={
        "name": "alerts", "kind": "webhook", "url": "http://127.0.0.1:9/hook"})
    assert duplicate.status_code == 400 and duplicate.get_json()["error"]["rule"] == "forward-target"
    missing = web.post("/api/admin/forward/targets", headers=admin, json={"name": "x", "kind": "webhook"})
    assert missing.status_code == 400 and missing.get_json()["error"]["path"] == "url"
    not_json = web.post("/api/admin/forward/targets", headers=admin, data="x", content_type="text/plain")
    assert not_json.status_code == 400

    assert web.get("/api/admin/forward/dead", headers=admin).get_json() == {"dead": []}
    assert web.post("/api/admin/forward/replay", headers=admin, json={"target": "alerts"}).get_json() == {"queued": 0}
    assert web.delete("/api/admin/forward/targets/alerts", headers=admin).status_code == 204
    assert web.delete("/api/admin/forward/targets/alerts", headers=admin).status_code == 404

    for method, path in (("get", "/api/admin/forward/targets"), ("get", "/api/admin/forward/dead"),
                         ("get", "/api/admin/audit"), ("post", "/api/admin/forward/replay")):
        answer = getattr(web, method)(path, headers=participant)
        assert answer.status_code == 403 and answer.get_json()["error"]["rule"] == "admin-only"
    assert web.get("/api/admin/audit").status_code == 401


def test_erase_needs_a_mode_unless_a_dry_run(app: Any, lrs_instance: LRS) -> None:
    admin = _auth(make_credential(lrs_instance, ["all"], name="admin", role="admin"))
    web = app.test_client()
    answer = web.post("/api/admin/agents/erase", headers=admin, json={"agent": "mailto:jo@la.example"})
    assert answer.status_code == 400 and answer.get_json()["error"]["rule"] == "erasure-mode"
    answer = web.post("/api/admin/agents/erase", headers=admin, json={"agent": "not an agent", "dryRun": True})
    assert answer.status_code == 400 and answer.get_json()["error"]["path"] == "agent"
    assert web.get("/api/admin/agents/export", headers=admin).status_code == 400
