"""A scorecard as a PowerPoint file: a title slide, the goals table, and the table of the
networks or schools under it (none in the board version, which has nothing to drill into).
Every number is one the scorecard page shows: suppressed results stay "n<10"."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from districtpm.core.slides import Deck
from districtpm.plans.scorecard import Row, Scorecard


def _result(row: Row) -> str:
    if row.suppressed:
        return f"n<{settings.DISTRICTPM_MIN_N}"
    return row.metric.format_value(row.status.actual) if row.status else "—"


def _status(row: Row) -> str:
    if row.status:
        return row.status.label
    return "Not measured here" if not row.trend else "No baseline"


def _forecast(row: Row) -> str:
    f = row.forecast
    if not f:
        return "—"
    chance = f" ({f.probability:.0%} chance)" if f.probability is not None else ""
    return f"{row.metric.format_value(f.value)} in {f.school_year}{chance}"


def goal_rows(card: Scorecard) -> list[list[str]]:
    return [
        [
            r.goal.statement,
            r.metric.format_value(r.baseline) + f" ({r.goal.baseline_year})"
            if r.baseline is not None
            else "—",
            _result(r),
            r.metric.format_value(r.status.target) if r.status else "—",
            _status(r),
            _forecast(r),
        ]
        for r in card.rows
    ]


def to_pptx(card: Scorecard, *, board: bool = False) -> bytes:
    name = card.entity.name
    title = f"{'Board view: ' if board else ''}{name} scorecard"
    deck = Deck(title=title)
    period = card.period or "the latest completed school year"
    deck.title_slide(
        title, f"{card.plan.name} · results for {period} · {timezone.localdate():%-d %B %Y}"
    )
    deck.table(
        "Goals and where they stand",
        ["Goal", "Baseline", "Result", "Target", "Status", "Forecast"],
        goal_rows(card),
        [0.36, 0.13, 0.1, 0.1, 0.13, 0.18],
        note=f"Groups of fewer than {settings.DISTRICTPM_MIN_N} students are not shown.",
    )
    rows = [r for r in card.rows if r.carried or card.entity.level == "district"]
    if card.children and rows and not board:
        level = "Networks" if card.entity.level == "district" else "Schools"
        cells = []
        for child in card.children:
            statuses = [r.children.get(child.code) for r in rows]
            cells.append([child.name, *[s.label if s else "No baseline" for s in statuses]])
        width = 0.7 / len(rows)
        deck.table(
            level,
            [level[:-1], *[r.metric.name for r in rows]],
            cells,
            [0.3, *[width] * len(rows)],
            points=11,
        )
    return deck.save()
