"""Every malformed statement of the shared table, sent over HTTP as an LMS would, on both databases: each gets a
400 whose JSON names the rule and the field path, alone or inside a batch, and nothing is stored."""

from __future__ import annotations

import pytest
from malformed_statements import malformed_for, valid_for

VERSIONS = ("1.0.3", "2.0.0")


def stored_count(client) -> int:  # noqa: ANN001
    total, url = 0, "/xapi/statements?limit=1000"
    while url:
        body = client.get(url).get_json()
        total += len(body["statements"])
        url = body["more"]
    return total


@pytest.mark.parametrize("version", VERSIONS)
def test_each_malformed_statement_is_a_400_naming_rule_and_path(client, version):
    client.version = version
    cases = malformed_for(version)
    assert len(cases) >= 60
    good = {"actor": {"mbox": "mailto:ok@lrs.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": "https://lrs.example/ok"}}
    for case_id, statement, rule, path in cases:
        alone = client.post_statements(statement)
        assert alone.status_code == 400, case_id
        error = alone.get_json()["error"]
        assert error["rule"] == rule, (case_id, error)
        assert error["path"].startswith(path), (case_id, error)
        # The same statement second in a batch: the whole batch is refused, and the path says which one.
        batch = client.post_statements([good, statement])
        assert batch.status_code == 400, case_id
        assert batch.get_json()["error"]["path"].startswith(f"[1].{path}" if path else "[1]"), case_id
        put = client.put("/xapi/statements?statementId=0b7f6f5e-3a1c-4a5e-9a51-0d8c2c6e1a11", json=statement)
        assert put.status_code == 400, case_id
    assert stored_count(client) == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_the_valid_table_is_accepted(client, version):
    client.version = version
    cases = valid_for(version)
    for case_id, statement in cases:
        response = client.post_statements(statement)
        assert response.status_code == 200, (case_id, response.get_json())
    assert stored_count(client) == len(cases)
