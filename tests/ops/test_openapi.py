"""/api/openapi.json describes every /api route; /api/docs shows it without credentials or script."""

from __future__ import annotations

from lrs.api.openapi import openapi_path


def test_every_api_route_is_in_the_description(app) -> None:  # noqa: ANN001
    spec = app.test_client().get("/api/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in spec["paths"].get(openapi_path(rule.rule), {}):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "describe these in lrs.api.openapi.OPERATIONS"


def test_the_description_names_the_bodies_errors_and_security(app) -> None:  # noqa: ANN001
    spec = app.test_client().get("/api/openapi.json").get_json()
    journal = spec["paths"]["/api/journal"]["post"]
    assert "requestBody" in journal
    assert journal["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["securitySchemes"]["basic"] == {"type": "http", "scheme": "basic"}
    assert spec["security"] == [{"basic": []}]
    entry = spec["components"]["schemas"]["JournalEntry"]
    assert set(entry["required"]) == {"what", "mode", "date"}
    assert entry["properties"]["mode"]["enum"] == ["on-the-job", "social", "formal"]
    export = spec["paths"]["/api/learners/{agent}/exports/{name}"]["get"]
    assert {p["name"] for p in export["parameters"]} >= {"agent", "name", "format", "year", "qualification"}
    summary = spec["paths"]["/api/learners/{agent}/summary"]["get"]
    assert {p["name"] for p in summary["parameters"]} >= {"agent", "from", "to", "period", "basis"}


def test_the_reference_page_needs_no_credentials_and_no_script(app) -> None:  # noqa: ANN001
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "/api/learners/{agent}/summary" in html and "JournalEntry" in html
    assert client.get("/api/docs.css").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/frameworks").status_code == 401  # the rest of /api still needs credentials
