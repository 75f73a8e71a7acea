"""The data files the LRS reads at run time (schemas, the profile, the frameworks) ship with it: an installed
wheel finds them inside the package, a checkout through the src/lrs/schemas link."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

import lrs
from lrs import cli
from lrs.competency.frameworks import builtin_frameworks_dir, schema_path
from lrs.learning.classification import PROFILE_MODES_PATH, PROFILE_PATH
from lrs.schema_files import schemas_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(lrs.__file__).parent


def test_the_schemas_are_found_inside_the_package():
    assert schemas_dir() == PACKAGE / "schemas"
    assert schemas_dir().resolve() == (ROOT / "schemas").resolve()
    for path in (schema_path(), PROFILE_PATH, PROFILE_MODES_PATH):
        assert path.is_file(), path
    assert sorted(p.name for p in builtin_frameworks_dir().glob("*.json"))


def test_every_data_file_is_package_data_of_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["lrs"]
    shipped = {p.resolve() for pattern in globs for p in PACKAGE.glob(pattern)}
    data = {p.resolve() for p in (ROOT / "schemas").rglob("*") if p.suffix in (".json", ".jsonld")}
    assert data and data <= shipped, sorted(str(p) for p in data - shipped)


def test_a_command_before_the_database_is_set_up_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LRS_DATABASE_URL", f"sqlite:///{tmp_path}/not-yet/lrs.sqlite3")
    monkeypatch.setattr(sys, "argv", ["lrs", "frameworks", "list"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert "is not ready" in err and "run `lrs db upgrade`" in err
    assert "Traceback" not in err
