"""A CPD log as Social Work England asks for it, and the readiness check for one registration year.

The year's rules (dates, deadline, renewal window, minimum records, peer reflection) are data, in
``data/swe-cpd-rules.json``, because they changed before (one record in 2019–20 and 2020–21, two with a peer
reflection from 2021–22) and Social Work England has said it will consult on changing them again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any, TypeVar

_T = TypeVar("_T")

#: Where a record stands with the regulator, as the participant said (see docs/profile.md, "CPD selection").
DRAFT, SELECTED, SUBMITTED = "draft", "selected", "submitted"
STATUSES = (DRAFT, SELECTED, SUBMITTED)


@cache
def _rules_data() -> dict[str, Any]:
    return json.loads(resources.files("lrs_cpd_log").joinpath("data/swe-cpd-rules.json").read_text("utf-8"))


def made(cls: type[_T], values: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` with ``values``, one for each of its fields, made the way
    ``copy.copy`` and ``pickle`` make one (an instance without __init__, its attributes set at once): the
    dataclass's __init__ sets each field on its own through ``object.__setattr__``, several times the time, and a
    cohort's readiness makes pieces, checks and answers for hundreds of learners. Equal to ``cls(**values)``
    (tests/plugins/test_cpd_readiness_cohort.py); ``values`` must name every field."""
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


@dataclass(frozen=True)
class FormField:
    key: str
    question: str
    guidance: str
    max_characters: int | None = None


def form_fields() -> tuple[FormField, ...]:
    """The CPD form's questions in the form's order, with its length guidance."""
    return tuple(FormField(**f) for f in _rules_data()["form"]["fields"])


#: The questions of SWE's CPD form by field, as column and section titles.
QUESTIONS = {f.key: f.question for f in form_fields()}


def category_labels() -> tuple[dict[str, str], str]:
    """Activity-type slug -> the CPD category a social worker would write on the form, and the fallback."""
    data = _rules_data()["categories"]
    return data["by_type"], data["default"]


@dataclass(frozen=True)
class YearRules:
    label: str
    start: date
    end: date
    deadline: date
    renewal_window_opens: date
    minimum_records: int
    peer_reflection_required: bool
    note: str = ""
    #: True when the year is not in the data and the latest listed year's rules stand in for it.
    assumed: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "deadline", "renewal_window_opens"):
            data[key] = getattr(self, key).isoformat()
        return data


def _year_rules(raw: dict[str, Any]) -> YearRules:
    return YearRules(
        label=raw["label"],
        start=date.fromisoformat(raw["start"]),
        end=date.fromisoformat(raw["end"]),
        deadline=date.fromisoformat(raw["deadline"]),
        renewal_window_opens=date.fromisoformat(raw["renewal_window_opens"]),
        minimum_records=int(raw["minimum_records"]),
        peer_reflection_required=bool(raw["peer_reflection_required"]),
        note=raw.get("note", ""),
    )


@cache
def rules_for(year: int) -> YearRules:
    """The rules of the registration year that ends in ``year`` (e.g. 2026 for 2025–26). Worked out once per year
    (a cohort's readiness asks for each learner's); YearRules is frozen."""
    listed = [_year_rules(raw) for raw in _rules_data()["years"]]
    for rules in listed:
        if rules.end.year == year:
            return rules
    start, end = registration_year(year)
    base = max(listed, key=lambda r: r.end) if year > max(r.end.year for r in listed) else min(listed, key=lambda r: r.end)
    return YearRules(
        label=f"{start.year}–{str(end.year)[-2:]}",
        start=start,
        end=end,
        deadline=end,
        renewal_window_opens=date(year, 9, 1),
        minimum_records=base.minimum_records,
        peer_reflection_required=base.peer_reflection_required,
        note=f"No rules are on file for this year; {base.label}'s are assumed. Check Social Work England's website.",
        assumed=True,
    )


def registration_year(year: int) -> tuple[date, date]:
    """The registration year that ends on 30 November of ``year`` (it starts on 1 December the year before)."""
    return date(year - 1, 12, 1), date(year, 11, 30)


@dataclass(frozen=True)
class PeerReflection:
    #: Who the peer was: a name or role only, never an address (the form does not ask who the peer was).
    peer: str
    learned: str


@dataclass(frozen=True)
class CPDPiece:
    statement_id: str
    date: date
    #: The CPD category, in Social Work England's words ("Supervision", "Course or training event", ...).
    activity_type: str
    title: str
    description: str
    learned: str
    impact: str
    peer_reflection: PeerReflection | None
    #: Codes of the SWE professional standards it relates to, e.g. "SWE 4.6" (never ILM criteria).
    standards: tuple[str, ...]
    #: 70/20/10 mode: "on-the-job", "social", "formal", or None when unclassified.
    mode: str | None
    #: draft / selected / submitted, as the participant marked it.
    status: str = DRAFT
    submitted_on: date | None = None
    #: Other frameworks it evidences (KSS, PCF), kept apart from the regulator's standards.
    other_standards: tuple[str, ...] = ()
    #: The portfolio evidence type (e.g. "witness-testimony") when the piece is ILM assessment evidence.
    evidence_type: str | None = None
    #: Every statement the piece was built from (a selection statement may point at any of them).
    statement_ids: tuple[str, ...] = ()
    #: Sentences about names of people found in the answers (service users and colleagues must not be named).
    privacy_warnings: tuple[str, ...] = ()

    def missing_answers(self) -> list[str]:
        return [QUESTIONS[name] for name in ("description", "learned", "impact") if not getattr(self, name).strip()]

    @property
    def complete(self) -> bool:
        """No answer missing (:meth:`missing_answers` empty), without building the list: asked several times a
        piece by the readiness check and the page's line."""
        return bool(self.description.strip() and self.learned.strip() and self.impact.strip())

    @property
    def chosen(self) -> bool:
        return self.status in (SELECTED, SUBMITTED)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    #: What must still be done before the year's CPD meets the rules, one sentence each.
    missing: tuple[str, ...]
    #: Worth a look, not blocking (e.g. two identical records, the deadline has passed).
    warnings: tuple[str, ...] = ()
    #: Complete records counted against the year's rules.
    counted: int = 0
    #: Records not counted: incomplete, or not selected while others are. Candidates, not failures.
    candidates: int = 0
    #: How the counted records were chosen: "selected" (the participant's choice) or "all complete".
    basis: str = "all complete"


@dataclass(frozen=True)
class CPDLog:
    #: The participant by name only: no email address or other identifier (the form asks for none, and an
    #: export is often forwarded or printed).
    participant_name: str
    period_start: date
    period_end: date
    pieces: tuple[CPDPiece, ...]
    readiness: Readiness
    generated_on: date = field(default_factory=date.today)
    rules: YearRules | None = None

    @property
    def year_label(self) -> str:
        return year_label(self.period_start, self.period_end)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["year"] = self.year_label
        for key in ("period_start", "period_end", "generated_on"):
            data[key] = getattr(self, key).isoformat()
        data["rules"] = self.rules.as_dict() if self.rules else None
        for piece in data["pieces"]:
            piece["date"] = piece["date"].isoformat()
            piece["submitted_on"] = piece["submitted_on"].isoformat() if piece["submitted_on"] else None
            for key in ("standards", "other_standards", "statement_ids", "privacy_warnings"):
                piece[key] = list(piece[key])
        data["readiness"]["missing"] = list(self.readiness.missing)
        data["readiness"]["warnings"] = list(self.readiness.warnings)
        return data


def year_label(start: date, end: date) -> str:
    """A registration year as a log names it: "2025–26"."""
    return f"{start.year}–{str(end.year)[-2:]}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 piece', '2 pieces'."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def deadline_notices(rules: YearRules, today: date) -> list[str]:
    """The year's deadline and renewal window, said as they stand on ``today``."""
    return list(_deadline_notices(rules, today))


@lru_cache(maxsize=64)
def _deadline_notices(rules: YearRules, today: date) -> tuple[str, ...]:
    # Worked out once per year and day: a cohort's readiness asks the same for each of 500 learners.
    return tuple(_notices(rules, today))


def _notices(rules: YearRules, today: date) -> list[str]:
    deadline = _long_date(rules.deadline)
    if today > rules.deadline:
        return [
            f"The deadline for {rules.label} ({deadline}, 11.59pm) has passed: CPD for this year can no longer be "
            "submitted for renewal."
        ]
    days = (rules.deadline - today).days
    if today >= rules.renewal_window_opens:
        return [
            f"The renewal window for {rules.label} is open: submit your CPD and renew your registration by "
            f"11.59pm on {deadline} ({plural(days, 'day')} left)."
        ]
    return [
        f"Deadline for {rules.label}: 11.59pm on {deadline}; the renewal window opens on "
        f"{_long_date(rules.renewal_window_opens)}."
    ]


def check_readiness(
    pieces: list[CPDPiece] | tuple[CPDPiece, ...], rules: YearRules | str, today: date | None = None
) -> Readiness:
    """Social Work England's rules for a registration year, on complete records only.

    When the participant has selected (or submitted) any records, only those count; when none is selected,
    every complete record counts, since any of them could be submitted. Incomplete records are candidates,
    not failures: they are counted, not listed.
    """
    if isinstance(rules, str):  # a label alone: the rules in force since 2021–22
        rules = YearRules(rules, date.min, date.max, date.max, date.max, 2, True)
    complete: list[CPDPiece] = []
    chosen: list[CPDPiece] = []
    any_chosen = False
    for p in pieces:
        if p.chosen:
            any_chosen = True
            if p.complete:
                complete.append(p)
                chosen.append(p)
        elif p.complete:
            complete.append(p)
    counted = chosen if any_chosen else complete
    missing: list[str] = []
    warnings: list[str] = []
    if len(counted) < rules.minimum_records:
        kind = "selected complete" if any_chosen else "complete"
        missing.append(
            f"Record at least {plural(rules.minimum_records, 'complete piece')} of CPD for {rules.label}: "
            f"{len(counted)} {kind} so far (a complete piece answers the description, what you learnt and "
            "the impact)."
        )
    if rules.peer_reflection_required and not any(
        p.peer_reflection and p.peer_reflection.learned.strip() for p in counted
    ):
        missing.append(
            "At least one complete piece of CPD needs a peer reflection: none has one yet."
            if not any_chosen
            else "At least one selected piece of CPD needs a peer reflection: none has one yet."
        )
    for piece in pieces:
        if not piece.chosen or piece.complete:
            continue
        missing.append(
            f"'{piece.title}' ({piece.date.isoformat()}) is selected but has no answer to "
            + ", ".join(f"'{q}'" for q in piece.missing_answers())
            + "."
        )
    if today is not None and rules.deadline != date.max:
        warnings += deadline_notices(rules, today)
    if rules.assumed:
        warnings.append(rules.note)
    seen: dict[tuple[str, str, str], CPDPiece] = {}
    for piece in counted:
        key = (piece.description.strip(), piece.learned.strip(), piece.impact.strip())
        if key in seen and any(key):
            warnings.append(
                f"'{piece.title}' ({piece.date.isoformat()}) repeats '{seen[key].title}' word for word; "
                "Social Work England looks for identical records."
            )
        seen.setdefault(key, piece)
    for piece in counted:
        warnings += piece.privacy_warnings
    return made(Readiness, {
        "ready": not missing,
        "missing": tuple(missing),
        "warnings": tuple(warnings),
        "counted": len(counted),
        "candidates": len(pieces) - len(counted),
        "basis": "selected" if any_chosen else "all complete",
    })
