"""Long commands show progress with an estimate on a terminal, nothing in a pipe, and end with a one-line
summary (counts and time) either way."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from lrs.cli.progress import format_seconds, progress
from lrs.config import Settings
from lrs.services.statements import LRS
from lrs.store.migrate import upgrade


def test_a_terminal_gets_a_bar_with_counts_and_a_pipe_gets_nothing() -> None:
    terminal = io.StringIO()
    with progress("Rebuilding evidence links", total=40, unit="statements",
                  console=Console(file=terminal, force_terminal=True, width=120)) as meter:
        for _ in range(4):
            meter.advance(10)
    drawn = terminal.getvalue()
    assert "Rebuilding evidence links" in drawn and "statements" in drawn
    assert re.search(r"\d+/40", drawn)  # the count against the total
    assert meter.completed == 40

    pipe = io.StringIO()
    with progress("Rebuilding evidence links", total=40, console=Console(file=pipe)) as quiet:
        quiet.advance(40)
    assert pipe.getvalue() == ""
    assert quiet.completed == 40
    assert re.fullmatch(r"examined 40 statements in \d+\.\d+ s", quiet.summary("examined 40 statements"))


def test_durations_read_naturally() -> None:
    assert format_seconds(0.421) == "0.42 s"
    assert format_seconds(3.44) == "3.4 s"
    assert format_seconds(125) == "2 min 05 s"


def _store_with_statements(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'lrs.sqlite3'}"
    lrs = LRS(Settings(database_url=url))
    upgrade(lrs.db.engine)
    statements = [
        {
            "actor": {"mbox": f"mailto:p{i}@la.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": f"https://lrs.example/activities/{i}"},
        }
        for i in range(30)
    ]
    lrs.store_statements(statements, lrs.operator_principal(), "1.0.3")
    lrs.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=url, TERM="xterm", COLUMNS="120")
    env.pop("NO_COLOR", None)
    return env


COMMAND = [sys.executable, "-c", "from lrs.cli import main; main()", "review", "rebuild"]


def test_lrs_review_rebuild_draws_progress_on_a_terminal_only(tmp_path: Path) -> None:
    env = _store_with_statements(tmp_path)

    # Standard error on a pseudo-terminal: the bar is drawn there; the summary still goes to standard output.
    leader, follower = pty.openpty()
    done = subprocess.run(COMMAND, env=env, stdout=subprocess.PIPE, stderr=follower, timeout=120, check=True)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert b"Rebuilding review decisions" in drawn
    summary = done.stdout.decode().strip()
    assert re.fullmatch(r"examined 30 statements, 0 decisions in \d+\.\d+ s", summary), summary

    # Both in pipes (cron, CI, `> file`): no bar at all, the same one-line summary.
    piped = subprocess.run(COMMAND, env=env, capture_output=True, timeout=120, check=True)
    assert piped.stderr == b""
    assert re.fullmatch(r"examined 30 statements, 0 decisions in \d+\.\d+ s", piped.stdout.decode().strip())
