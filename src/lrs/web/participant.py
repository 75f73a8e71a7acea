"""What a participant's home page shows: this registration year's 70/20/10 balance and its month-by-month trend.

The figures come from the same summary the learning API serves (lrs.learning.summary); this module only shapes
them for the template, including the geometry of the trend chart (an SVG drawn with attributes, so the
Content-Security-Policy needs no inline style).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from lrs.learning import summary
from lrs.learning import vocabulary as v
from lrs.services import exports as exporting
from lrs.store import records

MODE_LABELS = {"on-the-job": "On the job", "social": "Social", "formal": "Formal"}
#: The chart tells the modes apart by pattern and lightness too, not by colour alone.
MODE_FILLS = {"on-the-job": "#0b3d6e", "social": "url(#pattern-social)", "formal": "url(#pattern-formal)"}
CHART_HEIGHT = 160
BAR_SLOT = 44
#: The chart always spans the whole registration year, so its scale does not jump as months pass.
YEAR_MONTHS = 12


@dataclass
class ModeFigure:
    mode: str
    label: str
    statements: int
    hours: float
    share: int | None  # percent of classified learning
    target: int  # percent


@dataclass
class MonthBar:
    label: str  # "Dec 2025"
    month: str  # "2025-12"
    counts: dict[str, int]
    total: int
    x: int
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HomeFigures:
    year_start: date
    year_end: date
    basis: str | None
    modes: list[ModeFigure]
    unclassified: int
    months: list[MonthBar]
    chart_width: int
    chart_height: int
    chart_max: int


def registration_year(today: date) -> tuple[date, date]:
    """Social Work England's registration year: 1 December to 30 November."""
    start_year = today.year if today.month == 12 else today.year - 1
    return date(start_year, 12, 1), date(start_year + 1, 11, 30)


def home_figures(lrs: Any, agent_key: str, today: date) -> HomeFigures:
    start, end = registration_year(today)
    query = summary.parse_query(
        start.isoformat(), end.isoformat(), "month", None, None, default_target=lrs.settings.learning_target
    )
    data = summary.learner_summary(lrs, agent_key, query)
    totals = data["totals"]
    balance = totals["balance"]
    target = data["target"]
    modes = [
        ModeFigure(
            mode=mode,
            label=MODE_LABELS.get(mode, mode),
            statements=totals["modes"][mode]["statements"],
            hours=round(totals["modes"][mode]["seconds"] / 3600, 1),
            share=round(balance["shares"][mode] * 100) if balance["shares"] else None,
            target=round(target.get(mode, 0) * 100),
        )
        for mode in MODE_LABELS
    ]
    months = [
        MonthBar(
            label=date.fromisoformat(p["from"]).strftime("%b %Y"),
            month=p["period"],
            counts={m: p["modes"][m]["statements"] for m in MODE_LABELS},
            total=sum(p["modes"][m]["statements"] for m in MODE_LABELS),
            x=i * BAR_SLOT,
        )
        for i, p in enumerate(p for p in data["periods"] if date.fromisoformat(p["from"]) <= today)
    ]
    chart_max = max([m.total for m in months] + [1])
    for bar in months:
        y = CHART_HEIGHT
        for mode in MODE_LABELS:
            height = round(bar.counts[mode] / chart_max * CHART_HEIGHT)
            if height:
                y -= height
                bar.segments.append({"mode": mode, "y": y, "height": height, "fill": MODE_FILLS[mode]})
    return HomeFigures(
        year_start=start,
        year_end=end,
        basis=balance["basis"],
        modes=modes,
        unclassified=totals["unclassified"]["statements"],
        months=months,
        chart_width=YEAR_MONTHS * BAR_SLOT,
        chart_height=CHART_HEIGHT,
        chart_max=chart_max,
    )


# --- the timeline (My record, and "recently" on the home page) ------------------------------------------------

MODE_WORDS = {
    "on-the-job": "On the job (learning from doing the work)",
    "social": "Social (learning from other people)",
    "formal": "Formal (courses and training)",
}
KIND_LABELS = {"journal": "Your own entries", "tools": "From courses and tools"}
PAGE_SIZE = 20
RECENT = 5
EVIDENCE_LABELS = {
    "observation": "Observation of my practice",
    "product": "Something I produced (a work product)",
    "questioning": "Answers to an assessor's questions",
    "professional-discussion": "Professional discussion",
    "reflective-account": "Reflective account",
    "witness-testimony": "Witness testimony",
    "recognition-of-prior-learning": "Recognition of prior learning",
}


def text_of(language_map: Any) -> str:
    """The English (or only) text of an xAPI language map."""
    if not isinstance(language_map, dict) or not language_map:
        return ""
    for tag in ("en-GB", "en", "en-US", "und"):
        if isinstance(language_map.get(tag), str):
            return language_map[tag]
    first = next(iter(language_map.values()))
    return first if isinstance(first, str) else ""


@dataclass
class TimelineItem:
    id: str
    when: date
    what: str
    doing: str  # the verb, in words: "completed", "attended"
    source: str
    own_entry: bool
    mode: str | None
    description: str = ""
    learned: str = ""
    impact: str = ""
    peer: str = ""
    peer_reflection: str = ""
    evidence_type: str = ""
    reflections: list[TimelineItem] = field(default_factory=list)
    #: For the learner's own entry that reflects on another item: that item's id, and its words once looked up.
    reflects_on: str | None = None
    about: str = ""

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode or "", "Not sorted yet")


def _verb_words(verb: dict[str, Any]) -> str:
    shown = text_of(verb.get("display"))
    if shown:
        return shown
    return verb.get("id", "").rstrip("/").rsplit("/", 1)[-1].replace("-", " ")


def _source(statement: dict[str, Any], own_entry: bool) -> str:
    """Where an item came from, in words: the learner, or the tool (its platform, else its credential's name)."""
    if own_entry:
        return "You recorded this"
    platform = (statement.get("context") or {}).get("platform")
    if isinstance(platform, str) and platform.strip():
        return platform
    authority = statement.get("authority") or {}
    name = authority.get("name")
    if not name and authority.get("objectType") == "Group":
        name = next((m.get("name") for m in authority.get("member") or [] if m.get("name")), None)
    return name or "A learning tool"


def _peer_name(peer: Any) -> str:
    if not isinstance(peer, dict):
        return ""
    return peer.get("name") or (peer.get("mbox") or "").removeprefix("mailto:") or "a peer"


def timeline_item(statement: dict[str, Any], mode: str | None, journal_verb: str) -> TimelineItem:
    obj = statement.get("object") or {}
    definition = obj.get("definition") or {}
    result = statement.get("result") or {}
    context_ext = (statement.get("context") or {}).get("extensions") or {}
    own_entry = (statement.get("verb") or {}).get("id") == journal_verb
    stamp = statement.get("timestamp") or statement.get("stored") or "1970-01-01"
    return TimelineItem(
        id=statement["id"],
        when=date.fromisoformat(stamp[:10]),
        what=text_of(definition.get("name")) or obj.get("id", "") or "An activity",
        doing=_verb_words(statement.get("verb") or {}),
        source=_source(statement, own_entry),
        own_entry=own_entry,
        mode=mode,
        description=text_of(definition.get("description")),
        learned=result.get("response") or "" if own_entry else (result.get("extensions") or {}).get(v.EXT_REFLECTION, ""),
        impact=(result.get("extensions") or {}).get(v.EXT_IMPACT, "") or "",
        peer=_peer_name(context_ext.get(v.EXT_PEER)),
        peer_reflection=context_ext.get(v.EXT_PEER_REFLECTION, "") or "",
        evidence_type=EVIDENCE_LABELS.get(context_ext.get(v.EXT_EVIDENCE_TYPE) or "", ""),
        reflects_on=((statement.get("context") or {}).get("statement") or {}).get("id") if own_entry else None,
    )


@dataclass
class TimelineFilters:
    mode: str | None = None
    month: str | None = None  # "2026-03"
    kind: str | None = None  # "journal" | "tools"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> tuple[TimelineFilters, dict[str, str]]:
        """The filters from a GET form, and a message per field that was not understood (the rest still apply)."""
        errors: dict[str, str] = {}
        mode = args.get("mode") or None
        if mode and mode not in MODE_LABELS and mode != "unclassified":
            errors["mode"] = "Choose a kind of learning from the list."
            mode = None
        month = (args.get("month") or "").strip() or None
        if month:
            try:
                date.fromisoformat(f"{month}-01")
            except ValueError:
                errors["month"] = "Choose a month from the list."
                month = None
        kind = args.get("kind") or None
        if kind and kind not in KIND_LABELS:
            errors["kind"] = "Choose where the learning came from from the list."
            kind = None
        try:
            page = max(1, min(int(args.get("page", 1)), 10_000))
        except ValueError:
            page = 1
        return cls(mode, month, kind, page), errors

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        if not self.month:
            return None, None
        first = date.fromisoformat(f"{self.month}-01")
        after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        return datetime.combine(first, time.min, UTC), datetime.combine(after, time.min, UTC)

    def query(self, **change: Any) -> dict[str, Any]:
        """The query string of these filters (with ``change``), for page links."""
        values = {"mode": self.mode, "month": self.month, "kind": self.kind, "page": self.page, **change}
        return {k: val for k, val in values.items() if val not in (None, "", 1)}


def recent_months(today: date, count: int = 24) -> list[tuple[str, str]]:
    """The last ``count`` months, newest first, as (value, words): ("2026-03", "March 2026")."""
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        found.append((f"{year:04d}-{month:02d}", date(year, month, 1).strftime("%B %Y")))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def timeline(lrs: Any, agent_key: str, filters: TimelineFilters, *, size: int = PAGE_SIZE) -> tuple[list[TimelineItem], bool]:
    """One page of the learner's timeline (newest first) and whether there is a next page. At most three
    queries: the page, the learner's own reflections on the events in it, and the events its reflections are on."""
    since, until = filters.bounds()
    journal = {"journal": True, "tools": False}.get(filters.kind or "")
    with lrs.db.read() as conn:
        rows = records.learner_timeline(
            conn,
            agent_key,
            journal_verb=v.JOURNAL_VERB,
            mode=filters.mode,
            since=since,
            until=until,
            journal=journal,
            offset=(filters.page - 1) * size,
            limit=size + 1,
        )
        items = [timeline_item(s, mode, v.JOURNAL_VERB) for s, mode in rows[:size]]
        events = {s["id"]: s for s, _ in rows[:size] if s["verb"]["id"] != v.JOURNAL_VERB}
        iris = sorted({(s.get("object") or {}).get("id") for s in events.values()} - {None})
        about = records.journal_entries_about(conn, agent_key, iris, journal_verb=v.JOURNAL_VERB)
        targets = sorted({item.reflects_on for item in items if item.reflects_on})
        reflected = records.statements_with_agents(conn, targets) if targets else {}
    for item in items:
        if item.reflects_on in reflected:
            target = timeline_item(reflected[item.reflects_on][0], None, v.JOURNAL_VERB)
            item.about = f"{target.doing.capitalize()}: {target.what} ({target.source}, {target.when.day} {target.when.strftime('%B %Y')})"
    by_id = {item.id: item for item in items}
    for entry in about:
        target = ((entry.get("context") or {}).get("statement") or {}).get("id")
        if target in by_id and target in events:
            by_id[target].reflections.append(timeline_item(entry, None, v.JOURNAL_VERB))
    return items, len(rows) > size


def recent(lrs: Any, agent_key: str) -> list[TimelineItem]:
    return timeline(lrs, agent_key, TimelineFilters(), size=RECENT)[0]


# --- the CPD log, through the exporter interface (the pages never import the plugin) ------------------------

CPD_EXPORTER = "cpd-log"
PORTFOLIO_EXPORTER = "ilm-portfolio"
FORMAT_LABELS = {
    "pdf": "PDF (to print or upload)",
    "html": "Web page (HTML)",
    "csv": "Spreadsheet (CSV)",
    "md": "Plain text (Markdown)",
    "json": "Data for other systems (JSON)",
    "zip": "ZIP file",
}


@dataclass
class CPDStatus:
    year: int
    year_label: str
    period_start: date
    period_end: date
    ready: bool
    missing: list[str]
    warnings: list[str]
    pieces: list[dict[str, Any]]
    formats: list[str]

    @property
    def complete(self) -> int:
        return sum(1 for p in self.pieces if p.get("complete"))


def cpd_year(today: date) -> int:
    """The CPD year in progress, named by the year it ends in (1 December starts the next one)."""
    return today.year + 1 if today.month == 12 else today.year


def cpd_status(lrs: Any, agent_key: str, year: int) -> CPDStatus | None:
    """The CPD log's readiness for one registration year, from the ``lrs_readiness`` hook (the CPD plugin
    answers from the year's statements, without building or rendering the log); None when no CPD exporter is
    installed or it tells no readiness."""
    exporter = exporting.available_exporters(lrs).get(CPD_EXPORTER)
    if exporter is None:
        return None
    found = next((r for r in exporting.year_readiness(lrs, [agent_key], year)[agent_key] if r.exporter == CPD_EXPORTER), None)
    if found is None:
        return None
    return CPDStatus(
        year=year,
        year_label=found.year_label,
        period_start=found.period_start,
        period_end=found.period_end,
        ready=found.ready,
        missing=list(found.missing),
        warnings=list(found.warnings),
        pieces=[dict(p) for p in found.pieces],
        formats=list(exporter.formats),
    )


def cpd_readiness_words(lrs: Any, agent_keys: list[str], year: int) -> dict[str, str]:
    """Each learner's CPD readiness for ``year`` in a few words, for a cohort's table ("Ready", "Not ready: 1 of 2
    complete pieces"): one ``lrs_readiness`` call for them all. Empty when no CPD plugin answers."""
    words: dict[str, str] = {}
    for key, answers in exporting.year_readiness(lrs, agent_keys, year, pieces=False).items():
        found = next((r for r in answers if r.exporter == CPD_EXPORTER), None)
        if found is None:
            continue
        piece = "piece" if found.required == 1 else "pieces"
        words[key] = "Ready" if found.ready else f"Not ready: {found.counted} of {found.required} complete {piece}"
    return words


# --- qualification progress ---------------------------------------------------------------------------------

STATUS_WORDS = {
    "accepted": "Met: accepted by your assessor",
    "awaiting-decision": "Waiting for your assessor",
    "referred": "Not yet met: your assessor asked for more",
    "without-evidence": "No evidence yet",
}
OUTCOME_WORDS = {"accepted": "accepted", "referred": "referred", "confirmed": "confirmed", "overturned": "overturned"}


def qualifications(lrs: Any, agent_key: str) -> list[dict[str, Any]]:
    """Progress in each qualification (a framework with assessment criteria) the learner has evidence for;
    every qualification when they have evidence for none (so the page still shows what lies ahead)."""
    from lrs.competency.evidence import registry
    from lrs.review import service as review

    found = review.progress_in(lrs, agent_key, review.assessed_frameworks(registry(lrs)))
    started = [q for q in found if q["counts"]["without-evidence"] < sum(q["counts"].values())]
    return started or found


def unit_anchor(framework_slug: str, unit_uri: str) -> str:
    """The id of a unit's part of the progress page (its submission form's fields are named after it)."""
    tail = unit_uri.rstrip("/").rsplit("/", 1)[-1]
    return "unit-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{framework_slug}-{tail}")
