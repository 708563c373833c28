"""An action plan's timeline, drawn on the server as SVG: a row per action from its start to its
due date, the part done filled in, milestones as diamonds, a line for today and the months along
the top. Every text is escaped by `format_html`, so nothing typed becomes markup. The table on
the same page holds the same facts for a reader who cannot see the drawing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

LABEL = 280  # the column of action names
WIDTH = 1000
ROW = 30
TOP = 34
COLOURS = {"done": "#2e7d32", "delayed": "#b3261e", "in_progress": "#1f5fa8"}


def _n(value: float) -> str:
    """A coordinate, to a tenth (format_html escapes its arguments, so numbers come as text)."""
    return f"{value:.1f}"


def _span(actions: Sequence, today: dt.date) -> tuple[dt.date, dt.date]:
    days = [d for a in actions for d in (a.start_date, a.due_date) if d] + [today]
    first, last = min(days), max(days)
    first = first.replace(day=1)
    last = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first, last


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, day = [], first
    while day < last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def draw(actions: Sequence, today: dt.date) -> SafeString:
    """The timeline of these actions (an action with no dates is listed, with no bar)."""
    first, last = _span(actions, today)
    total = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return LABEL + (WIDTH - LABEL - 10) * (day - first).days / total

    height = TOP + ROW * len(actions) + 10
    ticks = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" class="grid"/>'
        '<text x="{3}" y="20" class="month">{4}</text>',
        (
            (
                _n(x(m)),
                TOP - 6,
                height - 6,
                _n(x(m) + 3),
                m.strftime("%b %Y" if m.month == 1 else "%b"),
            )
            for m in _months(first, last)
        ),
    )
    rows = []
    for i, a in enumerate(actions):
        y = TOP + i * ROW
        name = a.name if len(a.name) <= 40 else a.name[:39] + "…"
        done = a.status == "done"
        percent = 100 if done else (a.percent_complete or 0)
        colour = COLOURS.get(a.status, "#5f6b7a")
        label = format_html(
            '<text x="4" y="{}" class="name"><title>{}</title>{}</text>', y + 19, a.name, name
        )
        if a.milestone and a.due_date:
            cx = x(a.due_date)
            shape = format_html(
                '<polygon points="{},{} {},{} {},{} {},{}" fill="{}">'
                "<title>{}: milestone due {}</title></polygon>",
                _n(cx),
                y + 6,
                _n(cx + 9),
                y + 15,
                _n(cx),
                y + 24,
                _n(cx - 9),
                y + 15,
                colour,
                a.name,
                a.due_date.strftime("%-d %b %Y"),
            )
        elif a.due_date:
            start = a.start_date or min(a.due_date, today)
            left, right = x(start), max(x(a.due_date), x(start) + 4)
            shape = format_html(
                '<rect x="{}" y="{}" width="{}" height="16" rx="3" class="bar"/>'
                '<rect x="{}" y="{}" width="{}" height="16" rx="3" fill="{}">'
                "<title>{}: {} to {}, {}% done</title></rect>",
                _n(left),
                y + 7,
                _n(right - left),
                _n(left),
                y + 7,
                _n((right - left) * percent / 100),
                colour,
                a.name,
                start.strftime("%-d %b %Y"),
                a.due_date.strftime("%-d %b %Y"),
                percent,
            )
        else:
            shape = format_html('<text x="{}" y="{}" class="muted">no dates</text>', LABEL, y + 19)
        rows.append(label + shape)
    now = x(today)
    return format_html(
        '<svg class="timeline" viewBox="0 0 {} {}" role="img" aria-labelledby="timeline-title">'
        '<title id="timeline-title">Timeline of {} actions, {} to {}; today {}</title>'
        "{}{}"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="today"/>'
        '<text x="{}" y="{}" class="today-label">Today</text></svg>',
        WIDTH,
        height,
        len(actions),
        first.strftime("%B %Y"),
        (last - dt.timedelta(days=1)).strftime("%B %Y"),
        today.strftime("%-d %B %Y"),
        ticks,
        format_html_join("", "{}", ((r,) for r in rows)),
        _n(now),
        TOP - 8,
        _n(now),
        height - 4,
        _n(now + 3),
        TOP - 10,
    )
