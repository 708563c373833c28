"""The data pack of a meeting: its priority's goals with status and forecast, and at most
twelve charts of the goals' measures and their leading measures, assembled from stored metric
values. Exported as PowerPoint (title, agenda, then one chart per slide) and as PDF.

The board version holds district aggregates only. Every number in a pack comes from a stored
metric value that was not suppressed, so nothing below the minimum n can appear; each chart
slide carries the table of the numbers it draws, with their n.

Free text (priority, goal, agenda, network and group names) reaches the exports only through
`text` (PowerPoint and tables) and `markup` (reportlab paragraphs), so it is always shown as
typed: never parsed as reportlab's paragraph markup, never an image, link or font change, and
never a control character that makes a file PowerPoint or LibreOffice refuse. The only images
are the charts drawn here; the only links are none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Q
from django.utils.safestring import mark_safe

from districtpm.actionplans.models import ActionTeam, StatusUpdate
from districtpm.analytics.schema import GROUP_DIMENSIONS, period_order
from districtpm.core import plaintext
from districtpm.core.scoping import access_for
from districtpm.meetings.models import Meeting, MeetingItem
from districtpm.meetings.sections import Section, sections_for
from districtpm.metrics import charts
from districtpm.metrics.models import Metric, MetricValue
from districtpm.plans import scorecard
from districtpm.plans.models import Goal
from districtpm.plans.status import trajectory

MAX_CHARTS = 12
EXPORT_WIDTH = 720
EXPORT_HEIGHT = 380


def _clean_strings(value: Any) -> Any:
    """The value with every string in it, at any depth, cleaned of refused characters."""
    if isinstance(value, str):
        return plaintext.clean(value)
    if isinstance(value, dict):
        return {_clean_strings(k): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_strings(v) for v in value]
    return value


@dataclass
class Chart:
    title: str
    metric: Metric
    spec: dict[str, Any]
    # (label, period, value, n) for each point drawn
    table: list[tuple[str, str, float, int | None]]
    note: str = ""

    @property
    def spec_json(self) -> str:
        """The spec as JSON that is safe inside a script element."""
        escapes = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
        return mark_safe(json.dumps(self.spec).translate(escapes))  # noqa: S308

    def export_spec(self) -> dict[str, Any]:
        # vl-convert aborts the whole process (a Rust panic) on a C0 control character in any
        # title or label, so every string of the spec is cleaned before it is drawn.
        spec = _clean_strings(self.spec)
        spec["width"] = EXPORT_WIDTH
        if spec.get("height") == {"step": 18}:
            spec["height"] = {"step": 22}
        elif isinstance(spec.get("height"), int | float):
            spec["height"] = max(spec["height"], EXPORT_HEIGHT)
        # read from across a room: larger text than on a page
        config = spec.setdefault("config", {})
        config["axis"] = {**config.get("axis", {}), "labelFontSize": 13, "titleFontSize": 13}
        config["legend"] = {**config.get("legend", {}), "labelFontSize": 13, "titleFontSize": 13}
        config["title"] = {**config.get("title", {}), "fontSize": 16}
        return spec


@dataclass
class Pack:
    meeting: Meeting
    board: bool
    goals: list[scorecard.Row] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    left_out: int = 0  # charts beyond the limit
    sections: list[Section] = field(default_factory=list)  # what higher apps add (sections.py)
    # outside the board version: the month's status update of each team the viewer may see
    # (None where it is missing), and the commitments still open (None: not in this pack)
    updates: list[tuple[Any, Any]] = field(default_factory=list)
    # each goal's latest approved commentary up to the meeting's month ("the story behind the
    # number"), in every version of the pack, the Board's included
    stories: list[tuple[Goal, Any]] = field(default_factory=list)
    commitments: list[MeetingItem] | None = None


def _district_values(user: Any, metric_ids: set[str]) -> list[MetricValue]:
    return list(
        MetricValue.objects.visible_to(user)
        .filter(metric_id__in=metric_ids, level="district", grade="", suppressed=False)
        .exclude(value=None)
    )


def _network_values(
    user: Any, metric_ids: set[str], period_by_metric: dict[str, str]
) -> list[MetricValue]:
    rows = (
        MetricValue.objects.visible_to(user)
        .filter(
            metric_id__in=metric_ids,
            level="network",
            grade="",
            group_dim="all",
            suppressed=False,
            period__in=set(period_by_metric.values()),
        )
        .exclude(value=None)
    )
    return [r for r in rows if period_by_metric.get(r.metric_id) == r.period]


def _goal_chart(goal: Goal, values: list[MetricValue]) -> Chart:
    mine = sorted(
        (
            v
            for v in values
            if v.metric_id == goal.metric_id
            and (v.group_dim, v.group_value) == (goal.group_dim, goal.group_value)
        ),
        key=lambda v: period_order(v.period),
    )
    targets = goal.targets_by_year
    periods = sorted({v.period for v in mine} | set(targets), key=period_order)
    rows = [{"period": v.period, "label": "Result", "value": v.value, "n": v.n} for v in mine]
    rows += [
        {
            "period": p,
            "label": "Target trajectory",
            "value": trajectory(goal.baseline_year, goal.baseline_value, targets, p),
            "n": None,
        }
        for p in periods
    ]
    table = [(r["label"], r["period"], r["value"], r["n"]) for r in rows if r["value"] is not None]
    return Chart(
        goal.statement, goal.metric, charts.trend_spec(goal.metric, rows, goal.statement), table
    )


def _gap_chart(goal: Goal, values: list[MetricValue]) -> Chart | None:
    mine = [v for v in values if v.metric_id == goal.metric_id and v.group_dim in GROUP_DIMENSIONS]
    if not mine:
        return None
    latest = max((v.period for v in mine), key=period_order)
    rows = [
        {"label": f"{GROUP_DIMENSIONS[v.group_dim]}: {v.group_value}", "value": v.value, "n": v.n}
        for v in sorted(mine, key=lambda v: (v.group_dim, v.group_value))
        if v.period == latest
    ]
    title = f"{goal.metric.name} by student group, {latest}"
    table = [(r["label"], latest, r["value"], r["n"]) for r in rows]
    return Chart(
        title,
        goal.metric,
        charts.comparison_spec(goal.metric, rows, title),
        table,
        note=f"Groups of fewer than {settings.DISTRICTPM_MIN_N} students are left out.",
    )


def _network_chart(goal: Goal, values: list[MetricValue], period: str) -> Chart | None:
    from districtpm.org.models import Network

    names = dict(Network.objects.values_list("code", "name"))
    rows = [
        {"label": names.get(v.entity_code, v.entity_code), "value": v.value, "n": v.n}
        for v in values
        if v.metric_id == goal.metric_id
    ]
    if not rows:
        return None
    title = f"{goal.metric.name} by network, {period}"
    table = [(r["label"], period, r["value"], r["n"]) for r in rows]
    return Chart(title, goal.metric, charts.comparison_spec(goal.metric, rows, title), table)


def _leading_chart(metric: Metric, values: list[MetricValue]) -> Chart | None:
    mine = sorted(
        (v for v in values if v.metric_id == metric.id and v.group_dim == "all"),
        key=lambda v: period_order(v.period),
    )
    if not mine:
        return None
    rows = [{"period": v.period, "label": "All students", "value": v.value, "n": v.n} for v in mine]
    title = f"Leading measure: {metric.name}"
    table = [("All students", v.period, v.value, v.n) for v in mine]
    return Chart(title, metric, charts.trend_spec(metric, rows, title), table)


def assemble(meeting: Meeting, *, user: Any, board: bool = False) -> Pack:
    """The pack for the meeting's priority. Goals come first: result against target, then gaps
    by group (and, outside the board version, by network); then the leading measures."""
    from districtpm.plans.models import Plan

    pack = Pack(meeting, board)
    plan = Plan.objects.filter(priorities=meeting.priority).first()
    goals = list(
        Goal.objects.filter(priority=meeting.priority, level="district")
        .select_related("metric")
        .prefetch_related("targets", "leading_metrics")
    )
    leading: dict[str, Metric] = {}
    for goal in goals:
        for m in goal.leading_metrics.all():
            leading.setdefault(m.id, m)
    for initiative in meeting.priority.initiatives.prefetch_related("leading_metrics"):
        for m in initiative.leading_metrics.all():
            leading.setdefault(m.id, m)
    ids = {g.metric_id for g in goals} | set(leading)
    values = _district_values(user, ids)
    if plan is not None:
        card = scorecard.district(user, plan)
        pack.goals = [r for r in card.rows if r.goal.priority_id == meeting.priority_id]
    latest = {
        g.metric_id: max(
            (v.period for v in values if v.metric_id == g.metric_id), key=period_order, default=""
        )
        for g in goals
    }
    networks = [] if board else _network_values(user, {g.metric_id for g in goals}, latest)
    candidates: list[Chart | None] = []
    for goal in goals:
        candidates.append(_goal_chart(goal, values))
        candidates.append(_gap_chart(goal, values))
        if not board:
            candidates.append(_network_chart(goal, networks, latest[goal.metric_id]))
    for metric in leading.values():
        if metric.id not in {g.metric_id for g in goals}:
            candidates.append(_leading_chart(metric, values))
    found = [c for c in candidates if c is not None]
    pack.charts = found[:MAX_CHARTS]
    pack.left_out = len(found) - len(pack.charts)
    pack.sections = sections_for(meeting, user, board=board)
    pack.stories = scorecard.stories(user, goals, until=meeting.focus_month)
    if not board:
        pack.updates = month_updates(meeting, user)
        pack.commitments = carried(meeting, user)[2]
    return pack


def carried(meeting: Meeting, user: Any) -> tuple[Meeting | None, list[MeetingItem], list]:
    """The previous meeting of the cycle, its decisions, and every commitment still open, from
    the meetings this user may see."""
    visible = Meeting.objects.visible_to(user)
    previous = (
        visible.filter(cycle=meeting.cycle)
        .filter(Q(date__lt=meeting.date) | Q(date=meeting.date, start_time__lt=meeting.start_time))
        .order_by("-date", "-start_time")
        .select_related("rule", "priority")
        .first()
    )
    decisions = (
        list(previous.items.filter(kind=MeetingItem.Kind.DECISION).select_related("created_by"))
        if previous
        else []
    )
    open_commitments = list(
        MeetingItem.objects.filter(
            meeting__in=visible.filter(cycle=meeting.cycle),
            kind=MeetingItem.Kind.COMMITMENT,
            meeting__date__lt=meeting.date,
        )
        .filter(Q(closed_at=None) | Q(closed_in=meeting))
        .select_related("owner", "meeting__rule", "meeting__priority")
        .order_by("due_date", "pk")
    )
    return previous, decisions, open_commitments


def month_updates(meeting: Meeting, user: Any) -> list[tuple[Any, Any]]:
    """Each action team the user may see, with its status update for the meeting's month
    (None where there is none yet); nothing for a user who may not read action plans."""
    if not access_for(user).can("actionplans.view"):
        return []
    teams = ActionTeam.objects.visible_to(user).select_related("priority", "lead")
    by_team = {
        u.team_id: u for u in StatusUpdate.objects.filter(month=meeting.focus_month, team__in=teams)
    }
    return [(t, by_team.get(t.pk)) for t in teams]


# ------------------------------------------------------------------------------ exports


def text(value: Any) -> str:
    """Free text fit for a PowerPoint part, a table cell or PDF metadata."""
    return plaintext.clean(value)


def markup(value: Any) -> str:
    """Free text as reportlab paragraph markup that shows it literally, line breaks kept.

    reportlab parses a Paragraph's text as its own markup (<img src>, <link href>, <font>...);
    escaping &, < and > is what its documentation asks for text that is not markup."""
    return escape(text(value)).replace("\n", "<br/>")


def chart_pngs(charts: list[Chart]) -> list[bytes]:
    """Every chart's picture, in order, each kept by the digest of its spec so that the same
    chart is drawn once, whichever export or worker process asks next. (Drawing takes about
    0.1 s a chart, nearly all of it in vl-convert's one JavaScript runtime, which threads do
    not share: measured, two threads draw no faster than one.)

    The spec holds the chart's data, titles and labels, so equal digests mean equal pictures;
    a picture is found only by someone who already has its spec. The kept pictures live
    beside the database, at most CHART_CACHE_FILES of them, the oldest given up first."""
    pictures = []
    for chart in charts:
        spec = chart.export_spec()
        key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
        png = _kept_picture(key)
        if png is None:
            png = _draw(spec)
            _keep_picture(key, png)
        pictures.append(png)
    return pictures


CHART_CACHE_FILES = 500


def _draw(spec: dict[str, Any]) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=2)


def _chart_cache() -> Path:
    return Path(getattr(settings, "CHART_CACHE_DIR", Path(settings.VAR_DIR) / "charts"))


def _kept_picture(key: str) -> bytes | None:
    try:
        return (_chart_cache() / f"{key}.png").read_bytes()
    except OSError:
        return None


def _keep_picture(key: str, png: bytes) -> None:
    """Write atomically (another worker may read it at once); give up the oldest beyond the
    limit. A picture that cannot be kept is drawn again next time, nothing worse."""
    folder = _chart_cache()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as handle:
            handle.write(png)
        os.replace(handle.name, folder / f"{key}.png")
        kept = sorted(folder.glob("*.png"), key=lambda f: f.stat().st_mtime)
        for old in kept[: max(0, len(kept) - CHART_CACHE_FILES)]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _fmt(chart: Chart, value: float) -> str:
    return chart.metric.format_value(value)


def _title_lines(pack: Pack) -> tuple[str, str]:
    m = pack.meeting
    title = m.title
    sub = f"{m.date:%A %-d %B %Y}" + (
        " · Board version: district aggregates only" if pack.board else ""
    )
    return title, sub


def _forecast_cell(row: scorecard.Row) -> str:
    forecast = row.forecast
    if not forecast:
        return "—"
    chance = f" ({forecast.probability:.0%} chance)" if forecast.probability is not None else ""
    return f"{row.metric.format_value(forecast.value)} in {forecast.school_year}{chance}"


def _goal_cells(row: scorecard.Row) -> list[str]:
    """Goal, result, target, status and forecast: one row of the goals table."""
    status = row.status
    return [
        row.goal.statement,
        row.metric.format_value(status.actual) if status else "—",
        row.metric.format_value(status.target) if status else "—",
        status.label if status else "No baseline",
        _forecast_cell(row),
    ]


def chart_table(chart: Chart) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the table of a chart's numbers. One period for every row names
    the period in the header; one series for every row names the series there."""
    labels = {label for label, _, _, _ in chart.table}
    periods = {period for _, period, _, _ in chart.table}
    if len(periods) == 1:
        first, name = next(iter(periods)), lambda label, period: label
    elif len(labels) == 1:
        first, name = next(iter(labels)), lambda label, period: period
    else:
        first, name = "", lambda label, period: f"{label}, {period}"
    rows = [
        [name(label, period), _fmt(chart, value), "" if n is None else f"{n:,}"]
        for label, period, value, n in chart.table
    ]
    return [first, "Value", "n"], rows


def _commitment_cells(item: MeetingItem, on: dt.date) -> list[str]:
    owner = item.owner.get_full_name() or item.owner.username if item.owner else "—"
    due = f"{item.due_date:%-d %b %Y}" if item.due_date else "—"
    late = item.closed_at is None and item.due_date is not None and item.due_date < on
    return [item.text, owner, due + (" · overdue" if late else ""), item.meeting.title]


def _update_cells(team: Any, update: Any) -> list[str]:
    if update is None:
        return [team.name, "—", "—", "—", "No update yet"]
    return [
        team.name,
        update.get_timeline_display(),
        update.get_scope_display(),
        update.get_resources_display(),
        update.narrative,
    ]


def to_pptx(pack: Pack, template: Path | None = None) -> bytes:
    from districtpm.core.slides import Deck

    title, sub = _title_lines(pack)
    deck = Deck(template, title=plaintext.one_line(title))
    deck.title_slide(title, sub)
    deck.bullets("Agenda", pack.meeting.agenda or ["Review of the data pack"])
    if pack.goals:
        deck.table(
            "Goals: where they stand",
            ["Goal", "Result", "Target", "Status", "Forecast"],
            [_goal_cells(row) for row in pack.goals],
            [0.40, 0.11, 0.11, 0.14, 0.24],
        )
    if pack.stories:
        deck.table(
            "The story behind the numbers",
            ["Goal", "What happened", "Why", "What comes next"],
            [
                [g.statement, c.what_happened, c.why or "—", c.what_next or "—"]
                for g, c in pack.stories
            ],
            [0.22, 0.28, 0.25, 0.25],
            points=11,
        )
    if pack.updates:
        deck.table(
            f"Status updates for {pack.meeting.focus_month:%B %Y}",
            ["Team", "Timeline", "Scope", "Resources", "What the team says"],
            [_update_cells(team, update) for team, update in pack.updates],
            [0.18, 0.1, 0.1, 0.1, 0.52],
            points=11,
        )
    if pack.commitments is not None:
        deck.table(
            "Commitments still open",
            ["Commitment", "Owner", "Due", "Made at"],
            [_commitment_cells(item, pack.meeting.date) for item in pack.commitments],
            [0.46, 0.16, 0.16, 0.22],
            note="" if pack.commitments else "No commitment is open.",
            points=11,
        )
    pictures = chart_pngs(pack.charts)
    for number, (chart, png) in enumerate(zip(pack.charts, pictures, strict=True), start=1):
        header, rows = chart_table(chart)
        deck.chart(
            chart.title, png, f"Chart: {chart.title}", header, rows, chart.note, f"Chart {number}"
        )
    for section in pack.sections:
        _add_section_slides(deck, section)
    return deck.save()


def _add_section_slides(deck: Any, section: Section) -> None:
    """A section's pictures as large as the slide allows (its description as alt text), then
    its lines on slides of their own."""
    pictures = section.pngs()
    for number, png in enumerate(pictures, start=1):
        part = f" (part {number} of {len(pictures)})" if len(pictures) > 1 else ""
        deck.picture(section.title + part, png, section.description + part, section.title + part)
    deck.bullets(f"{section.title}: what it shows", section.lines, points=16)


def to_pdf(pack: Pack) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    title, sub = _title_lines(pack)
    doc = SimpleDocTemplate(
        out, pagesize=landscape(letter), title=plaintext.one_line(title), author="District PM"
    )

    def para(value: Any, style: str) -> Paragraph:
        # the one way a Paragraph is made here, so no text is ever read as markup
        return Paragraph(markup(value), styles[style])

    story: list = [para(title, "Title"), para(sub, "Normal"), Spacer(1, 12)]
    story.append(para("Agenda", "Heading2"))
    story += [para(f"• {item}", "Normal") for item in pack.meeting.agenda]
    if pack.goals:
        story.append(para("Goals: where they stand", "Heading2"))
        data = [["Goal", "Result", "Target", "Status"]] + [
            [
                para(r.goal.statement, "Normal"),
                text(r.metric.format_value(r.status.actual)) if r.status else "—",
                text(r.metric.format_value(r.status.target)) if r.status else "—",
                text(r.status.label) if r.status else "No baseline",
            ]
            for r in pack.goals
        ]
        story.append(
            Table(
                data,
                colWidths=[5 * inch, 1.2 * inch, 1.2 * inch, 1.5 * inch],
                style=[("GRID", (0, 0), (-1, -1), 0.5, colors.grey)],
            )
        )
    grid = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if pack.stories:
        story.append(para("The story behind the numbers", "Heading2"))
        head = ["Goal", "What happened", "Why", "What comes next"]
        cells = [
            [para(v, "Normal") for v in (g.statement, c.what_happened, c.why, c.what_next)]
            for g, c in pack.stories
        ]
        widths = [2.2 * inch, 2.6 * inch, 2.3 * inch, 2.3 * inch]
        story.append(Table([head, *cells], colWidths=widths, style=grid, repeatRows=1))
    if pack.updates:
        story.append(para(f"Status updates for {pack.meeting.focus_month:%B %Y}", "Heading2"))
        head = ["Team", "Timeline", "Scope", "Resources", "What the team says"]
        cells = [[para(c, "Normal") for c in _update_cells(t, u)] for t, u in pack.updates]
        widths = [1.8 * inch, 1.0 * inch, 1.0 * inch, 1.0 * inch, 4.6 * inch]
        story.append(Table([head, *cells], colWidths=widths, style=grid, repeatRows=1))
    if pack.commitments is not None:
        story.append(para("Commitments still open", "Heading2"))
        if pack.commitments:
            head = ["Commitment", "Owner", "Due", "Made at"]
            cells = [
                [para(c, "Normal") for c in _commitment_cells(item, pack.meeting.date)]
                for item in pack.commitments
            ]
            widths = [4.2 * inch, 1.6 * inch, 1.5 * inch, 2.1 * inch]
            story.append(Table([head, *cells], colWidths=widths, style=grid, repeatRows=1))
        else:
            story.append(para("No commitment is open.", "Normal"))
    for chart, png in zip(pack.charts, chart_pngs(pack.charts), strict=True):
        story += [PageBreak(), para(chart.title, "Heading2")]
        # the only image flowable: bytes the product drew, never a path or address from text
        image = Image(io.BytesIO(png))
        scale = min(6.2 * inch / image.drawWidth, 4.2 * inch / image.drawHeight)
        image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
        rows = [["", "Value", "n"]] + [
            [
                text(f"{label} {period}" if label != period else period),
                text(_fmt(chart, value)),
                "" if n is None else f"{n:,}",
            ]
            for label, period, value, n in chart.table[:16]
        ]
        story.append(
            Table(
                [[image, Table(rows, style=[("FONTSIZE", (0, 0), (-1, -1), 8)])]],
                colWidths=[6.4 * inch, 3 * inch],
            )
        )
        if chart.note:
            story.append(para(chart.note, "Italic"))
    for section in pack.sections:
        story += [PageBreak(), para(section.title, "Heading2")]
        for png in section.pngs():
            image = Image(io.BytesIO(png))
            scale = min(9.4 * inch / image.drawWidth, 4.6 * inch / image.drawHeight)
            image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
            story.append(image)
        story += [para(f"• {line}", "Normal") for line in section.lines]
    doc.build(story)
    return out.getvalue()
