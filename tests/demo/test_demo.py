"""`lrs demo`: the loader fills a store through the services, every role's account signs in and finds data, and
the command keeps its database apart from the real store."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs.cli import cli
from lrs.demo import loader
from lrs.demo import programme as p
from lrs.learning import summary
from lrs.review import service as review
from lrs.store import users as user_store
from lrs.web.principal import principal_for


def sign_in(client, email: str, password: str):  # noqa: ANN001, ANN201
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


class CountingMeter:
    def __init__(self) -> None:
        self.completed = 0
        self.stages: list[str] = []

    def advance(self, n: int = 1) -> None:
        self.completed += n

    def stage(self, description: str) -> None:
        self.stages.append(description)


@pytest.fixture
def demo(lrs_instance):  # noqa: ANN001, ANN201
    meter = CountingMeter()
    started = time.perf_counter()
    loaded = loader.load(lrs_instance, meter=meter)
    return loaded, time.perf_counter() - started, meter


def test_every_role_signs_in_and_finds_the_programme(lrs_instance, app, demo):  # noqa: ANN001
    loaded, seconds, meter = demo
    # The progress bar ends at its total: the estimate it showed was of the real amount of work.
    assert meter.completed == loader.planned_work() > 900
    assert len(meter.stages) == 6
    assert seconds < 20  # < 10 s on an idle machine (docs/operations.md has the figure); CI shares its cores
    accounts = {a.role: a for a in loaded.accounts}
    assert set(accounts) == {"participant", "assessor", "iqa", "lead", "admin"}
    assert all(a.email.endswith("@demo.example") and len(a.password) >= 12 for a in loaded.accounts)

    for role, account in accounts.items():
        client = app.test_client()
        assert sign_in(client, account.email, "not the password").status_code == 401
        assert sign_in(client, account.email, account.password).status_code == 302, role
        # Staff land on their work (the queue, the sampling list, the dashboard, the admin home) by a redirect.
        home = client.get("/", follow_redirects=True)
        assert home.status_code == 200, role
        html = home.get_data(as_text=True)
        assert account.name in html, role
        if role == "participant":
            # This registration year's balance, from the LMS's events and the journal.
            assert "Your 70/20/10 balance" in html
            assert "Nothing is recorded for this registration year yet" not in html
            rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">(\d+)</td>', html)
            kinds = dict(rows[:3])  # the balance table (the month-by-month table follows)
            assert set(kinds) == {"On the job", "Social", "Formal"}, rows
            assert all(int(count) > 0 for count in kinds.values()), rows  # every kind has activities this year

    with lrs_instance.db.read() as conn:
        users = {u["email"]: u for u in user_store.list_users(conn)}
    principals = {role: principal_for(users[a.email], lrs_instance.settings.authority_home_page)
                  for role, a in accounts.items()}

    jo = p.ILM_COHORT.people[0]
    progress = review.progress(lrs_instance, jo.agent_key, "ilm-l5-leadership")
    statuses = {c["status"] for unit in progress["units"] for c in unit["criteria"]}
    assert {"accepted", "referred"} <= statuses, statuses

    queue = review.queue(lrs_instance, principals["assessor"], role="assessor")
    assert queue["total"] > 0  # evidence awaiting the assessor
    sample = review.queue(lrs_instance, principals["iqa"], role="iqa")
    assert sample["total"] > 0  # decisions the IQA has not sampled yet

    for cohort in p.COHORTS:
        data = summary.cohort_summary(lrs_instance, cohort.iri, summary.parse_query())
        # Every participant has learning in the cohort (the assessor's decisions name the cohort too, so the
        # reviewer shows among its agents until enrolments say who the learners are).
        learners = {block["agent"] for block in data["learners"] if block["statements"]}
        assert {person.agent_key for person in cohort.people} <= learners
        assert set(data["totals"]["modes"]) == {"on-the-job", "social", "formal"}
        assert all(m["statements"] > 0 for m in data["totals"]["modes"].values())
    assert len(users) == 5


def test_the_demo_is_dated_from_today(lrs_instance):  # noqa: ANN001
    today = date.today()
    statements = loader.programme_statements(today)
    days = {date.fromisoformat(s["timestamp"][:10]) for s in statements}
    assert max(days) <= today
    assert max(days) >= loader.registration_year_start(today)  # something in this CPD year
    assert min(days) >= date(today.year - 1, 1, 1)  # and nothing older than the last one


def _fingerprint(path: Path) -> str:
    """The store's content (its SQL dump: the file's bytes move when SQLite checkpoints its WAL)."""
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def test_lrs_demo_loads_its_own_database_and_leaves_the_real_store_alone(tmp_path, monkeypatch):  # noqa: ANN001
    real = tmp_path / "real.sqlite3"
    runner = CliRunner()
    monkeypatch.setenv("LRS_DATABASE_URL", f"sqlite:///{real}")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["users", "create", "ops@la.example", "--name", "Ops", "--role", "admin"]).exit_code == 0
    before = _fingerprint(real)

    refused = runner.invoke(cli, ["demo", "--no-serve", "--database", str(real)])
    assert refused.exit_code != 0
    assert "LRS_DATABASE_URL" in refused.output

    result = runner.invoke(cli, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    demo_db = tmp_path / "var" / "demo.sqlite3"
    assert demo_db.exists()
    assert "/sign-in" in result.output and "jo.bloggs@demo.example" in result.output
    assert "centre:   Demo Training Centre (centre number DEMO-0001)" in result.output
    first_line = result.output.splitlines()[0]
    assert re.search(r"^loaded \d+ statements .* in [\d.]+ s$", first_line), first_line
    assert _fingerprint(real) == before  # the real store is untouched

    # Run again: the demo starts afresh (same counts, new passwords), not doubled.
    again = runner.invoke(cli, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[0].split(" in ")[0] == first_line.split(" in ")[0]
    password = re.compile(r"jo\.bloggs@demo\.example\s+(\S+)")
    assert password.search(again.output).group(1) != password.search(result.output).group(1)
    assert _fingerprint(real) == before


def test_the_demo_names_its_centre_and_the_ilm_learners_registration_numbers(lrs_instance, demo, tmp_path):  # noqa: ANN001
    """What the ILM portfolio's cover and the EQA pack show: the centre's name and number (unless the operator
    set their own) and each ILM learner's registration number."""
    from dataclasses import replace

    from lrs.cli.demo import demo_settings
    from lrs.services.exports import learner_record

    settings = demo_settings(lrs_instance.settings, tmp_path / "demo.sqlite3")
    assert (settings.centre_name, settings.centre_number) == (p.CENTRE_NAME, p.CENTRE_NUMBER) == (
        "Demo Training Centre", "DEMO-0001")
    own = demo_settings(replace(lrs_instance.settings, centre_name="Our Academy", centre_number="123456"),
                        tmp_path / "demo.sqlite3")
    assert (own.centre_name, own.centre_number) == ("Our Academy", "123456")
    numbers = [learner_record(lrs_instance, person.agent_key).registration_number for person in p.ILM_COHORT.people]
    assert numbers == [f"DEMO-L5-{n:04d}" for n in range(1, len(p.ILM_COHORT.people) + 1)]
    assert learner_record(lrs_instance, p.PRACTICE_LEADERS.people[0].agent_key).registration_number == ""
