"""The /api's OpenAPI 3.1 description, built from the app's own routes and marshmallow schemas.

Each /api view's operation is described once, in ``OPERATIONS`` below (keyed by the Flask endpoint); the
request and response bodies are the schemas of lrs.api.api_schemas, converted by apispec's marshmallow plugin.
The paths come from ``app.url_map``, so a renamed route moves in the description too, and
tests/api/test_openapi.py fails when a /api route has no entry here. Served unauthenticated at
``/api/openapi.json``, with a readable reference at ``/api/docs`` (server-rendered, no script).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, render_template_string

from lrs import __version__
from lrs.api import api_schemas as s

docs_api = Blueprint("api_docs", __name__)

_JSON = "application/json"


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": s.ErrorSchema}}}


def _ok(schema: Any, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


#: The answers every authenticated /api operation may give besides its own.
_COMMON = {
    "401": _error("no, unknown or revoked credentials (`rule` `authentication`)"),
    "413": _error("the request is larger than LRS_MAX_PAYLOAD (`rule` `payload-too-large`)"),
    "429": _error("too many failed authentications from this client or for this key (`rule` "
                  "`authentication-throttled`); the Retry-After header says when to try again"),
}
_BAD = _error("a parameter or the body breaks a rule; `path` names it")
_FORBIDDEN = _error("the credential's role or scope does not allow it (`rule` names which)")
_AGENT = {"name": "agent", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "the learner: `mailto:…`, `mbox_sha1sum:…`, `openid:…`, `account:<homePage>|<name>` or Agent JSON"}

_COHORT = {"name": "cohort", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "the cohort's activity IRI"}

#: Flask endpoint -> HTTP method -> OpenAPI operation (without the path, which comes from the URL rule).
OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "api.exports.list_exporters": {"get": {
        "tags": ["exports"], "summary": "The exporters installed, their formats and options",
        "responses": {"200": _ok(s.ExporterListSchema)},
    }},
    "api.exports.export_learner": {"get": {
        "tags": ["exports"], "summary": "One learner's record as a file, through exporter `name`",
        "parameters": [_AGENT, {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "format", "in": "query", "schema": {"type": "string"},
                        "description": "one of the exporter's formats (its first by default)"}],
        "responses": {
            # Any bytes: the media type is the format's (application/pdf, text/csv, application/json, ...).
            "200": {"description": "the file (Content-Disposition: attachment); the media type is the format's",
                    "content": {"*/*": {}}},
            "400": _BAD, "403": _FORBIDDEN, "404": _error("no such exporter"),
        },
    }},
    "api.learning.learner_summary": {"get": {
        "tags": ["learning"], "summary": "A learner's 70/20/10 summary",
        "parameters": [_AGENT, {"in": "query", "schema": s.SummaryQuerySchema}],
        "responses": {"200": _ok(s.LearnerSummarySchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.learning.cohort_summary": {"get": {
        "tags": ["learning"], "summary": "A cohort's 70/20/10 summary, with a block per learner",
        "parameters": [{"in": "query", "schema": s.CohortSummaryQuerySchema}],
        "responses": {"200": _ok(s.CohortSummarySchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.learning.journal_add": {"post": {
        "tags": ["learning"], "summary": "Record journal entries (one or a list, all or nothing)",
        "requestBody": {"required": True, "content": {_JSON: {"schema": {"anyOf": [
            {"$ref": "#/components/schemas/JournalEntry"},
            {"type": "array", "items": {"$ref": "#/components/schemas/JournalEntry"}},
        ]}}}},
        "responses": {"200": _ok(s.JournalIdsSchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.competency.list_frameworks": {"get": {
        "tags": ["competency"], "summary": "The competency frameworks in force",
        "responses": {"200": _ok(s.FrameworkListSchema)},
    }},
    "api.competency.show_framework": {"get": {
        "tags": ["competency"], "summary": "One framework with its items, or its CASE package",
        "parameters": [{"name": "framework", "in": "path", "required": True, "schema": {"type": "string"},
                        "description": "slug or URI"}, {"in": "query", "schema": s.FrameworkQuerySchema}],
        "responses": {
            "200": {"description": "the framework; with format=case the CASE 1.1 package itself",
                    "content": {_JSON: {"schema": {"anyOf": [
                        {"$ref": "#/components/schemas/FrameworkDetail"}, {"type": "object"}]}}}},
            "404": _error("no such framework"),
        },
    }},
    "api.competency.post_framework": {"post": {
        "tags": ["competency"], "summary": "Import a CASE 1.1 framework package (admin only)",
        "requestBody": {"required": True, "content": {_JSON: {"schema": {"type": "object"}}}},
        "responses": {"200": _ok(s.FrameworkImportedSchema, "replaced the framework with the same URI"),
                      "201": _ok(s.FrameworkImportedSchema, "imported"), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.competency.learner_evidence": {"get": {
        "tags": ["competency"], "summary": "A learner's evidence against every item of a framework",
        "parameters": [_AGENT, {"in": "query", "schema": s.FrameworkNamedQuerySchema}],
        "responses": {"200": _ok(s.EvidenceMatrixSchema), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework")},
    }},
    "api.reviews.post_decision": {"post": {
        "tags": ["reviews"], "summary": "An assessor's or IQA's decision",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.DecisionRequestSchema}}},
        "responses": {"201": _ok(s.DecisionSchema, "the decision, stored"), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such evidence, decision or framework"),
                      "409": _error("the decision judged has been superseded")},
    }},
    "api.reviews.review_queue": {"get": {
        "tags": ["reviews"], "summary": "What awaits a decision, oldest first",
        "parameters": [{"in": "query", "schema": s.QueueQuerySchema}],
        "responses": {"200": _ok(s.ReviewQueueSchema), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework")},
    }},
    "api.reviews.learner_progress": {"get": {
        "tags": ["reviews"], "summary": "A learner's progress, unit by unit and criterion by criterion",
        "parameters": [_AGENT, {"in": "query", "schema": s.FrameworkNamedQuerySchema}],
        "responses": {"200": _ok(s.ProgressSchema), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework")},
    }},
    "api.cohorts.cohort_dashboard": {"get": {
        "tags": ["cohorts"], "summary": "The programme lead's dashboard of a cohort (the cohort's lead, an admin)",
        "parameters": [{"in": "query", "schema": s.DashboardQuerySchema}],
        "responses": {"200": _ok(s.DashboardSchema), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no cohort with that IRI (`rule` `unknown-cohort`)")},
    }},
    "api.cohorts.list_learners": {"get": {
        "tags": ["cohorts"], "summary": "The learners enrolled in a cohort",
        "parameters": [_COHORT],
        "responses": {"200": _ok(s.EnrolmentListSchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.cohorts.enrol_learner": {"post": {
        "tags": ["cohorts"], "summary": "Enrol a learner in a cohort (an admin or the cohort's lead)",
        "parameters": [_COHORT],
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.EnrolmentRequestSchema}}},
        "responses": {"200": _ok(s.EnrolledSchema, "enrolled already"), "201": _ok(s.EnrolledSchema, "enrolled"),
                      "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.cohorts.unenrol_learner": {"delete": {
        "tags": ["cohorts"], "summary": "Unenrol a learner (an admin or the cohort's lead)",
        "parameters": [_COHORT, {"name": "agent", "in": "query", "required": True, "schema": {"type": "string"},
                                 "description": "the learner"}],
        "responses": {"204": {"description": "unenrolled"}, "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("that agent is not enrolled in this cohort")},
    }},
    "api.reviews.get_sampling_plan": {"get": {
        "tags": ["reviews"], "summary": "The sampling plan in force (assessors, IQAs, admins)",
        "responses": {"200": _ok(s.SamplingPlanSchema), "403": _FORBIDDEN},
    }},
    "api.reviews.put_sampling_plan": {method: {
        "tags": ["reviews"], "summary": "Adopt a sampling plan (a centre admin); in force from now on",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.SamplingPlanRequestSchema}}},
        "responses": {"201": _ok(s.SamplingPlanSchema, "the plan now in force"), "400": _BAD, "403": _FORBIDDEN},
    } for method in ("put", "post")},
    "api.reviews.post_unit_submission": {"post": {
        "tags": ["reviews"], "summary": "A learner submits a unit (an attempt), declaring the work their own",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.UnitSubmissionRequestSchema}}},
        "responses": {"201": _ok(s.UnitSchema, "the unit's state"), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework or unit"),
                      "409": _error("certification of the unit is claimed already (`unit-claimed`)")},
    }},
    "api.reviews.post_unit_claim": {"post": {
        "tags": ["reviews"], "summary": "The centre claims certification of a learner's unit (a centre admin)",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.UnitClaimRequestSchema}}},
        "responses": {"201": _ok(s.UnitSchema, "the unit's state"), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework or unit"),
                      "409": _error("the unit is not ready (`unit-not-ready`, naming what it waits for) or "
                                    "claimed already (`unit-claimed`)")},
    }},
    "api.reviews.learner_units": {"get": {
        "tags": ["reviews"], "summary": "A learner's units: submissions, sampling, claim, what each waits for",
        "parameters": [_AGENT, {"in": "query", "schema": s.FrameworkNamedQuerySchema}],
        "responses": {"200": _ok(s.LearnerUnitsSchema), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such framework")},
    }},
    "api.reviews.eqa_pack": {"get": {
        "tags": ["reviews"], "summary": "The EQA pack: decisions, sampling and claims as a ZIP (admins, IQAs)",
        "parameters": [{"in": "query", "schema": s.EqaPackQuerySchema}],
        "responses": {"200": {"description": "the ZIP (Content-Disposition: attachment)",
                              "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
                      "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.reviews.post_witness_request": {"post": {
        "tags": ["reviews"], "summary": "A one-time link for the witness of a piece of evidence",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.WitnessRequestSchema}}},
        "responses": {"201": _ok(s.WitnessLinkSchema, "the link"), "400": _BAD, "403": _FORBIDDEN,
                      "404": _error("no such evidence statement")},
    }},
    "api.reviews.post_observation": {"post": {
        "tags": ["reviews"], "summary": "An assessor's record of an observation or professional discussion",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.ObservationRequestSchema}}},
        "responses": {"201": _ok(s.StatementIdSchema, "the evidence statement"), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.admin_data.list_targets": {"get": {
        "tags": ["admin"], "summary": "The forwarding targets (never a password or secret)",
        "responses": {"200": _ok(s.ForwardTargetListSchema), "403": _FORBIDDEN},
    }},
    "api.admin_data.add_target": {"post": {
        "tags": ["admin"], "summary": "Add a forwarding target (another LRS or a webhook)",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.ForwardTargetRequestSchema}}},
        "responses": {"201": _ok(s.ForwardTargetSchema, "the target"), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.admin_data.remove_target": {"delete": {
        "tags": ["admin"], "summary": "Remove a forwarding target",
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"204": {"description": "removed"}, "403": _FORBIDDEN, "404": _error("no such target")},
    }},
    "api.admin_data.dead_letters": {"get": {
        "tags": ["admin"], "summary": "Statements a target gave up on",
        "parameters": [{"in": "query", "schema": s.DeadLetterQuerySchema}],
        "responses": {"200": _ok(s.DeadLetterListSchema), "403": _FORBIDDEN},
    }},
    "api.admin_data.replay": {"post": {
        "tags": ["admin"], "summary": "Queue dead letters again",
        "requestBody": {"required": False, "content": {_JSON: {"schema": s.ReplayRequestSchema}}},
        "responses": {"200": _ok(s.ReplayedSchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.admin_data.export_person": {"get": {
        "tags": ["admin"], "summary": "The subject access export: everything held about a person, as a ZIP",
        "parameters": [{"in": "query", "schema": s.PersonQuerySchema}],
        "responses": {"200": {"description": "the ZIP (index.html and a JSON file per kind)",
                              "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
                      "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.admin_data.erase_person": {"post": {
        "tags": ["admin"], "summary": "Erase or pseudonymise a person (or count what would go, with dryRun)",
        "requestBody": {"required": True, "content": {_JSON: {"schema": s.ErasureRequestSchema}}},
        "responses": {"200": _ok(s.ErasureResultSchema), "400": _BAD, "403": _FORBIDDEN},
    }},
    "api.admin_data.audit": {"get": {
        "tags": ["admin"], "summary": "The erasure audit log (who, when, the mode and the counts; never the data)",
        "responses": {"200": _ok(s.AuditListSchema), "403": _FORBIDDEN},
    }},
    "api_docs.openapi_json": {"get": {
        "tags": ["meta"], "summary": "This description", "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {_JSON: {"schema": {"type": "object"}}}}},
    }},
    "api_docs.reference_css": {"get": {
        "tags": ["meta"], "summary": "The reference page's style", "security": [],
        "responses": {"200": {"description": "CSS", "content": {"text/css": {"schema": {"type": "string"}}}}},
    }},
    "api_docs.reference": {"get": {
        "tags": ["meta"], "summary": "This description as a page", "security": [],
        "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
    }},
}

_SCHEMAS = {
    "Error": s.ErrorSchema, "JournalEntry": s.JournalEntrySchema, "FrameworkDetail": s.FrameworkDetailSchema,
}


def _exporter_options(app: Flask) -> list[dict[str, Any]]:
    """The installed exporters' declared options, as the query parameters they are (GET /api/exporters)."""
    from lrs.services.exports import available_exporters

    described: dict[str, list[str]] = {}
    for exporter in available_exporters(app.extensions["lrs"]).values():
        for option, help_text in (exporter.options or {}).items():
            described.setdefault(option, []).append(f"{exporter.name}: {help_text}")
    return [
        {"name": name, "in": "query", "schema": {"type": "string"}, "description": "; ".join(texts)}
        for name, texts in sorted(described.items())
    ]


def openapi_path(rule: str) -> str:
    """``/api/learners/<path:agent>/summary`` -> ``/api/learners/{agent}/summary``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s /api routes (only those described in ``OPERATIONS``)."""

    def resolver(schema: Any) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        return cls.__name__.removesuffix("Schema")

    spec = APISpec(
        title="LRS learning API", version=__version__, openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=resolver)],
        info={"description": "The /api routes (summaries, journal, frameworks, evidence, reviews, exports). "
                             "The xAPI resources under /xapi follow the xAPI specification; docs/api.md."},
        security=[{"basic": []}],
    )
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    for name, schema in _SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        described = OPERATIONS.get(rule.endpoint, {})
        operations = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = described.get(method.lower())
            if operation is None:
                continue
            operation = copy.deepcopy(operation)
            if rule.endpoint == "api.exports.export_learner":
                operation["parameters"] += _exporter_options(app)
            if operation.get("security") != []:
                operation["responses"] = {**_COMMON, **operation["responses"]}
            operation["operationId"] = f"{rule.endpoint}.{method.lower()}"
            operations[method.lower()] = operation
        if operations:
            spec.path(path=openapi_path(rule.rule), operations=operations)
    return spec.to_dict()


@docs_api.route("/api/openapi.json", methods=["GET"])
def openapi_json() -> Any:
    """The OpenAPI 3.1 description of the /api routes (no credentials needed)."""
    spec = current_app.extensions.get("lrs_openapi")
    if spec is None:
        spec = current_app.extensions["lrs_openapi"] = build_spec(current_app)
    return spec


@docs_api.route("/api/docs", methods=["GET"])
def reference() -> str:
    """The same description as a page: operations, parameters, answers and schemas (no script)."""
    spec = openapi_json()
    return render_template_string(_REFERENCE, spec=spec, dump=lambda v: json.dumps(v, indent=2))


#: The page's style, served as a file: the pages' Content-Security-Policy allows no inline style or script.
_CSS = """body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
code,pre{font:14px/1.4 ui-monospace,monospace}pre{background:#f4f4f4;padding:.75rem;overflow:auto}
.op{border-top:1px solid #ccc;padding-top:1rem}.m{font-weight:bold;text-transform:uppercase}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
"""


@docs_api.route("/api/docs.css", methods=["GET"])
def reference_css() -> Response:
    return Response(_CSS, content_type="text/css; charset=utf-8")


_REFERENCE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ spec.info.title }} {{ spec.info.version }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs.css"></head><body>
<h1>{{ spec.info.title }} <small>{{ spec.info.version }}</small></h1>
<p>{{ spec.info.description }}</p>
<p>Machine-readable: <a href="openapi.json">/api/openapi.json</a> (OpenAPI {{ spec.openapi }}).
Authentication: HTTP Basic with an LRS credential, except where an operation says none.</p>
<nav><h2>Operations</h2><ul>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() %}
<li><a href="#{{ op.operationId }}"><span class="m">{{ method }}</span> <code>{{ path }}</code></a>: {{ op.summary }}</li>
{% endfor %}{% endfor %}</ul></nav>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() %}
<section class="op" id="{{ op.operationId }}">
<h2><span class="m">{{ method }}</span> <code>{{ path }}</code></h2>
<p>{{ op.summary }}{% if op.security == [] %} (no credentials needed){% endif %}</p>
{% if op.parameters %}<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>meaning</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td><td>{{ 'yes' if p.required else 'no' }}</td>
<td><code>{{ dump(p.schema) }}</code></td><td>{{ p.description or '' }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}<h3>Body</h3>{% for type, c in op.requestBody.content.items() %}<p><code>{{ type }}</code></p>
<pre>{{ dump(c.get('schema', 'any')) }}</pre>{% endfor %}{% endif %}
<h3>Answers</h3><table><tr><th>status</th><th>meaning</th><th>body</th></tr>
{% for status, r in op.responses.items() %}<tr><td>{{ status }}</td><td>{{ r.description }}</td>
<td>{% for type, c in (r.content or {}).items() %}<code>{{ type }}</code> <code>{{ dump(c.get('schema', 'any')) }}</code>{% endfor %}</td></tr>{% endfor %}
</table></section>
{% endfor %}{% endfor %}
<section class="op"><h2>Schemas</h2>
{% for name, schema in spec.components.schemas.items() %}<h3 id="schema-{{ name }}">{{ name }}</h3><pre>{{ dump(schema) }}</pre>
{% endfor %}</section>
</body></html>
"""
