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
from django.utils.safestring import mark_safe

from districtpm.analytics.schema import GROUP_DIMENSIONS, period_order
from districtpm.core import plaintext
from districtpm.meetings.models import Meeting
from districtpm.meetings.sections import Section, sections_for
from districtpm.metrics import charts
from districtpm.metrics.models import Metric, MetricValue
from districtpm.plans import scorecard
from districtpm.plans.models import Goal
from districtpm.plans.status import trajectory

MAX_CHARTS = 12
EXPORT_WIDTH = 720


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
        return spec


@dataclass
class Pack:
    meeting: Meeting
    board: bool
    goals: list[scorecard.Row] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    left_out: int = 0  # charts beyond the limit
    sections: list[Section] = field(default_factory=list)  # what higher apps add (sections.py)


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
    return pack


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


def _span(shape: Any, slide_width: int, margin: int) -> None:
    """Stretch a placeholder across the wide slide: the default template's layouts are 10
    inches wide, so a long title wrapped in them runs over the line below it."""
    top, height = shape.top, shape.height  # read while still inherited from the layout
    shape.left, shape.top, shape.width, shape.height = margin, top, slide_width - 2 * margin, height


def _add_title_slide(deck: Any, pack: Pack, margin: int) -> None:
    title, sub = _title_lines(pack)
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = text(title)
    slide.placeholders[1].text = text(sub)
    for shape in slide.placeholders:
        _span(shape, deck.slide_width, margin)


def _add_agenda_slide(deck: Any, agenda: list[str], margin: int) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Agenda"
    for shape in slide.placeholders:
        _span(shape, deck.slide_width, margin)
    body = slide.placeholders[1].text_frame
    body.text = text(agenda[0]) if agenda else "Review of the data pack"
    for item in agenda[1:]:
        body.add_paragraph().text = text(item)


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


def _add_goals_slide(deck: Any, goals: list[scorecard.Row]) -> None:
    from pptx.util import Inches, Pt

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Goals: where they stand"
    rows = len(goals) + 1
    table = slide.shapes.add_table(
        rows, 5, Inches(0.5), Inches(1.6), Inches(12.3), Inches(0.4 * rows)
    ).table
    for i, head in enumerate(["Goal", "Result", "Target", "Status", "Forecast"]):
        table.cell(0, i).text = head
    for r, row in enumerate(goals, start=1):
        for c, value in enumerate(_goal_cells(row)):
            table.cell(r, c).text = text(value)
            table.cell(r, c).text_frame.paragraphs[0].font.size = Pt(12)


def _add_chart_title(slide: Any, chart: Chart, slide_width: int, margin: int) -> None:
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    title = slide.shapes.title
    title.text = text(chart.title)
    _span(title, slide_width, margin)
    # a goal statement can be long: a smaller size, and shrink to fit beyond that
    title.text_frame.paragraphs[0].font.size = Pt(28)
    title.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE


def _add_chart_picture(slide: Any, chart: Chart, number: int, png: bytes) -> None:
    from pptx.util import Inches

    picture = slide.shapes.add_picture(io.BytesIO(png), Inches(0.4), Inches(1.4), width=Inches(8.4))
    picture.name = f"Chart {number}"
    picture._element.nvPicPr.cNvPr.set("descr", text(f"Chart: {chart.title}"))


def _add_chart_table(slide: Any, chart: Chart) -> None:
    """The table of the numbers the chart draws, with their n, beside it."""
    from pptx.util import Inches, Pt

    shown = chart.table[:14]
    table = slide.shapes.add_table(
        len(shown) + 1, 3, Inches(9.0), Inches(1.4), Inches(4.0), Inches(0.3 * (len(shown) + 1))
    ).table
    for i, head in enumerate(["", "Value", "n"]):
        table.cell(0, i).text = head
    for r, (label, period, value, n) in enumerate(shown, start=1):
        table.cell(r, 0).text = text(f"{label} {period}".strip() if label != period else period)
        table.cell(r, 1).text = text(_fmt(chart, value))
        table.cell(r, 2).text = "" if n is None else f"{n:,}"
        for c in range(3):
            table.cell(r, c).text_frame.paragraphs[0].font.size = Pt(10)


def _add_chart_slide(deck: Any, chart: Chart, number: int, margin: int, png: bytes) -> None:
    from pptx.util import Inches

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    _add_chart_title(slide, chart, deck.slide_width, margin)
    _add_chart_picture(slide, chart, number, png)
    _add_chart_table(slide, chart)
    if chart.note:
        box = slide.shapes.add_textbox(Inches(0.4), Inches(6.8), Inches(12), Inches(0.4))
        box.text_frame.text = text(chart.note)


def to_pptx(pack: Pack) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    margin = Inches(0.6)
    _add_title_slide(deck, pack, margin)
    _add_agenda_slide(deck, pack.meeting.agenda, margin)
    if pack.goals:
        _add_goals_slide(deck, pack.goals)
    pictures = chart_pngs(pack.charts)
    for number, (chart, png) in enumerate(zip(pack.charts, pictures, strict=True), start=1):
        _add_chart_slide(deck, chart, number, margin, png)
    for section in pack.sections:
        _add_section_slide(deck, section, margin)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _add_section_slide(deck: Any, section: Section, margin: int) -> None:
    """A section's picture across the whole slide (its description as alt text), then its
    lines on a slide of their own, so that the picture is as large as the slide allows."""
    from pptx.util import Inches, Pt

    pictures = section.pngs()
    for number, png in enumerate(pictures or [None], start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        title = slide.shapes.title
        part = f" (part {number} of {len(pictures)})" if len(pictures) > 1 else ""
        title.text = text(section.title + part)
        _span(title, deck.slide_width, margin)
        title.text_frame.paragraphs[0].font.size = Pt(26)
        if png is None:
            continue
        width = deck.slide_width - 2 * Inches(0.3)
        picture = slide.shapes.add_picture(io.BytesIO(png), Inches(0.3), Inches(1.3), width=width)
        room = deck.slide_height - Inches(1.45)
        if picture.height > room:  # a tall map: fit the slide, keep its proportions
            ratio = room / picture.height
            picture.height, picture.width = room, int(picture.width * ratio)
            picture.left = int((deck.slide_width - picture.width) / 2)
        picture.name = text(section.title + part)[:60]
        picture._element.nvPicPr.cNvPr.set("descr", text(section.description + part))
    listing = deck.slides.add_slide(deck.slide_layouts[5])
    heading = listing.shapes.title
    heading.text = text(f"{section.title}: what it shows")
    _span(heading, deck.slide_width, margin)
    heading.text_frame.paragraphs[0].font.size = Pt(26)
    box = listing.shapes.add_textbox(
        margin, Inches(1.5), deck.slide_width - 2 * margin, Inches(5.5)
    )
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(section.lines or ["Nothing to list."]):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = text(line)
        paragraph.font.size = Pt(16)


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
