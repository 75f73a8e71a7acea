"""The CLI never silently does the wrong thing: unknown options, agents, missing databases, messages."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_credential, statement

from lrs.cli import cli
from lrs.cli.learning import format_summary
from lrs.config import Settings, project_checkout

ROOT = Path(__file__).resolve().parents[2]
JO = "mailto:jo@la.example"


@pytest.fixture
def runner(settings: Settings, lrs_instance, monkeypatch: pytest.MonkeyPatch) -> CliRunner:  # noqa: ANN001
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    principal = lrs_instance.authenticate(*_credential(lrs_instance))
    lrs_instance.store_statements([statement()], principal, "1.0.3")
    return CliRunner()


def _credential(lrs):  # noqa: ANN001, ANN202
    return make_credential(lrs, ["all"], name="cli", role="admin")


def test_an_unknown_exporter_option_is_an_error_and_nothing_is_written(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "log.json"
    result = runner.invoke(cli, ["export", "cpd-log", "--agent", JO, "--yaer", "2026", "--format", "json", "-o", str(target)])
    assert result.exit_code == 2
    assert "no such option for cpd-log: --yaer (it takes --format, --year, --summary)" in result.output
    assert not target.exists()


def test_the_api_refuses_an_unknown_exporter_option_too(client) -> None:  # noqa: ANN001
    got = client.get("/api/learners/mailto:jo%40la.example/exports/cpd-log?yaer=2026")
    assert got.status_code == 400
    assert got.get_json()["error"]["path"] == "yaer" and got.get_json()["error"]["rule"] == "export-option"


def test_a_bare_address_means_mailto_and_a_non_identifier_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    bare = runner.invoke(cli, ["summary", "--agent", "jo@la.example", "--json"])
    full = runner.invoke(cli, ["summary", "--agent", JO, "--json"])
    assert bare.exit_code == 0 and json.loads(bare.output) == json.loads(full.output)
    assert json.loads(bare.output)["totals"]["statements"] == 1
    exported = runner.invoke(cli, ["export", "cpd-log", "--agent", "jo@la.example", "--format", "json",
                                   "-o", str(tmp_path / "x.json")])
    assert exported.exit_code == 0, exported.output
    wrong = runner.invoke(cli, ["export", "cpd-log", "--agent", "jo", "--format", "json"])
    assert wrong.exit_code == 2 and "'jo' is not an agent identifier: use mailto:" in wrong.output
    wrong = runner.invoke(cli, ["summary", "--agent", "Jo Bloggs"])
    assert wrong.exit_code == 1 and "is not an agent identifier" in wrong.output


def test_a_read_command_against_a_missing_database_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "elsewhere" / "lrs.sqlite3"
    monkeypatch.setenv("LRS_DATABASE_URL", f"sqlite:///{missing}")
    for args in (["summary", "--agent", JO], ["export", "cpd-log", "--agent", JO], ["db", "current"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, args
        assert f"the database at {missing} is not ready: there is no such file (LRS_DATABASE_URL)" in result.output
        assert "Set LRS_DATABASE_URL" in result.output
    assert not missing.exists() and not missing.parent.exists()
    created = CliRunner().invoke(cli, ["db", "upgrade"])
    assert created.exit_code == 0 and missing.exists()


def test_the_default_database_does_not_depend_on_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project_checkout() == ROOT
    urls = set()
    for where in (ROOT, tmp_path):
        monkeypatch.chdir(where)
        urls.add(Settings.from_env({}).database_url)
    assert urls == {f"sqlite:///{ROOT / 'var' / 'lrs.sqlite3'}"}
    monkeypatch.delenv("LRS_DATABASE_URL", raising=False)
    shown = CliRunner().invoke(cli, ["db", "current"])
    assert str(ROOT / "var" / "lrs.sqlite3") in shown.output and "the default: var/ in the checkout" in shown.output


def test_export_help_lists_the_exporters_and_their_options() -> None:
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Installed exporters:" in text
    assert "cpd-log: Social Work England CPD log" in text and "--year the registration year" in text
    assert "--format pdf, csv, json, md, html (default pdf)" in text
    assert "ilm-portfolio" in text and "--qualification" in text


def test_without_o_the_export_says_where_it_wrote(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["export", "cpd-log", "--agent", JO, "--format", "json", "--year", "2026"])
    assert result.exit_code == 0, result.output
    written = result.output.split()[1]
    assert Path(written).is_absolute() and Path(written).parent == tmp_path and Path(written).exists()


def test_messages_say_the_field_once(runner: CliRunner, tmp_path: Path) -> None:
    future = runner.invoke(cli, ["journal", "add", "--agent", JO, "--mode", "social", "--date", "2999-01-01",
                                 "--what", "x", "--learned", "a", "--impact", "b"])
    assert future.exit_code == 1
    assert "Error: date: is in the future" in future.output and "date: date:" not in future.output
    package = json.loads((ROOT / "schemas" / "frameworks" / "ilm-l5-leadership.json").read_text())
    del package["CFDocument"]["creator"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package))
    result = runner.invoke(cli, ["frameworks", "import", str(bad)])
    assert result.exit_code == 1
    assert "Error: CFDocument.creator: 'creator' is a required property" in result.output
    assert result.output.count("CFDocument.creator") == 1


def test_a_summary_without_dates_prints_no_empty_span(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["summary", "--agent", JO])
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert "…" not in first and " to " not in first
    assert "(2025-01-01 to 2025-06-30," in format_summary(_summary(**{"from": "2025-01-01", "to": "2025-06-30"}))
    assert "(from 2025-01-01," in format_summary(_summary(**{"from": "2025-01-01", "to": None}))


def _summary(**dates: str | None) -> dict:
    block = {"statements": 0, "seconds": 0.0, "modes": {}, "unclassified": {"statements": 0, "seconds": 0.0},
             "balance": {"basis": None, "shares": {}, "difference": {}}}
    return {"agent": "mbox:" + JO, "activity": None, **dates, "target": {}, "totals": block, "periods": []}


def test_the_licence_is_an_spdx_string_as_setuptools_asks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in project["build-system"]["requires"]
    for plugin in (ROOT / "plugins").glob("*/pyproject.toml"):
        data = tomllib.loads(plugin.read_text())
        assert not isinstance(data["project"].get("license"), dict), plugin
        assert os.path.basename(plugin.parent)
