"""`lrs import` from a second live LRS: thousands of statements through `more` paging, a rerun stores nothing,
an interrupted import resumes from its checkpoint, documents come too, and the peers' `more` forms all work."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from conftest import statement
from sqlalchemy import func, select

from data.conftest import Peer, lrs_command
from lrs.services.importing import Importer, ImportError_, more_path
from lrs.services.statements import LRS
from lrs.store.models import Statement

ACTORS = [f"mailto:learner{n}@la.example" for n in range(5)]


def fill(peer: Peer, count: int) -> list[str]:
    ids: list[str] = []
    principal = peer.lrs.operator_principal()
    for start in range(0, count, 500):
        batch = [
            statement(id=str(uuid.uuid4()), actor={"mbox": ACTORS[n % len(ACTORS)]},
                      object={"id": f"https://lrs.example/activities/a{n % 7}"})
            for n in range(start, min(count, start + 500))
        ]
        ids += peer.lrs.store_statements(batch, principal, "1.0.3")
    return ids


def local_ids(lrs: LRS) -> list[str]:
    with lrs.db.read() as conn:
        return list(conn.execute(select(Statement.id)).scalars())


def test_import_pages_through_more_and_a_rerun_adds_nothing(lrs_instance: LRS, peer: Peer, database_url: str) -> None:
    ids = fill(peer, 3000)
    # a voided statement and its voiding: the voided one arrives voided
    mistaken = peer.lrs.store_statements(statement(id=str(uuid.uuid4())), peer.lrs.operator_principal(), "1.0.3")[0]
    peer.lrs.store_statements({"actor": {"mbox": ACTORS[0]}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                               "object": {"objectType": "StatementRef", "id": mistaken}},
                              peer.lrs.operator_principal(), "1.0.3")
    process = lrs_command(database_url, "import", "--endpoint", peer.url, "--key", peer.key, "--secret", peer.secret,
                          "--page-size", "400")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    report = json.loads(out)
    assert "\x1b[" not in out and "page" not in err  # no progress bar when output is not a terminal
    assert report["stored"] == 3002 and report["pages"] >= 8 and report["conflicts"] == []
    assert sorted(local_ids(lrs_instance)) == sorted(peer.statement_ids())
    held = lrs_instance.get_statement(mistaken, voided=True, principal=lrs_instance.operator_principal())
    assert held is not None and lrs_instance.get_statement(mistaken, voided=False, principal=lrs_instance.operator_principal()) is None
    # An imported statement keeps its id, timestamp and authority; stored is this LRS's.
    theirs = peer.lrs.get_statement(ids[0], voided=False, principal=peer.lrs.operator_principal())
    ours = lrs_instance.get_statement(ids[0], voided=False, principal=lrs_instance.operator_principal())
    assert (ours["timestamp"], ours["authority"]) == (theirs["timestamp"], theirs["authority"])

    again = lrs_command(database_url, "import", "--endpoint", peer.url, "--key", peer.key, "--secret", peer.secret)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert json.loads(out)["stored"] == 0
    restarted = Importer(lrs_instance, peer.url, peer.key, peer.secret)
    lrs_instance.db.write(lambda conn: __import__("lrs.store.importing").store.importing.forget(conn, restarted.endpoint))
    report = restarted.run()
    assert report.stored == 0 and report.skipped == 3002
    with lrs_instance.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(Statement)).scalar_one() == 3002


def test_an_interrupted_import_resumes(lrs_instance: LRS, peer: Peer) -> None:
    fill(peer, 1200)

    class Interrupted(Exception):
        pass

    def stop_after_two_pages(report: Any) -> None:  # noqa: ANN401
        if report.pages == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        Importer(lrs_instance, peer.url, peer.key, peer.secret, page_size=300).run(progress=stop_after_two_pages)
    assert len(local_ids(lrs_instance)) == 600
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret, page_size=300).run()
    assert report.resumed_from == "more" and report.pages == 2 and report.stored == 600
    assert sorted(local_ids(lrs_instance)) == sorted(peer.statement_ids())


def test_documents_come_too(lrs_instance: LRS, peer: Peer) -> None:
    from lrs.services.documents import DocumentService
    from lrs.xapi import documents as xdocs

    fill(peer, 10)
    service = DocumentService(peer.lrs.db)
    agent = f"mbox:{ACTORS[0]}"
    for address, body in (
        (xdocs.DocumentAddress("agent_profile", agent_key=agent, document_id="prefs"), {"lang": "cy"}),
        (xdocs.DocumentAddress("state", activity_iri="https://lrs.example/activities/a0", agent_key=agent,
                               document_id="bookmark"), {"page": 3}),
        (xdocs.DocumentAddress("activity_profile", activity_iri="https://lrs.example/activities/a1",
                               document_id="about"), {"x": 1}),
    ):
        content = json.dumps(body).encode()
        service.put(address, xdocs.Upload("application/json", content, True, body),
                    xdocs.Preconditions(if_none_match=("*",)), "1.0.3")
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret).run(documents=True)
    assert report.documents == 3
    local = DocumentService(lrs_instance.db)
    got = local.get(xdocs.DocumentAddress("state", activity_iri="https://lrs.example/activities/a0", agent_key=agent,
                                          document_id="bookmark"))
    assert got is not None and json.loads(got.content) == {"page": 3}
    assert Importer(lrs_instance, peer.url, peer.key, peer.secret).run(documents=True).documents == 0


def test_more_url_forms() -> None:
    endpoint = "http://127.0.0.1:9/xapi/"
    assert more_path(endpoint, "/xapi/statements?more=abc") == "/xapi/statements?more=abc"
    assert more_path(endpoint, "statements?more=abc") == "/xapi/statements?more=abc"
    assert more_path(endpoint, "http://127.0.0.1:9/xapi/statements?more=abc") == "/xapi/statements?more=abc"
    with pytest.raises(ImportError_):
        more_path(endpoint, "http://elsewhere.example/xapi/statements?more=abc")


def test_bad_credentials_say_so(lrs_instance: LRS, peer: Peer) -> None:
    with pytest.raises(ImportError_, match="401"):
        Importer(lrs_instance, peer.url, peer.key, "wrong").run()


def test_progress_bar_on_a_terminal(lrs_instance: LRS, peer: Peer, database_url: str) -> None:
    import os
    import pty
    import subprocess
    import sys

    fill(peer, 600)
    leader, follower = pty.openpty()
    env = {**os.environ, "LRS_DATABASE_URL": database_url, "COLUMNS": "120", "TERM": "xterm"}
    # lrs.cli.progress draws on standard error (the terminal here); the JSON report goes to standard output.
    process = subprocess.Popen(
        [sys.executable, "-c", "from lrs.cli import main; main()", "import", "--endpoint", peer.url, "--key", peer.key,
         "--secret", peer.secret, "--page-size", "200"],
        env=env, stdout=subprocess.PIPE, stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    report = process.stdout.read().decode() if process.stdout else ""
    assert process.wait(timeout=120) == 0
    os.close(leader)
    text = output.decode("utf-8", "replace")
    assert "page 3" in text and "stored" in text  # the bar, drawn on the terminal
    assert '"stored": 600' in report
    assert re.search(r"imported 600 statements \(0 already here, 0 conflicts\) of 600 received in \d+(\.\d+)? s",
                     text)  # the one-line summary
