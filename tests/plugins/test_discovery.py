"""Discovery: installed entry points (proved with the example plugin), LRS_PLUGINS modules, `lrs plugins`,
and the example plugin at work through HTTP and the command line.

Installing the example with pip would need a network for the build backend and would load it into every
other test's LRS, so the fixture does what an install leaves behind: a ``*.dist-info`` directory with the
``entry_points.txt`` generated from the example's own pyproject.toml, in a temporary directory on sys.path.
"""

from __future__ import annotations

import importlib
import json
import tomllib
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import XAPIClient, make_credential, statement

from lrs.app import create_app
from lrs.cli import cli
from lrs.plugins import describe_plugins, make_plugin_manager
from lrs.services.statements import LRS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin-minimum-hours"


@pytest.fixture
def example_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Make the example plugin an installed distribution for the duration of a test."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    dist_info = tmp_path / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = ["[lrs]"] + [f"{name} = {target}" for name, target in project["entry-points"]["lrs"].items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    return project


def test_an_installed_entry_point_is_discovered_with_its_version_and_hooks(example_installed):
    pm = make_plugin_manager()
    assert pm.has_plugin("minimum_hours")
    info = {i.name: i for i in describe_plugins(pm)}
    example = info["minimum_hours"]
    assert example.source == "entry point"
    assert example.version == example_installed["version"]
    assert example.distribution == "lrs-minimum-hours"
    assert example.hooks == ("lrs_validate_statement", "lrs_register_commands")
    builtin = info["lrs.learning.plugin"]
    assert builtin.source == "built-in"
    assert "lrs_classify_statement" in builtin.hooks
    assert [i.name for i in describe_plugins(pm)][0] == "lrs.learning.plugin"


def test_lrs_plugins_modules_are_loaded_after_entry_points(example_installed):
    # Other plugins may be installed too (the Makefile installs plugins/*): check the order, not the set.
    pm = make_plugin_manager(["plugins.sample_plugins"])
    infos = describe_plugins(pm)
    assert [i.source for i in infos] == sorted(
        (i.source for i in infos), key=["built-in", "entry point", "LRS_PLUGINS"].index
    )
    assert (infos[0].name, infos[-1].name) == ("lrs.learning.plugin", "plugins.sample_plugins")
    assert "minimum_hours" in [i.name for i in infos]
    sample = infos[-1]
    assert (sample.source, sample.version, sample.hooks) == (
        "LRS_PLUGINS",
        "1.2.3",
        ("lrs_classify_statement",),
    )


def test_lrs_plugins_command_lists_what_is_loaded(example_installed):
    runner = CliRunner()
    result = runner.invoke(cli, ["plugins"], env={"LRS_PLUGINS": "plugins.sample_plugins"})
    assert result.exit_code == 0, result.output
    assert "lrs.learning.plugin" in result.output and "[built-in]" in result.output
    assert "minimum_hours 0.1.0  [entry point] (lrs-minimum-hours)" in result.output
    assert "hooks: lrs_validate_statement, lrs_register_commands" in result.output
    assert "plugins.sample_plugins 1.2.3  [LRS_PLUGINS]" in result.output
    as_json = json.loads(runner.invoke(cli, ["plugins", "--json"], env={"LRS_PLUGINS": ""}).output)
    assert {"lrs.learning.plugin", "minimum_hours"} <= {p["name"] for p in as_json}
    assert "plugins.sample_plugins" not in {p["name"] for p in as_json}


def test_the_example_rejects_a_record_longer_than_a_day_naming_plugin_rule_and_field(
    example_installed, lrs_instance: LRS, settings
):
    lrs = LRS(settings, db=lrs_instance.db)  # discovers its plugins like a real start
    assert lrs.pm.has_plugin("minimum_hours")
    app = create_app(lrs=lrs)
    client = XAPIClient(app.test_client(), *make_credential(lrs))
    long = statement(result={"duration": "PT90H"})
    response = client.post_statements([statement(result={"duration": "PT2H"}), long])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["rule"] == "plugin:minimum_hours:duration-too-long"
    assert error["path"] == "[1].result.duration"
    assert "PT90H" in error["message"]
    ok = client.post_statements(statement(id=str(uuid.uuid4()), result={"duration": "PT90M"}))
    assert ok.status_code == 200


def test_the_example_adds_a_command(example_installed, lrs_instance: LRS, settings):
    lrs = LRS(settings, db=lrs_instance.db)
    app = create_app(lrs=lrs)
    client = XAPIClient(app.test_client(), *make_credential(lrs))
    body = [
        statement(result={"duration": "PT6H"}),
        statement(verb={"id": "http://id.tincanapi.com/verb/mentored"}, result={"duration": "PT1H30M"}),
    ]
    assert client.post_statements(body).status_code == 200

    lrs.pm.hook.lrs_register_commands(cli=cli)
    runner = CliRunner()
    env = {"LRS_DATABASE_URL": settings.database_url, "LRS_PLUGINS": ""}
    short = runner.invoke(cli, ["hours", "mailto:jo@la.example", "--minimum", "90"], env=env)
    assert short.exit_code == 1, short.output
    assert "7.5 h  of 90 h required" in short.output
    assert "short by 82.5 h" in short.output
    enough = runner.invoke(cli, ["hours", "mailto:jo@la.example", "--minimum", "7"], env=env)
    assert enough.exit_code == 0, enough.output
