"""The /api contract: requests generated from /api/openapi.json, every answer checked against it.

schemathesis builds requests (parameters and bodies, valid and not) for every operation the description
lists and sends them to the WSGI app with an admin credential, which can reach every route. Its checks fail on
a 5xx, a status the description does not list, a body or content type that does not match the documented
schema, and a missing required header, and when a request the description calls invalid is accepted. Left
out: "a schema-valid request must be accepted", because some values have rules no schema states (an agent
identifier, a target split, a framework that exists), and the LRS answers those with a documented 400. Bounded: a handful of examples per operation, on each database.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from conftest import make_credential, statement
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def api_schema(app, lrs_instance):  # noqa: ANN001, ANN201
    # Something to find: a statement by a learner in a cohort, so that summaries and evidence have rows.
    lrs_instance.store_statements(statement(), _admin_principal(lrs_instance), "1.0.3")
    key, secret = make_credential(lrs_instance, ["all"], name="contract", role="admin")
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    app.config["CONTRACT_AUTH"] = f"Basic {token}"
    return schema


def _admin_principal(lrs):  # noqa: ANN001, ANN202
    key, secret = make_credential(lrs, ["all"], name="seed", role="admin")
    return lrs.authenticate(key, secret)


def test_every_api_answer_matches_the_description(api_schema, app) -> None:  # noqa: ANN001
    # Each operation in turn, rather than schemathesis' pytest loader: its lazy fixture loader does not run
    # under pytest 9. The checks are the same (call_and_validate runs them all).
    auth = {"Authorization": app.config["CONTRACT_AUTH"]}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
            derandomize=True, database=None,
        )
        def exchange(case) -> None:  # noqa: ANN001
            app.extensions.pop("lrs.auth_throttle", None)  # as below: the ignored-auth check's 401s
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        exchange()


JO = "mailto:jo@la.example"
COHORT = "https://lrs.example/programmes/pldp-2025"
ENROLLED = "urn:lrs-example:cohorts:contract"
JOURNAL_ENTRY = {
    "agent": JO, "what": "Action learning set", "mode": "social", "date": "2025-03-04", "duration": "PT2H",
    "reflection": {"learned": "who holds the risk", "impact": "I ask it at every review"}, "programme": COHORT,
    "standards": ["https://w3id.org/xapi/social-work-leadership/frameworks/ilm-l5-leadership/U1.AC1.1"],
}
#: Requests a caller would make, each of which succeeds: generated values rarely name a learner or framework
#: that exists, so these make sure the success answers are checked against the description too.
SUCCESSFUL_REQUESTS = [
    ("/api/journal", "POST", {"body": [JOURNAL_ENTRY, {**JOURNAL_ENTRY, "mode": "on-the-job"}]}),
    ("/api/learners/{agent}/summary", "GET", {"path_parameters": {"agent": JO},
                                              "query": {"from": "2025-01-01", "to": "2025-06-30", "period": "month"}}),
    ("/api/cohorts/summary", "GET", {"query": {"activity": COHORT, "period": "quarter"}}),
    # A cohort IRI without "//", which a path parameter would not keep.
    ("/api/cohorts/{cohort}/learners", "POST", {"path_parameters": {"cohort": ENROLLED}, "body": {"agent": JO}}),
    ("/api/cohorts/dashboard", "GET", {"query": {"cohort": ENROLLED}}),
    ("/api/frameworks", "GET", {}),
    ("/api/frameworks/{framework}", "GET", {"path_parameters": {"framework": "ilm-l5-leadership"}}),
    ("/api/frameworks/{framework}", "GET", {"path_parameters": {"framework": "ilm-l5-leadership"},
                                            "query": {"format": "case"}}),
    ("/api/learners/{agent}/evidence", "GET", {"path_parameters": {"agent": JO},
                                               "query": {"framework": "ilm-l5-leadership"}}),
    ("/api/learners/{agent}/progress", "GET", {"path_parameters": {"agent": JO},
                                               "query": {"framework": "ilm-l5-leadership"}}),
    ("/api/reviews/queue", "GET", {"query": {"role": "assessor", "limit": 10}}),
    ("/api/exporters", "GET", {}),
    ("/api/learners/{agent}/units", "GET", {"path_parameters": {"agent": JO},
                                            "query": {"framework": "ilm-l5-leadership"}}),
    ("/api/reviews/sampling-plan", "GET", {}),
    ("/api/reviews/sampling-plan", "PUT", {"body": {"default_rate": 0.2}}),
    ("/api/reviews/eqa-pack", "GET", {}),
    ("/api/admin/forward/targets", "POST", {"body": {"name": "contract-hook", "kind": "webhook",
                                                     "url": "http://127.0.0.1:9/hook", "secret": "s3cret",
                                                     "agent": "mailto:nobody@la.example"}}),
    ("/api/admin/forward/targets", "GET", {}),
    ("/api/admin/forward/dead", "GET", {}),
    ("/api/admin/forward/replay", "POST", {"body": {}}),
    ("/api/admin/agents/export", "GET", {"query": {"agent": [JO]}}),
    ("/api/admin/agents/erase", "POST", {"body": {"agent": "mailto:nobody@la.example", "dryRun": True}}),
    ("/api/admin/audit", "GET", {}),
    ("/api/learners/{agent}/exports/{name}", "GET", {"path_parameters": {"agent": JO, "name": "cpd-log"},
                                                     "query": {"format": "json", "year": "2025"}}),
]


def test_successful_answers_match_the_description(api_schema, app) -> None:  # noqa: ANN001
    auth = {"Authorization": app.config["CONTRACT_AUTH"]}
    for path, method, parts in SUCCESSFUL_REQUESTS:
        case = api_schema[path][method].Case(**parts)
        # schemathesis' ignored-auth check sends each request without credentials too; those 401s would make
        # the failed-authentication throttle answer 429 after a few operations, so each starts afresh.
        app.extensions.pop("lrs.auth_throttle", None)
        response = case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])
        assert 200 <= response.status_code < 300, (path, response.status_code, response.text[:300])
