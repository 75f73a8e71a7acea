"""`lrs users ...`: create, list, disable, reset; the link it prints works in the pages."""

from __future__ import annotations

import re

from click.testing import CliRunner

from lrs.cli import cli
from lrs.store import users as user_store

from .conftest import csrf_from


def run(args: list[str], **kwargs):  # noqa: ANN003, ANN201
    return CliRunner().invoke(cli, args, catch_exceptions=False, **kwargs)


def test_create_prints_a_one_time_link_that_sets_the_password(lrs_instance, settings, app, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LRS_PUBLIC_URL", "https://lrs.la.example/")
    result = run(["users", "create", "Kim@LA.example", "--name", "Kim Ode", "--role", "assessor", "--cohort", "https://la.example/c/north"])
    assert result.exit_code == 0, result.output
    link = re.search(r"https://lrs\.la\.example/reset/(\S+)", result.output)
    assert link, result.output
    with lrs_instance.db.read() as conn:
        kim = user_store.user_by_email(conn, "kim@la.example")
    assert kim["role"] == "assessor" and kim["cohorts"] == ["https://la.example/c/north"] and kim["password_hash"] is None
    browser = app.test_client()
    page = browser.get(f"/reset/{link.group(1)}")
    assert page.status_code == 200
    new = "saffron tractor ribbon moss"
    done = browser.post(
        f"/reset/{link.group(1)}", data={"password": new, "confirm": new, "csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    assert done.status_code == 302
    assert "active" in run(["users", "list"]).output


def test_create_with_a_password_on_stdin_checks_it_and_refuses_duplicates(lrs_instance, settings, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    args = ["users", "create", "jo@la.example", "--name", "Jo", "--role", "participant", "--agent", "mailto:jo@la.example"]
    weak = run([*args, "--password-stdin"], input="password1234\n")
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    made = run([*args, "--password-stdin"], input="quartz sparrow meadow bell\n")
    assert made.exit_code == 0 and "/reset/" not in made.output
    again = run(["users", "create", "JO@la.example", "--name", "Jo", "--role", "admin"])
    assert again.exit_code != 0 and "already an account" in again.output
    with lrs_instance.db.read() as conn:
        jo = user_store.user_by_email(conn, "jo@la.example")
    assert jo["agent_key"] == "mbox:mailto:jo@la.example"
    assert jo["password_hash"].startswith("$argon2id$")


def test_a_participant_needs_an_agent(settings, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    result = run(["users", "create", "sam@la.example", "--name", "Sam", "--role", "participant"])
    assert result.exit_code != 0 and "--agent" in result.output


def test_disable_and_reset(lrs_instance, settings, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    run(["users", "create", "ad@la.example", "--name", "Ada", "--role", "admin"])
    assert "/reset/" in run(["users", "reset", "ad@la.example"]).output
    assert run(["users", "disable", "ad@la.example"]).exit_code == 0
    listed = run(["users", "list"]).output
    assert re.search(r"ad@la\.example\s+admin\s+disabled", listed), listed
    assert run(["users", "reset", "ad@la.example"]).exit_code != 0
    assert "no account" in run(["users", "disable", "nobody@la.example"]).output


NORTH = "https://la.example/c/north"
SOUTH = "https://la.example/c/south"


def test_a_participants_cohorts_enrol_them(lrs_instance, settings, monkeypatch):
    from lrs.store.enrolments import is_enrolled

    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    result = run(["users", "create", "jo@la.example", "--name", "Jo", "--role", "participant",
                  "--agent", "mailto:jo@la.example", "--cohort", NORTH])
    assert result.exit_code == 0, result.output
    assert f"enrolled as a learner in: {NORTH}" in result.output
    with lrs_instance.db.read() as conn:
        assert is_enrolled(conn, NORTH, "mbox:mailto:jo@la.example")
        assert user_store.user_by_email(conn, "jo@la.example")["cohorts"] == []


def test_update_changes_role_and_cohorts_and_keeps_the_rules(lrs_instance, settings, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", settings.database_url)
    run(["users", "create", "jo@la.example", "--name", "Jo", "--role", "participant",
         "--agent", "mailto:jo@la.example", "--cohort", NORTH])
    run(["users", "create", "ad@la.example", "--name", "Ada", "--role", "admin"])

    # A learner of north does not review north: refused, naming the option and the rule, nothing changed.
    refused = CliRunner().invoke(cli, ["users", "update", "jo@la.example", "--role", "assessor", "--cohort", NORTH])
    assert refused.exit_code == 1
    assert "--cohort: this person is a learner in https://la.example/c/north" in refused.output
    assert "not learner and reviewer in the same cohort" in refused.output
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, "jo@la.example")["role"] == "participant"

    changed = run(["users", "update", "jo@la.example", "--role", "assessor", "--cohort", SOUTH, "--name", "Jo Bloggs"])
    assert changed.exit_code == 0, changed.output
    assert f"updated jo@la.example: assessor, Jo Bloggs, mbox:mailto:jo@la.example, {SOUTH}" in changed.output
    with lrs_instance.db.read() as conn:
        jo = user_store.user_by_email(conn, "jo@la.example")
    assert (jo["role"], jo["cohorts"], jo["name"]) == ("assessor", [SOUTH], "Jo Bloggs")
    assert f"cohorts: {SOUTH}" in run(["users", "list"]).output
    # What is not given stays; a lead keeps the cohorts; an admin has none.
    assert run(["users", "update", "jo@la.example", "--role", "lead"]).exit_code == 0
    with lrs_instance.db.read() as conn:
        assert user_store.user_by_email(conn, "jo@la.example")["cohorts"] == [SOUTH]
    bad = CliRunner().invoke(cli, ["users", "update", "jo@la.example", "--cohort", "not a cohort"])
    assert bad.exit_code == 1 and "is not a cohort's web address" in bad.output

    # The only administrator stays one.
    last = CliRunner().invoke(cli, ["users", "update", "ad@la.example", "--role", "iqa", "--cohort", NORTH])
    assert last.exit_code == 1 and "Ada is the only administrator" in last.output
    assert run(["users", "update", "jo@la.example", "--role", "admin", "--no-cohorts"]).exit_code == 0
    assert run(["users", "update", "ad@la.example", "--role", "iqa", "--cohort", SOUTH]).exit_code == 0
    missing = CliRunner().invoke(cli, ["users", "update", "nobody@la.example", "--role", "iqa"])
    assert missing.exit_code == 1 and "there is no account for nobody@la.example" in missing.output
