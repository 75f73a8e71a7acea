"""A CPD log as Social Work England asks for it, and the readiness check for one registration year."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

MIN_PIECES = 2
MIN_PEER_REFLECTIONS = 1

#: The questions of SWE's CPD form, as column and section titles.
QUESTIONS = {
    "activity_type": "Type of CPD",
    "description": "Short description, and why it is relevant to your practice",
    "date": "Date",
    "learned": "What did you learn?",
    "impact": "What impact has this had on your practice and the people you work with?",
    "peer_reflection": "Describe what you have learnt from discussing this CPD activity with a peer",
}


@dataclass(frozen=True)
class PeerReflection:
    #: Who the peer was (name and role, as the participant recorded it).
    peer: str
    learned: str


@dataclass(frozen=True)
class CPDPiece:
    statement_id: str
    date: date
    activity_type: str
    title: str
    description: str
    learned: str
    impact: str
    peer_reflection: PeerReflection | None
    #: Codes or short titles of the professional standards it relates to, e.g. "SWE 4.6".
    standards: tuple[str, ...]
    #: 70/20/10 mode: "on-the-job", "social", "formal", or None when unclassified.
    mode: str | None

    def missing_answers(self) -> list[str]:
        return [
            QUESTIONS[name]
            for name in ("description", "learned", "impact")
            if not getattr(self, name).strip()
        ]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    #: What must still be done before the year's CPD meets the rules, one sentence each.
    missing: tuple[str, ...]
    #: Worth a look, not blocking (e.g. two identical records).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CPDLog:
    participant_name: str
    participant_id: str
    period_start: date
    period_end: date
    pieces: tuple[CPDPiece, ...]
    readiness: Readiness
    generated_on: date = field(default_factory=date.today)

    @property
    def year_label(self) -> str:
        return f"{self.period_start.year}–{str(self.period_end.year)[-2:]}"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["year"] = self.year_label
        for key in ("period_start", "period_end", "generated_on"):
            data[key] = getattr(self, key).isoformat()
        for piece in data["pieces"]:
            piece["date"] = piece["date"].isoformat()
            piece["standards"] = list(piece["standards"])
        data["readiness"]["missing"] = list(self.readiness.missing)
        data["readiness"]["warnings"] = list(self.readiness.warnings)
        return data


def registration_year(year: int) -> tuple[date, date]:
    """The registration year that ends on 30 November of ``year`` (it starts on 1 December the year before)."""
    return date(year - 1, 12, 1), date(year, 11, 30)


def check_readiness(pieces: list[CPDPiece] | tuple[CPDPiece, ...], year_label: str) -> Readiness:
    """Social Work England's rules for a registration year: at least two pieces of CPD, at least one
    discussed with a peer, and every piece with its reflective answers."""
    missing: list[str] = []
    warnings: list[str] = []
    if len(pieces) < MIN_PIECES:
        missing.append(
            f"Record at least {MIN_PIECES} pieces of CPD for {year_label}: {len(pieces)} recorded so far."
        )
    with_peer = [p for p in pieces if p.peer_reflection and p.peer_reflection.learned.strip()]
    if len(with_peer) < MIN_PEER_REFLECTIONS:
        missing.append("At least one piece of CPD needs a peer reflection: none has one yet.")
    for piece in pieces:
        for question in piece.missing_answers():
            missing.append(f"'{piece.title}' ({piece.date.isoformat()}) has no answer to '{question}'.")
    seen: dict[tuple[str, str, str], CPDPiece] = {}
    for piece in pieces:
        key = (piece.description.strip(), piece.learned.strip(), piece.impact.strip())
        if key in seen and any(key):
            warnings.append(
                f"'{piece.title}' ({piece.date.isoformat()}) repeats '{seen[key].title}' word for word; "
                "Social Work England looks for identical records."
            )
        seen.setdefault(key, piece)
    return Readiness(ready=not missing, missing=tuple(missing), warnings=tuple(warnings))
