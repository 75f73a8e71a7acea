"""What a participant's home page shows: this registration year's 70/20/10 balance and its month-by-month trend.

The figures come from the same summary the learning API serves (lrs.learning.summary); this module only shapes
them for the template, including the geometry of the trend chart (an SVG drawn with attributes, so the
Content-Security-Policy needs no inline style).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lrs.learning import summary

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
    query = summary.parse_query(start.isoformat(), end.isoformat(), "month", None, None)
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
