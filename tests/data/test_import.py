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

from data.conftest import BINARY, Peer, attachment, lrs_command, sha256, signed, store_with_content
from lrs.services.importing import Importer, ImportError_, more_path, read_answer
from lrs.services.statements import LRS
from lrs.store.models import Attachment, Statement

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
    assert re.search(r"imported 600 statements \(0 already here, 0 conflicts, 0 rejected\) of 600 received in \d+(\.\d+)? s",
                     text)  # the one-line summary


# --- attachments ---------------------------------------------------------------------------------------------------


def test_attachments_arrive_byte_for_byte_through_paging_and_a_rerun_adds_nothing(
    lrs_instance: LRS, peer: Peer, rsa_key: Any  # noqa: ANN401
) -> None:
    text = b"Supervision notes"
    shared = [statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)]) for _ in range(3)]
    others = [statement(id=str(uuid.uuid4())) for _ in range(4)]
    with_text = statement(id=str(uuid.uuid4()), attachments=[attachment(text, "text/plain")])
    by_url = statement(id=str(uuid.uuid4()), attachments=[{**attachment(b"elsewhere"), "fileUrl": "https://files.example/x"}])
    store_with_content(peer.lrs, [shared[0], *others[:2], shared[1], with_text, by_url, *others[2:], shared[2]],
                       [("application/pdf", BINARY), ("text/plain", text)])
    signed_statement, token = signed(rsa_key)
    store_with_content(peer.lrs, [signed_statement], [("application/octet-stream", token)])

    report = Importer(lrs_instance, peer.url, peer.key, peer.secret, page_size=3).run()  # parts split across pages
    assert report.rejected == {} and report.conflicts == []
    assert report.stored == 10 and report.pages >= 4
    assert sorted(local_ids(lrs_instance)) == sorted(peer.statement_ids())
    assert lrs_instance.attachments({sha256(BINARY), sha256(text), sha256(token), sha256(b"elsewhere")}) == {
        sha256(BINARY): ("application/pdf", BINARY), sha256(text): ("text/plain", text),
        sha256(token): ("application/octet-stream", token),
    }
    # Each statement that carried the content lets its readers have it, as the peer did.
    ours = lrs_instance.get_statement(signed_statement["id"], voided=False, principal=lrs_instance.operator_principal())
    assert ours["attachments"] == signed_statement["attachments"]

    again = Importer(lrs_instance, peer.url, peer.key, peer.secret, page_size=3).run()
    assert again.stored == 0 and again.rejected == {} and again.filled_in == 0


def test_a_restarted_import_fills_in_content_an_earlier_import_left_out(lrs_instance: LRS, peer: Peer) -> None:
    from lrs.store import importing as checkpoints
    from lrs.store.models import AttachmentStatement

    carried = [statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)]) for _ in range(2)]
    store_with_content(peer.lrs, [*carried, statement(id=str(uuid.uuid4()))], [("application/pdf", BINARY)])
    importer = Importer(lrs_instance, peer.url, peer.key, peer.secret)
    assert importer.run().stored == 3

    def lose_content(conn: Any) -> None:  # noqa: ANN401
        # What an import before this version left: the statements without their attachments' content.
        conn.execute(AttachmentStatement.__table__.delete())
        conn.execute(Attachment.__table__.delete())
        checkpoints.forget(conn, importer.endpoint)  # lrs import --restart

    lrs_instance.db.write(lose_content)
    assert lrs_instance.attachments({sha256(BINARY)}) == {}
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret).run()
    assert (report.stored, report.skipped, report.filled_in) == (0, 3, 2)
    # The content is back, and each statement that carried it lets its readers have it again.
    reader = lrs_instance.operator_principal()
    assert lrs_instance.attachments({sha256(BINARY)}, reader) == {sha256(BINARY): ("application/pdf", BINARY)}
    with lrs_instance.db.read() as conn:
        pairs = {(r.sha2, r.statement_id) for r in conn.execute(select(AttachmentStatement.sha2, AttachmentStatement.statement_id))}
    assert pairs == {(sha256(BINARY), s["id"]) for s in carried}
    assert Importer(lrs_instance, peer.url, peer.key, peer.secret).run().filled_in == 0


class WithoutAttachments:
    """A peer that ignores attachments=true on statement queries (its pages are JSON only); one statement
    asked for by id it still answers with its attachments."""

    def __init__(self, app: Any):  # noqa: ANN401
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: ANN401
        query = environ.get("QUERY_STRING", "")
        if "statementId" not in query:
            environ["QUERY_STRING"] = "&".join(p for p in query.split("&") if not p.startswith("attachments="))
        return self.app(environ, start_response)


@pytest.fixture
def json_only_peer(peer: Peer) -> Any:  # noqa: ANN401
    import threading

    from werkzeug.serving import make_server

    from lrs.app import create_app

    server = make_server("127.0.0.1", 0, WithoutAttachments(create_app(lrs=peer.lrs)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Peer(peer.lrs, f"http://127.0.0.1:{server.server_port}/xapi", peer.key, peer.secret)
    server.shutdown()
    thread.join(timeout=5)


def test_content_missing_from_a_page_is_asked_for_statement_by_statement(
    lrs_instance: LRS, json_only_peer: Peer
) -> None:
    peer = json_only_peer
    carried = statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])
    store_with_content(peer.lrs, [carried, statement(id=str(uuid.uuid4()))], [("application/pdf", BINARY)])
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret).run()
    assert report.stored == 2 and report.rejected == {}
    assert lrs_instance.attachments({sha256(BINARY)}) == {sha256(BINARY): ("application/pdf", BINARY)}


def test_a_statement_whose_content_the_peer_lacks_is_reported_not_stored(lrs_instance: LRS, peer: Peer) -> None:
    lost = statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])
    kept = statement(id=str(uuid.uuid4()))
    store_with_content(peer.lrs, [lost, kept], [("application/pdf", BINARY)])
    peer.lrs.db.write(lambda conn: conn.execute(Attachment.__table__.delete()))  # the peer has lost the bytes
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret).run()
    assert report.stored == 1 and local_ids(lrs_instance) == [kept["id"]]
    why = report.rejected[lost["id"]]
    assert f"attachments[0] (sha2 {sha256(BINARY)})" in why and "carried no content" in why


def test_a_part_whose_bytes_do_not_have_its_hash_is_reported(lrs_instance: LRS, peer: Peer) -> None:
    tampered = statement(id=str(uuid.uuid4()), attachments=[attachment(BINARY)])
    store_with_content(peer.lrs, [tampered], [("application/pdf", BINARY)])
    peer.lrs.db.write(lambda conn: conn.execute(Attachment.__table__.update().values(content=b"not the bytes")))
    report = Importer(lrs_instance, peer.url, peer.key, peer.secret).run()
    assert report.stored == 0 and local_ids(lrs_instance) == []
    assert "does not have sha2" in report.rejected[tampered["id"]] and "(13 octets)" in report.rejected[tampered["id"]]


def test_a_malformed_multipart_answer_stops_the_import_clearly() -> None:
    truncated = b"--b\r\nContent-Type: application/json\r\n\r\n{\"statements\": []}\r\n--b\r\nX: y\r\n\r\nabc"
    with pytest.raises(ImportError_, match="multipart/mixed answer is malformed: .*truncated"):
        read_answer("multipart/mixed; boundary=b", truncated)
    with pytest.raises(ImportError_, match="first part"):
        read_answer("multipart/mixed; boundary=b", b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n")
