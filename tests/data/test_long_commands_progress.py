"""Erasure, retention and backup/restore show progress on a terminal (standard error), nothing in a pipe, and end
with a one-line summary with the counts and the time taken (issue 24; lrs.cli.progress)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import statement

from data.test_retention import _age
from lrs.services.statements import LRS

SECONDS = r"in \d+(\.\d+)? s|in \d+ min \d\d s"
LEARNER = "mailto:sam.erased@la.example"


def on_a_terminal(database_url: str, *args: str, **env: str) -> tuple[str, str]:
    """Run ``lrs ARGS`` with standard error on a pseudo-terminal and standard output in a pipe: (stdout, drawn)."""
    environment = {**os.environ, "LRS_DATABASE_URL": database_url, "TERM": "xterm", "COLUMNS": "120", **env}
    environment.pop("NO_COLOR", None)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", "from lrs.cli import main; main()", *args],
                               env=environment, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    out = process.stdout.read().decode() if process.stdout else ""
    assert process.wait(timeout=120) == 0, drawn.decode("utf-8", "replace")
    return out, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn.decode("utf-8", "replace"))  # without colours


def in_a_pipe(database_url: str, *args: str, **env: str) -> tuple[str, str]:
    process = subprocess.Popen([sys.executable, "-c", "from lrs.cli import main; main()", *args],
                               env={**os.environ, "LRS_DATABASE_URL": database_url, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out, err


def test_backup_and_restore_show_progress_on_a_terminal_and_end_with_a_summary(
        lrs_instance: LRS, tmp_path: Path, database_url: str) -> None:
    lrs_instance.store_statements([statement(id=str(uuid.uuid4())) for _ in range(50)],
                                  lrs_instance.operator_principal(), "1.0.3")
    sqlite = lrs_instance.db.dialect == "sqlite"

    out, drawn = on_a_terminal(database_url, "db", "backup", str(tmp_path / "on-terminal.backup"))
    assert ("Copying pages" if sqlite else "Dumping with pg_dump") in drawn
    if sqlite:
        assert re.search(r"\d+/\d+ pages", drawn)  # pages copied of the total
    assert re.fullmatch(rf"backed up to \S+on-terminal\.backup \(\d+ bytes.*schema \w+\) ({SECONDS})", out.strip()), out

    out, err = in_a_pipe(database_url, "db", "backup", str(tmp_path / "piped.backup"))
    assert err == ""  # no bar in a pipe
    assert re.fullmatch(rf"backed up to \S+piped\.backup \(\d+ bytes.*\) ({SECONDS})", out.strip()), out

    lrs_instance.db.dispose()
    out, drawn = on_a_terminal(database_url, "db", "restore", "--force", str(tmp_path / "piped.backup"))
    assert ("Restoring pages" if sqlite else "Restoring with pg_restore") in drawn
    assert re.fullmatch(rf"restored \S+ \(50 statements, schema \w+\) ({SECONDS}); run `lrs db upgrade` .*",
                        out.strip()), out
    out, err = in_a_pipe(database_url, "db", "restore", "--force", str(tmp_path / "piped.backup"))
    assert err == "" and re.match(rf"restored \S+ \(50 statements, schema \w+\) ({SECONDS});", out), out


def test_erase_shows_progress_on_a_terminal_and_ends_with_a_summary(lrs_instance: LRS, database_url: str) -> None:
    lrs_instance.store_statements([statement(id=str(uuid.uuid4()), actor={"mbox": LEARNER}) for _ in range(3)],
                                  lrs_instance.operator_principal(), "1.0.3")

    # A dry run in a pipe: the JSON report on standard output, the summary alone on standard error (no bar).
    out, err = in_a_pipe(database_url, "agents", "erase", "--agent", LEARNER, "--dry-run")
    assert json.loads(out)["counts"]["own statements"] == 3
    assert re.fullmatch(rf"would erase: 3 statements deleted, 0 pseudonymised, 0 documents, 0 accounts ({SECONDS})",
                        err.strip()), err

    out, drawn = on_a_terminal(database_url, "agents", "erase", "--agent", LEARNER, "--mode", "delete", "--yes")
    assert json.loads(out)["counts"]["statements deleted"] == 3
    assert "Writing the erasure" in drawn  # the bar's last stage, drawn on the terminal
    assert re.search(rf"erased \(delete\): 3 statements deleted, 0 pseudonymised, 0 documents, 0 accounts ({SECONDS})",
                     drawn), drawn


def test_retention_shows_progress_on_a_terminal_and_ends_with_a_summary(lrs_instance: LRS, database_url: str) -> None:
    old = lrs_instance.store_statements([statement(id=str(uuid.uuid4())) for _ in range(4)],
                                        lrs_instance.operator_principal(), "1.0.3")
    lrs_instance.store_statements([statement(id=str(uuid.uuid4()))], lrs_instance.operator_principal(), "1.0.3")
    _age(lrs_instance, old, 3)

    out, err = in_a_pipe(database_url, "retention", "apply", "--dry-run", LRS_RETENTION="all=2")
    assert json.loads(out)["statements"] == 4
    assert re.fullmatch(rf"retention: would delete 4 statements and 0 attachments under 1 rule ({SECONDS})",
                        err.strip()), err

    out, drawn = on_a_terminal(database_url, "retention", "apply", LRS_RETENTION="all=2")
    assert json.loads(out)["statements"] == 4
    assert re.search(r"Deleting statements past all \(2 years\)", drawn), drawn
    assert re.search(rf"retention: deleted 4 statements and 0 attachments under 1 rule ({SECONDS})", drawn), drawn
