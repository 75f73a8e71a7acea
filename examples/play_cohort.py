"""Play a realistic leadership-programme cohort into a running LRS, then print its 70/20/10 balance.

A cohort of practice leaders from three local authorities goes through a six-month programme shaped like the
Practice Leader Development Programme (research/domain.md §3.3): two-day residentials at the start and the
end, monthly seminars (a morning of taught input, an afternoon working on real dilemmas), monthly action
learning sets, coaching with a development coach, days shadowing in the coach's authority, sessions with an
expert consultant, a service-development project in their own authority, an Ofsted inspection to observe and
a few e-learning modules. Everything is sent with the ``tincan`` client, as an LMS or an app would.

The run is deterministic for a seed (statement ids too), so playing it twice stores nothing new.

    .venv/bin/python examples/play_cohort.py --endpoint http://127.0.0.1:8080 --key KEY --secret SECRET

Without --key/--secret it uses var/first-credential.json (written by ``lrs serve``).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    ContextActivities,
    LanguageMap,
    RemoteLRS,
    Result,
    Statement,
    Verb,
)

from lrs.learning import vocabulary as v

NAMESPACE = uuid.UUID("6f1f3c52-1d0e-4c52-9a59-3a4c1f0b7d21")
AUTHORITIES = ("northshire.gov.example", "riverside.gov.example", "eastborough.gov.example")
FIRST = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Erin",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kiran",
    "Lena",
    "Marcus",
    "Nadia",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Violet",
    "Wes",
    "Yasmin",
)
LAST = (
    "Adeyemi",
    "Brennan",
    "Choudhury",
    "Davies",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Lewis",
    "Mensah",
    "Novak",
    "O'Neill",
    "Patel",
    "Quayle",
    "Reid",
    "Shah",
    "Taylor",
)


@dataclass(frozen=True)
class Kind:
    """A kind of programme event: how it is said in xAPI and how long it usually takes (hours)."""

    verb: str
    verb_display: str
    activity_type: str
    hours: tuple[float, float]


#: The event kinds, said the way the profile's statement templates say them (docs/profile.md), so the LRS's
#: default rules classify them. The comment is the mode the profile gives each.
KINDS: dict[str, Kind] = {
    "residential": Kind(v.ADL_ATTENDED, "attended", v.TYPE_RESIDENTIAL, (6, 6)),  # formal
    "seminar": Kind(v.ADL_ATTENDED, "attended", v.TYPE_SEMINAR, (3, 3)),  # formal
    "e-learning": Kind(v.ADL_COMPLETED, "completed", v.TYPE_E_LEARNING, (0.5, 1.5)),  # formal
    "dilemma": Kind(v.TINCAN_TALKED_WITH, "talked with", v.TINCAN_DISCUSSION, (2.5, 2.5)),  # social
    "action-learning-set": Kind(v.ADL_ATTENDED, "attended", v.TYPE_ACTION_LEARNING_SET, (3, 3)),  # social
    "coaching": Kind(v.ADL_ATTENDED, "attended", v.TYPE_COACHING_SESSION, (1, 2)),  # social
    "consultant": Kind(v.ADL_ATTENDED, "attended", v.TYPE_EXPERT_CONSULTATION, (1.5, 2.5)),  # social
    "project": Kind(v.ADL_PROGRESSED, "progressed", v.TYPE_SERVICE_DEVELOPMENT_PROJECT, (2, 6)),  # on-the-job
    "supervision": Kind(v.VERB_SUPERVISED, "supervised", v.TYPE_SUPERVISION_SESSION, (1, 1.5)),  # on-the-job
    "shadowing": Kind(v.VERB_SHADOWED, "shadowed", v.TYPE_SHADOWING, (7, 7)),  # on-the-job
    "observation": Kind(v.VERB_OBSERVED, "observed", v.TYPE_OBSERVED_PRACTICE, (6, 7)),  # on-the-job
    # Logging in to the learning platform is not learning: the profile leaves it unclassified.
    "platform": Kind(
        "https://w3id.org/xapi/adl/verbs/logged-in",
        "logged in",
        "http://adlnet.gov/expapi/activities/link",
        (0, 0),
    ),
}


@dataclass(frozen=True)
class Participant:
    name: str
    mbox: str
    authority: str
    set_number: int
    coach: str


def cohort(n: int, rng: random.Random) -> list[Participant]:
    names = rng.sample([f"{f} {s}" for f in FIRST for s in LAST], n)
    coaches = [f"mailto:coach{i + 1}@{AUTHORITIES[i % 3]}" for i in range(max(1, n // 3))]
    people = []
    for i, name in enumerate(sorted(names)):
        authority = AUTHORITIES[i % len(AUTHORITIES)]
        local = name.lower().replace(" ", ".").replace("'", "")
        people.append(
            Participant(name, f"mailto:{local}@{authority}", authority, i // 6 + 1, coaches[i % len(coaches)])
        )
    return people


class Player:
    """Builds the cohort's statements, deterministically for a seed."""

    def __init__(self, programme: str, start: date, months: int, seed: int) -> None:
        self.programme = programme
        self.start = start
        self.months = months
        self.seed = seed
        self.rng = random.Random(seed)
        self.statements: list[Statement] = []

    def at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), UTC)

    def add(
        self,
        who: Participant,
        kind_name: str,
        title: str,
        when: datetime,
        *,
        hours: float | None = None,
        instructor: str | None = None,
        key: str = "",
    ) -> None:
        kind = KINDS[kind_name]
        low, high = kind.hours
        hours = hours if hours is not None else (round(self.rng.uniform(low, high) * 2) / 2 if high else 0.0)
        slug = urllib.parse.quote(title.lower().replace(" ", "-"), safe="-")
        context = Context(
            context_activities=ContextActivities(grouping=[Activity(id=self.programme)]),
            instructor=Agent(mbox=instructor) if instructor else None,
            registration=str(uuid.uuid5(NAMESPACE, f"{self.seed}:{self.programme}")),
        )
        statement = Statement(
            id=str(
                uuid.uuid5(NAMESPACE, f"{self.seed}:{who.mbox}:{kind_name}:{title}:{key}:{when.isoformat()}")
            ),
            actor=Agent(name=who.name, mbox=who.mbox),
            verb=Verb(id=kind.verb, display=LanguageMap({"en-GB": kind.verb_display})),
            object=Activity(
                id=f"{self.programme}/{kind_name}/{slug}",
                definition=ActivityDefinition(name=LanguageMap({"en-GB": title}), type=kind.activity_type),
            ),
            context=context,
            timestamp=when,
        )
        if hours:
            statement.result = Result(duration=timedelta(hours=hours))
        self.statements.append(statement)

    def play(self, people: list[Participant]) -> list[Statement]:
        rng = self.rng
        end = self.start + timedelta(days=30 * self.months - 1)
        for person in people:
            # Residentials: two days at the start and two at the end.
            for label, first_day in (
                ("First residential", self.start),
                ("Final residential", end - timedelta(days=1)),
            ):
                for day in range(2):
                    if rng.random() < 0.95:
                        self.add(
                            person,
                            "residential",
                            f"{label} day {day + 1}",
                            self.at(first_day + timedelta(days=day), 9),
                            hours=6.0,
                        )
            for month in range(1, self.months - 1):
                month_start = self.start + timedelta(days=30 * month)
                seminar_day = month_start + timedelta(days=3)
                if rng.random() < 0.9:
                    self.add(
                        person,
                        "seminar",
                        f"Seminar {month}: taught input",
                        self.at(seminar_day, 9),
                        hours=3.0,
                    )
                    self.add(
                        person,
                        "dilemma",
                        f"Seminar {month}: dilemma session",
                        self.at(seminar_day, 13),
                        hours=2.5,
                    )
                if rng.random() < 0.85:
                    self.add(
                        person,
                        "action-learning-set",
                        f"Action learning set {person.set_number}, meeting {month}",
                        self.at(month_start + timedelta(days=10), 10),
                        hours=3.0,
                    )
                if rng.random() < 0.8:
                    self.add(
                        person,
                        "coaching",
                        f"Coaching session {month}",
                        self.at(month_start + timedelta(days=17), 15),
                        instructor=person.coach,
                    )
            # Their day job as leaders: supervising practitioners, about fortnightly.
            for fortnight in range(1, (end - self.start).days // 14):
                if rng.random() < 0.6:
                    self.add(
                        person,
                        "supervision",
                        "Supervision with a team manager",
                        self.at(self.start + timedelta(weeks=2 * fortnight, days=1), 11),
                        key=f"fortnight-{fortnight}",
                    )
            # Service-development project in their own authority: most weeks.
            for week in range(1, (end - self.start).days // 7):
                if rng.random() < 0.7:
                    self.add(
                        person,
                        "project",
                        "Service development project",
                        self.at(self.start + timedelta(weeks=week, days=2), 9),
                        key=f"week-{week}",
                    )
            for day in range(rng.randint(2, 5)):
                self.add(
                    person,
                    "shadowing",
                    "Shadowing in the development coach's authority",
                    self.at(self.start + timedelta(days=20 + 25 * day), 9),
                    hours=7.0,
                    instructor=person.coach,
                    key=f"day-{day}",
                )
            if rng.random() < 0.5:
                self.add(
                    person,
                    "observation",
                    "Observed an Ofsted inspection",
                    self.at(self.start + timedelta(days=75), 9),
                )
            for session in range(2):
                self.add(
                    person,
                    "consultant",
                    f"Expert consultant session {session + 1}",
                    self.at(self.start + timedelta(days=60 + 50 * session), 14),
                )
            for module in range(1, 4):
                if rng.random() < 0.75:
                    self.add(
                        person,
                        "e-learning",
                        f"E-learning module {module}",
                        self.at(self.start + timedelta(days=14 * module), 19),
                    )
            for login in range(rng.randint(1, 4)):
                self.add(
                    person,
                    "platform",
                    "Programme learning platform",
                    self.at(self.start + timedelta(days=9 * login + 1), 8),
                    key=f"login-{login}",
                )
        return self.statements


def get_json(endpoint: str, path: str, key: str, secret: str) -> dict[str, Any]:
    request = urllib.request.Request(endpoint.rstrip("/") + path)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode())
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def print_summary(summary: dict[str, Any], out: Any = sys.stdout) -> None:
    totals = summary["totals"]
    target = summary["target"]
    basis = totals["balance"]["basis"]
    print(
        f"\n{summary['activity']}: {summary['learner_count']} learners, {totals['statements']} statements, "
        f"{totals['seconds'] / 3600:.0f} hours (balance by {basis})",
        file=out,
    )
    print(f"  {'mode':<13}{'statements':>11}{'hours':>8}{'share':>8}{'target':>8}", file=out)
    for mode, counts in totals["modes"].items():
        share = totals["balance"]["shares"].get(mode, 0.0)
        print(
            f"  {mode:<13}{counts['statements']:>11}{counts['seconds'] / 3600:>8.0f}{share:>8.0%}{target.get(mode, 0):>8.0%}",
            file=out,
        )
    un = totals["unclassified"]
    print(f"  {'unclassified':<13}{un['statements']:>11}{un['seconds'] / 3600:>8.0f}", file=out)
    for block in summary.get("periods", []):
        shares = "  ".join(f"{m} {block['balance']['shares'].get(m, 0):.0%}" for m in block["modes"])
        print(f"  {block['period']}: {block['statements']:>4} statements  {shares}", file=out)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--endpoint", default="http://127.0.0.1:8080", help="the LRS's base URL (xAPI at /xapi/)"
    )
    parser.add_argument("--key")
    parser.add_argument("--secret")
    parser.add_argument("--participants", type=int, default=24)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--start", default="2025-01-06", help="first day of the programme")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--programme", default="https://lrs.example/programmes/pldp-2025")
    parser.add_argument("--batch", type=int, default=250, help="statements per POST")
    args = parser.parse_args(argv)
    key, secret = args.key, args.secret
    if not key or not secret:
        stored = json.loads(Path("var/first-credential.json").read_text())
        key, secret = stored["key"], stored["secret"]

    player = Player(args.programme, date.fromisoformat(args.start), args.months, args.seed)
    statements = player.play(cohort(args.participants, player.rng))
    remote = RemoteLRS(
        endpoint=args.endpoint.rstrip("/") + "/xapi/", version="1.0.3", username=key, password=secret
    )
    for i in range(0, len(statements), args.batch):
        response = remote.save_statements(statements[i : i + args.batch])
        if not response.success:
            raise SystemExit(f"the LRS refused a batch: {response.response.status} {response.data}")
    print(f"played {len(statements)} statements for {args.participants} participants into {args.endpoint}")
    query = urllib.parse.urlencode({"activity": args.programme, "period": "month", "learners": "false"})
    summary = get_json(args.endpoint, f"/api/cohorts/summary?{query}", key, secret)
    print_summary(summary)
    return {"statements": len(statements), "summary": summary}


if __name__ == "__main__":
    main()
