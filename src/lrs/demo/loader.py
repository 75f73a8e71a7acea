"""Loads the demo programme (lrs.demo.programme) into an LRS through the public services, one step at a time.

``load(lrs, today=...)`` runs the steps in order and returns the accounts it made (email, role, password). Each
step is one function below, written against one public service, so that a change there is a change here:

- ``make_credentials``: the LMS, the journal app, and the assessor's and IQA's credentials (lrs.store.credentials)
- ``record_programme``: what the LMS says happened: residentials, seminars, action learning sets, coaching,
  shadowing, the service-development project, supervision, e-learning with scores (``LRS.store_statements``)
- ``enrol``: cohort membership, in the enrolment table (lrs.store.enrolments, as ``lrs cohorts enrol`` does);
  the programme statements naming the cohort enrol nobody by themselves
- ``write_journals``: reflections, peer reflections, witness testimonies, work products with attachments
  (lrs.learning.journal)
- ``make_decisions``: assessor decisions, then the IQA's sample (confirmed, or an action raised for the assessor),
  every one with its rationale (lrs.review.service)
- ``select_cpd``: the records each participant selected and submitted for their CPD (statements, docs/profile.md)
- ``make_accounts``: one account per role with a generated password (lrs.store.users)

Dates count back from ``today``, so the demo always looks current: the programmes began 8 to 11 months ago and
some learning falls in the current Social Work England registration year (from 1 December).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from lrs.demo import files
from lrs.demo import programme as p
from lrs.learning import journal
from lrs.learning import vocabulary as v
from lrs.review import service as review
from lrs.review import units
from lrs.services.principal import Principal
from lrs.services.statements import LRS
from lrs.store import credentials as credential_store
from lrs.store import enrolments as enrolment_store
from lrs.store import users as user_store

NAMESPACE = uuid.UUID("0c7f5d0e-5a3e-4f4e-9a57-6f0f1f5d2d10")
VERSION = "1.0.3"
#: Statements per call to the statement service (a batch is one transaction).
BATCH = 200


class Meter(Protocol):
    """What the loader reports progress to (lrs.cli.progress.Meter fits)."""

    def advance(self, n: int = 1) -> None: ...

    def stage(self, description: str) -> None: ...


class _Quiet:
    def advance(self, n: int = 1) -> None:
        pass

    def stage(self, description: str) -> None:
        pass


@dataclass(frozen=True)
class Account:
    role: str
    name: str
    email: str
    password: str
    what: str


@dataclass
class Loaded:
    """What the demo holds, for the sign-in sheet and the one-line summary."""

    accounts: list[Account] = field(default_factory=list)
    statements: int = 0
    journal_entries: int = 0
    decisions: int = 0
    cohorts: tuple[str, ...] = ()
    lms_credential: tuple[str, str] | None = None


@dataclass
class _Run:
    lrs: LRS
    today: date
    meter: Meter
    hash_password: Callable[[str], str]
    loaded: Loaded = field(default_factory=Loaded)
    principals: dict[str, Principal] = field(default_factory=dict)
    #: (cohort slug, person index, journal index) -> (statement id, the day the entry is about)
    entries: dict[tuple[str, int, int], tuple[str, date]] = field(default_factory=dict)


def registration_year_start(today: date) -> date:
    """Social Work England's registration year starts on 1 December."""
    return date(today.year if today.month == 12 else today.year - 1, 12, 1)


def planned_work(today: date | None = None) -> int:
    """How many units of work ``load`` reports (statements and accounts), for a progress total."""
    return len(programme_statements(today or date.today())) + _journal_count() + _decision_count() + 5 + _cpd_count()


def load(
    lrs: LRS,
    *,
    today: date | None = None,
    meter: Meter | None = None,
    hash_password: Callable[[str], str] | None = None,
) -> Loaded:
    """Load the whole demo into ``lrs`` (an empty, migrated store). Returns the accounts and counts."""
    if hash_password is None:
        from lrs.web.passwords import hash_password as argon2_hash

        hash_password = argon2_hash
    run = _Run(lrs, today or date.today(), meter or _Quiet(), hash_password)
    run.loaded.cohorts = tuple(c.iri for c in p.COHORTS)
    for step in (make_credentials, record_programme, enrol, write_journals, make_decisions, select_cpd, make_accounts):
        step(run)
    return run.loaded


# --- steps -----------------------------------------------------------------------------------------------------


def make_credentials(run: _Run) -> None:
    """The programme's LMS, the participants' journal app, and the reviewers' own credentials."""
    run.meter.stage("Loading the demo: credentials")
    home = run.lrs.settings.authority_home_page
    cohorts = [c.iri for c in p.COHORTS]

    def create(conn: Any) -> dict[str, tuple[str, str]]:
        made = {
            "lms": credential_store.create_credential(
                conn, name="Programme LMS (demo)", scopes=["statements/write", "statements/read"], authority_home_page=home
            ),
            "journal": credential_store.create_credential(
                conn, name="Journal app (demo)", scopes=["statements/write"], authority_home_page=home
            ),
        }
        for role, person in (("assessor", p.ASSESSOR), ("iqa", p.IQA)):
            made[role] = credential_store.create_credential(
                conn, name=person.name, scopes=["statements/write"], authority_home_page=home,
                role=role, agent_key=person.agent_key, cohorts=cohorts,
            )
        return made

    made = run.lrs.db.write(create)
    for name, (key, _) in made.items():
        principal = run.lrs.principal_for(key)
        assert principal is not None
        run.principals[name] = principal
    run.loaded.lms_credential = made["lms"]


def record_programme(run: _Run) -> None:
    """What the LMS records: every session each participant attended, in batches through the statement service."""
    run.meter.stage("Loading the demo: programme events from the LMS")
    statements = programme_statements(run.today)
    for i in range(0, len(statements), BATCH):
        batch = statements[i : i + BATCH]
        run.lrs.store_statements(batch, run.principals["lms"], VERSION)
        run.meter.advance(len(batch))
    run.loaded.statements += len(statements)


def enrol(run: _Run) -> None:
    """Cohort membership: each cohort's participants enrolled as learners, by the programme's LMS credential (the
    assessor and IQA may decide only on learners of their cohorts); the ILM learners' registration numbers with
    the awarding body (the portfolio's cover and the EQA pack show them)."""
    enrolled_by = run.principals["lms"].key

    def write(conn: Any) -> None:
        for cohort in p.COHORTS:
            for person in cohort.people:
                enrolment_store.enrol(conn, cohort.iri, person.agent_key, enrolled_by=enrolled_by)

    run.lrs.db.write(write)
    for index, person in enumerate(p.ILM_COHORT.people):
        units.set_registration_number(run.lrs, person.agent_key, p.registration_number(index))


def write_journals(run: _Run) -> None:
    """Each participant's journal: reflections, peer reflections, witness testimonies and work products."""
    run.meter.stage("Loading the demo: journal entries")
    for cohort in p.COHORTS:
        plan = p.ILM_JOURNAL if cohort.assessed else p.PRACTICE_LEADER_JOURNAL
        start = run.today - timedelta(days=cohort.started_days_ago)
        for index, person in enumerate(cohort.people):
            raw = [
                _entry(cohort, person, index, reflection, start + timedelta(days=r + index % 3), run.today)
                for r, reflection in ((r.days_after_start, r) for r in plan)
            ]
            raw.append(_recent_entry(cohort, person, index, run.today))
            entries = [journal.parse_entry(e) for e in raw]
            ids = journal.record(run.lrs, entries, run.principals["journal"])
            for n, (statement_id, entry) in enumerate(zip(ids, entries, strict=True)):
                run.entries[(cohort.slug, index, n)] = (statement_id, entry.when.date())
            run.meter.advance(len(ids))
            run.loaded.journal_entries += len(ids)
            run.loaded.statements += len(ids)


def make_decisions(run: _Run) -> None:
    """The assessor's decisions on the ILM cohort's evidence, then the IQA's sample of them, each with a rationale."""
    run.meter.stage("Loading the demo: assessor and IQA decisions")
    cohort = p.ILM_COHORT
    for index, plans in p.DECISIONS.items():
        for plan in plans:
            evidence, _ = run.entries[(cohort.slug, index, plan.entry)]
            decided = decide(run, "assessor", {
                "evidence": evidence, "criterion": plan.criterion, "outcome": plan.outcome,
                "rationale": plan.rationale, "feedback": plan.feedback or plan.rationale,
            })
            if plan.iqa:
                decide(run, "iqa", {"decision": decided.statement_id, "outcome": plan.iqa,
                                    "rationale": plan.iqa_rationale, "feedback": plan.iqa_action})


def decide(run: _Run, reviewer: str, body: dict[str, Any]) -> Any:
    """One decision through the review service, as the reviewer's credential; every one carries its rationale
    (why the reviewer judged so), and feedback for whoever acts on it."""
    decided = review.decide(run.lrs, run.principals[reviewer], body)
    run.meter.advance()
    run.loaded.decisions += 1
    run.loaded.statements += 1
    return decided


def select_cpd(run: _Run) -> None:
    """Each participant selects records for their Social Work England CPD a week after the learning, and submits
    one a fortnight after; the latest reflection (this registration year) is selected too."""
    run.meter.stage("Loading the demo: CPD selections")
    statements = []
    for cohort in p.COHORTS:
        latest = len(p.ILM_JOURNAL if cohort.assessed else p.PRACTICE_LEADER_JOURNAL)
        for index, person in enumerate(cohort.people):
            chosen = [(n, "selected-for-cpd", "selected for CPD", 7) for n in sorted({*p.CPD_SELECTED, latest})]
            chosen.append((p.CPD_SUBMITTED, "submitted-cpd", "submitted CPD", 14))
            for n, verb, display, days_later in chosen:
                found = run.entries.get((cohort.slug, index, n))
                if found is None:
                    continue
                target, day = found
                # Not after today, and a record of last year is submitted within last year (before 1 December).
                when = min(day + timedelta(days=days_later), run.today)
                if day < registration_year_start(run.today) <= when:
                    when = registration_year_start(run.today) - timedelta(days=1)
                statements.append({
                    "id": str(uuid.uuid5(NAMESPACE, f"cpd:{target}:{verb}")),
                    "actor": {"objectType": "Agent", "name": person.name, "mbox": person.mbox},
                    "verb": {"id": f"{v.VERBS}{verb}", "display": {"en-GB": display}},
                    "object": {"objectType": "StatementRef", "id": target},
                    "context": {"contextActivities": {"category": [{"id": v.PROFILE_VERSION}]}},
                    "timestamp": _iso(_at(when, 18)),
                })
    run.lrs.store_statements(statements, run.principals["journal"], VERSION)
    run.meter.advance(len(statements))
    run.loaded.statements += len(statements)


def make_accounts(run: _Run) -> None:
    """One account for each role, with a generated password."""
    run.meter.stage("Loading the demo: accounts")
    cohorts = [c.iri for c in p.COHORTS]
    jo = p.ILM_COHORT.people[0]
    people = (
        ("participant", jo, jo.agent_key, [p.ILM_COHORT.iri], f"{jo.role_title}, on the ILM Level 5 cohort"),
        ("assessor", p.ASSESSOR, p.ASSESSOR.agent_key, cohorts, "assesses both cohorts' evidence"),
        ("iqa", p.IQA, p.IQA.agent_key, cohorts, "samples the assessor's decisions"),
        ("lead", p.LEAD, None, cohorts, "reads both cohorts' dashboards"),
        ("admin", p.ADMIN, None, [], "runs the LRS"),
    )
    made = []
    for role, person, agent_key, person_cohorts, what in people:
        password = generate_password()
        made.append((role, person, agent_key, person_cohorts, password, run.hash_password(password), what))

    def create(conn: Any) -> None:
        for role, person, agent_key, person_cohorts, _, password_hash, _ in made:
            user_store.create_user(
                conn, email=person.email, name=person.name, role=role, agent_key=agent_key,
                cohorts=person_cohorts, password_hash=password_hash,
            )

    run.lrs.db.write(create)
    for role, person, _, _, password, _, what in made:
        run.loaded.accounts.append(Account(role, person.name, person.email, password, what))
        run.meter.advance()


# --- data into statements and entries -----------------------------------------------------------------------


WORDS = (
    "amber", "anchor", "birch", "canal", "cedar", "copper", "dune", "ember", "fern", "harbour", "heron", "kettle",
    "lantern", "linen", "maple", "meadow", "orchid", "pebble", "plum", "quarry", "raven", "saffron", "willow", "yarrow",
)


def generate_password() -> str:
    """Four words and two digits: easy to type from the sign-in sheet, random enough for a demo."""
    words = [secrets.choice(WORDS) for _ in range(4)]
    return "-".join(words) + f"-{secrets.randbelow(90) + 10}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _hours(hours: float) -> str:
    minutes = round(hours * 60)
    return f"PT{minutes // 60}H{minutes % 60}M" if minutes % 60 else f"PT{minutes // 60}H"


def _event(cohort: p.Cohort, person: p.Person, kind_name: str, title: str, when: datetime, **extra: Any) -> dict[str, Any]:
    kind = p.KINDS[kind_name]
    slug = title.lower().replace(" ", "-").replace(",", "").replace(":", "").replace("'", "")
    context: dict[str, Any] = {
        "contextActivities": {"grouping": [{"id": cohort.iri, "definition": {"name": {"en-GB": cohort.title}}}]},
        "registration": str(uuid.uuid5(NAMESPACE, cohort.slug)),
    }
    if extra.get("instructor"):
        context["instructor"] = {"objectType": "Agent", "name": extra["instructor"].name, "mbox": extra["instructor"].mbox}
    statement: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{cohort.slug}:{person.email}:{kind_name}:{title}:{when.isoformat()}")),
        "actor": {"objectType": "Agent", "name": person.name, "mbox": person.mbox},
        "verb": {"id": kind.verb, "display": {"en-GB": kind.verb_display}},
        "object": {
            "id": f"{cohort.iri}/{kind_name}/{slug}",
            "definition": {"name": {"en-GB": title}, "type": kind.activity_type},
        },
        "context": context,
        "timestamp": _iso(when),
        "result": {"duration": _hours(extra.get("hours", kind.hours))},
    }
    if "score" in extra:
        statement["result"].update(completion=True, success=extra["score"] >= 0.7, score={"scaled": extra["score"]})
    return statement


def programme_statements(today: date) -> list[dict[str, Any]]:
    """Everything the LMS records for both cohorts, up to today (deterministic for a day)."""
    out: list[dict[str, Any]] = []
    recent = max(registration_year_start(today), today - timedelta(days=3))
    for cohort in p.COHORTS:
        start = today - timedelta(days=cohort.started_days_ago)
        months = cohort.started_days_ago // 30
        for index, person in enumerate(cohort.people):
            coach = cohort.coaches[index % len(cohort.coaches)]
            set_number = index // cohort.set_size + 1
            for day in range(2):
                out.append(_event(cohort, person, "residential", f"First residential, day {day + 1}",
                                  _at(start + timedelta(days=day), 9)))
            for month in range(1, months):
                month_start = start + timedelta(days=30 * month)
                if (index + month) % 7:  # nearly everyone comes to nearly every set
                    out.append(_event(cohort, person, "action-learning-set",
                                      f"Action learning set {set_number}, meeting {month}",
                                      _at(month_start + timedelta(days=10), 10)))
                if month % 2 == 1:
                    out.append(_event(cohort, person, "coaching", f"Coaching session {month // 2 + 1}",
                                      _at(month_start + timedelta(days=17), 15), instructor=coach))
                if not cohort.assessed:
                    out.append(_event(cohort, person, "seminar", f"Seminar {month}: taught input",
                                      _at(month_start + timedelta(days=3), 9)))
                for week in range(4):
                    if (index + week + month) % 3:
                        out.append(_event(cohort, person, "project", "Service development project",
                                          _at(month_start + timedelta(days=7 * week + 2), 13),
                                          hours=2 + (index + week) % 4))
                out.append(_event(cohort, person, "supervision", f"Supervision with the team, month {month}",
                                  _at(month_start + timedelta(days=5), 11), hours=1 + (index % 3) * 0.5))
            for day in range(2 + index % 3):
                out.append(_event(cohort, person, "shadowing", "Shadowing in the development coach's authority",
                                  _at(start + timedelta(days=45 + 30 * day), 9), instructor=coach))
            for n, module in enumerate(cohort.e_learning):
                out.append(_event(cohort, person, "e-learning", f"E-learning: {module}",
                                  _at(start + timedelta(days=20 + 35 * n + index), 19),
                                  score=round(0.62 + ((index * 7 + n * 5) % 38) / 100, 2)))
            if not cohort.assessed:
                out.append(_event(cohort, person, "consultant", "Expert consultant session",
                                  _at(start + timedelta(days=90), 14)))
                out.append(_event(cohort, person, "observation", "Observed an Ofsted focused visit",
                                  _at(start + timedelta(days=150), 9)))
            # This registration year's learning in all three modes, so a participant's home page has figures even
            # in the first days of a year (it starts on 1 December).
            out.append(_event(cohort, person, "action-learning-set", f"Action learning set {set_number}, latest meeting",
                              _at(recent, 10)))
            out.append(_event(cohort, person, "supervision", "Supervision with the team, this week", _at(recent, 14)))
            out.append(_event(cohort, person, "project", "Service development project", _at(recent, 9), hours=3))
            out.append(_event(cohort, person, "e-learning", "E-learning: Recording decisions defensibly",
                              _at(recent, 19), score=round(0.7 + (index % 4) / 10, 2)))
    return out


def _entry(
    cohort: p.Cohort, person: p.Person, index: int, r: p.Reflection, day: date, today: date
) -> dict[str, Any]:
    day = min(day, today)
    entry: dict[str, Any] = {
        "agent": person.mbox,
        "name": person.name,
        "what": r.what,
        "mode": r.mode,
        "date": day.isoformat(),
        "duration": _hours(r.hours),
        "reflection": {"learned": r.learned, "impact": r.impact},
        "programme": cohort.iri,
    }
    if r.description:
        entry["description"] = r.description
    if r.standards:
        entry["standards"] = list(r.standards)
    if r.evidence_type:
        entry["evidence_type"] = r.evidence_type
    if r.peer_reflection:
        peer = cohort.people[(index + 1) % len(cohort.people)]
        entry["peer"] = {"agent": peer.mbox, "name": peer.name, "reflection": r.peer_reflection}
    attachments = []
    manager = p.LINE_MANAGERS[index % len(p.LINE_MANAGERS)]
    if r.witness_testimony:
        entry["witness"] = {
            "name": manager.name, "role": manager.role_title, "relationship": "line manager",
            "date": day.isoformat(), "agent": manager.mbox, "testimony": r.witness_testimony,
        }
    for kind in r.files:
        if kind == "witness-pdf":
            content = files.witness_statement(person.name, manager.name, manager.role_title, r.witness_testimony or "", day)
            attachments.append(_file("witness-testimony.pdf", "application/pdf", content, "Signed witness statement"))
        elif kind == "project-pdf":
            content = files.project_report(person.name, r.what, r.description or r.learned)
            attachments.append(_file("supervision-audit.pdf", "application/pdf", content, "Audit report and action plan"))
        elif kind == "process-map-png":
            attachments.append(_file("duty-rota-process-map.png", "image/png", files.process_map(person.name), "Process map"))
        elif kind == "notes-txt":
            attachments.append(_file("rota-meeting-notes.txt", "text/plain", files.meeting_notes(person.name, r.what), None))
    if attachments:
        entry["attachments"] = attachments
    return entry


def _recent_entry(cohort: p.Cohort, person: p.Person, index: int, today: date) -> dict[str, Any]:
    """A reflection in this registration year (so the participant's home page has something this year)."""
    day = max(registration_year_start(today), today - timedelta(days=2))
    return {
        "agent": person.mbox, "name": person.name, "what": "Action learning set: the latest meeting", "mode": "social",
        "date": day.isoformat(), "duration": "PT3H", "programme": cohort.iri,
        "reflection": {
            "learned": "Presenting my own dilemma to the set showed me how much I had already worked out alone.",
            "impact": "I bring a question, not an answer, to my team's meeting this week.",
        },
    }


def _file(name: str, content_type: str, content: bytes, description: str | None) -> dict[str, Any]:
    item = {"name": name, "content_type": content_type, "content_base64": base64.b64encode(content).decode("ascii")}
    if description:
        item["description"] = description
    return item


def _journal_count() -> int:
    return sum(
        len(c.people) * (len(p.ILM_JOURNAL if c.assessed else p.PRACTICE_LEADER_JOURNAL) + 1) for c in p.COHORTS
    )


def _decision_count() -> int:
    return sum(1 + (d.iqa is not None) for plans in p.DECISIONS.values() for d in plans)


def _cpd_count() -> int:
    count = 0
    for c in p.COHORTS:
        size = len(p.ILM_JOURNAL if c.assessed else p.PRACTICE_LEADER_JOURNAL) + 1
        selected = {n for n in (*p.CPD_SELECTED, size - 1) if n < size}
        count += len(c.people) * (len(selected) + (size > p.CPD_SUBMITTED))
    return count
