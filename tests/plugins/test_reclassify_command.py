"""`lrs reclassify` from the command line: a plugin named in LRS_PLUGINS changes the classification, and the
command applies it to the statements stored before. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner
from conftest import statement

from lrs.cli import cli
from lrs.learning.classification import ClassificationRulesError

from .conftest import stored_modes
from .sample_plugins import MENTORED, PONDERED


def test_reclassify_command_applies_a_new_plugin_and_prints_counts(lrs_with, client_for, settings):
    before = lrs_with()
    client = client_for(before)
    pondered = [str(uuid.uuid4()) for _ in range(3)]
    body = [statement(id=i, verb={"id": PONDERED}) for i in pondered]
    body.append(statement(id=str(uuid.uuid4()), verb={"id": MENTORED}))
    assert client.post_statements(body).status_code == 200
    assert {stored_modes(before)[i][0] for i in pondered} == {None}

    before.pm.hook.lrs_register_commands(cli=cli)
    runner = CliRunner()
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": "plugins.sample_plugins"}
    dry = runner.invoke(cli, ["reclassify", "--dry-run", "--batch-size", "3"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "examined 4, would change 3, unchanged 1" in dry.output
    assert {stored_modes(before)[i][0] for i in pondered} == {None}

    done = runner.invoke(cli, ["reclassify", "--batch-size", "3"], env=env)
    assert done.exit_code == 0, done.output
    assert "examined 4, changed 3, unchanged 1" in done.output
    assert "on-the-job: 3" in done.output and "social: 1" in done.output
    assert {stored_modes(before)[i][0] for i in pondered} == {"on-the-job"}

    again = runner.invoke(cli, ["reclassify"], env=env)
    assert "examined 0, changed 0" in again.output


def test_operator_rules_file_changes_classification_on_ingest_and_for_stored_statements(
    lrs_with, client_for, tmp_path, monkeypatch
):
    before = lrs_with()
    client = client_for(before)
    old_id = str(uuid.uuid4())
    assert client.post_statements(statement(id=old_id, verb={"id": MENTORED})).status_code == 200
    assert stored_modes(before)[old_id][0] == "social"

    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"rules": [{"verb": MENTORED, "mode": "on-the-job", "note": "our coaches shadow"}]})
    )
    after = lrs_with(classification_rules=str(rules))  # LRS_CLASSIFICATION_RULES, read by Settings
    assert after.classification_fingerprint() != before.classification_fingerprint()
    new_id = str(uuid.uuid4())
    assert client_for(after).post_statements(statement(id=new_id, verb={"id": MENTORED})).status_code == 200
    assert stored_modes(after)[new_id][0] == "on-the-job"  # ingest uses the operator's rules

    report = after.reclassify()
    assert (report["examined"], report["changed"]) == (1, 1)  # only the statement stored under the old rules
    assert stored_modes(after)[old_id][0] == "on-the-job"


def test_a_broken_rules_file_stops_the_app_from_starting(lrs_with, client_for, tmp_path, monkeypatch):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [{"verb": MENTORED, "mode": "70"}]}))
    with pytest.raises(ClassificationRulesError, match="rules.json"):
        client_for(lrs_with(classification_rules=str(rules)))
