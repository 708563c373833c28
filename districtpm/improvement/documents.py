"""A school's plan as the state portal's workbook and as a PDF. Every text cell goes through
core.cells (never a formula) and every PDF paragraph through meetings.pack.markup (never markup).

The workbook follows the chain a state's improvement plan asks for, one sheet per link:
priority challenges (the problem statements) → root causes → strategies (initiatives) → action
steps → targets (the measures) → monitoring (the checkpoints)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.text import capfirst, slugify

from districtpm.core.cells import append_row
from districtpm.improvement.outline import Outline
from districtpm.meetings.pack import markup, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_stem(o: Outline) -> str:
    return slugify(f"{o.plan.school.name} improvement plan {o.plan.school_year}")[:80] or "plan"


def _date(value: Any) -> Any:
    return value or ""


def _problem(area: Any, withheld: set[int]) -> str:
    problem = area.area.problem
    if problem is None:
        return ""
    return "(figures withheld)" if problem.pk in withheld else problem.text


def sheets(o: Outline, withheld: set[int]) -> dict[str, list[list[Any]]]:
    """The workbook's sheets as rows, header first: what both the XLSX and its test read."""
    school = [o.plan.school.code, o.plan.school.name, o.plan.school_year.name]
    head = ["School code", "School", "School year"]
    out: dict[str, list[list[Any]]] = {
        "Priority challenges": [head + ["Area of focus", "Problem statement"]],
        "Root causes": [head + ["Area of focus", "Verified root cause", "Evidence"]],
        "Strategies": [head + ["Area of focus", "Strategy", "Description"]],
        "Action steps": [
            head
            + ["Strategy", "Action step", "Milestone", "Owner", "Start", "Due", "Resources"]
            + ["Status"]
        ],
        "Targets": [
            head + ["Strategy", "Measure type", "Measure", "Student group", "Current", "Target"]
        ],
        "Monitoring": [
            head + ["Checkpoint date", "Who reviews", "What is looked at", "Status", "Evidence"]
        ],
    }
    for a in o.areas:
        out["Priority challenges"].append(school + [a.area.name, _problem(a, withheld)])
        for cause in a.causes:
            out["Root causes"].append(school + [a.area.name, cause.hypothesis, cause.evidence])
        for i in a.initiatives:
            out["Strategies"].append(
                school + [a.area.name, i.initiative.name, i.initiative.description]
            )
            for s in i.steps:
                out["Action steps"].append(
                    school
                    + [
                        i.initiative.name,
                        s.name,
                        "Yes" if s.milestone else "",
                        s.owner.get_full_name() if s.owner else "",
                        _date(s.starts_on),
                        _date(s.due_date),
                        s.resources,
                        s.get_status_display(),
                    ]
                )
            for m in i.measures:
                out["Targets"].append(
                    school
                    + [
                        i.initiative.name,
                        m.measure.get_kind_display(),
                        m.measure.metric.name,
                        capfirst(m.group),
                        m.current,
                        m.target,
                    ]
                )
    for c in o.checkpoints:
        out["Monitoring"].append(
            school
            + [c.on, c.reviewers, c.looks_at, c.get_status_display() or "Not held yet", c.evidence]
        )
    return out


def plan_xlsx(o: Outline, withheld: set[int]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets(o, withheld).items():
        sheet = book.create_sheet(title)
        for row in rows:
            append_row(sheet, row)
        sheet.freeze_panes = "A2"
        for col, width in zip(
            "ABCDEFGHIJK", [12, 28, 11, 30, 44, 30, 14, 20, 12, 12, 24], strict=True
        ):
            sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plan_pdf(o: Outline, withheld: set[int]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    styles["Heading2"].keepWithNext = 1
    styles["Heading3"].keepWithNext = 1
    out = io.BytesIO()
    title = f"{o.plan.school.name}: improvement plan {o.plan.school_year}"
    doc = SimpleDocTemplate(
        out, pagesize=landscape(letter), title=text(title), author="District PM", lang="en"
    )

    def para(value: Any, style: str = "BodyText") -> Paragraph:
        return Paragraph(markup(value), styles[style])

    def table(rows: list[list[Any]], widths: list[float]) -> Table:
        return Table(
            [[para(v) for v in row] for row in rows],
            colWidths=[w * inch for w in widths],
            repeatRows=1,
            style=[
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ],
        )

    story: list = [para(title, "Title")]
    if o.plan.theory_of_action:
        story += [para("Theory of action", "Heading2"), para(o.plan.theory_of_action)]
    for a in o.areas:
        story += [para(f"Area of focus: {a.area.name}", "Heading2")]
        if a.area.problem:
            story.append(para(_problem(a, withheld)))
        for cause in a.causes:
            story.append(para(f"Verified cause: {cause.hypothesis}"))
        for i in a.initiatives:
            story += [para(i.initiative.name, "Heading3")]
            if i.initiative.description:
                story.append(para(i.initiative.description))
            if i.steps:
                rows = [["Step", "Owner", "Start", "Due", "Resources", "Status"]] + [
                    [
                        s.name + (" (milestone)" if s.milestone else ""),
                        s.owner.get_full_name() if s.owner else "",
                        s.starts_on or "",
                        s.due_date or "",
                        s.resources,
                        s.get_status_display(),
                    ]
                    for s in i.steps
                ]
                story += [table(rows, [3.2, 1.5, 0.9, 0.9, 1.8, 1.0]), Spacer(1, 6)]
            if i.measures:
                rows = [["Measure", "Type", "Student group", "Current", "Target"]] + [
                    [
                        m.measure.metric.name,
                        m.measure.get_kind_display(),
                        capfirst(m.group),
                        m.current,
                        m.target,
                    ]
                    for m in i.measures
                ]
                story += [table(rows, [3.6, 1.0, 2.0, 1.2, 1.2]), Spacer(1, 6)]
    if o.checkpoints:
        story.append(para("Monitoring", "Heading2"))
        rows = [["Date", "Who reviews", "What is looked at", "Status", "Evidence"]] + [
            [c.on, c.reviewers, c.looks_at, c.get_status_display() or "Not held yet", c.evidence]
            for c in o.checkpoints
        ]
        story.append(table(rows, [1.0, 1.8, 2.6, 1.0, 2.9]))
    if len(story) == 1:
        story.append(para("The plan has nothing in it yet."))
    doc.build(story)
    return out.getvalue()
