"""Downloads: a framework as a workbook (the same layout the importer reads back), and an
assessment's report as a workbook and a PDF. Every text cell goes through core.cells (never a
formula) and every PDF paragraph through meetings.pack.markup (never markup)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.text import slugify

from districtpm.core.cells import append_row
from districtpm.meetings.pack import markup, text
from districtpm.rubrics.models import Assessment, FrameworkVersion
from districtpm.rubrics.results import content

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_stem(a: Assessment) -> str:
    return (
        slugify(f"{a.version.framework.name} {a.entity_name} {a.school_year}")[:80] or "assessment"
    )


def _book() -> tuple[Any, Any]:
    from openpyxl import Workbook

    book = Workbook()
    return book, book.active


def _save(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def framework_xlsx(version: FrameworkVersion) -> bytes:
    """Domain, Indicator and one column per level: `districtpm rubrics import` reads it back."""
    levels, blocks, _ = content(version)
    book, sheet = _book()
    sheet.title = "Framework"
    append_row(sheet, ["Domain", "Indicator", *[lv.name for lv in levels]])
    if any(lv.evidence_expected for lv in levels):
        append_row(sheet, ["Evidence expected", "", *[lv.evidence_expected for lv in levels]])
    for block in blocks:
        for row in block.rows:
            append_row(sheet, [block.name, row.indicator.name, *[t for _, t in row.descriptors]])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 36
    for col in "CDEFGHI"[: len(levels)]:
        sheet.column_dimensions[col].width = 60
    return _save(book)


def _individual(row: Any, levels: list) -> str:
    return ", ".join(
        f"{lv.name}: {n}" for lv, n in zip(levels, row.counts(levels), strict=True) if n
    )


def report_xlsx(ctx: dict[str, Any]) -> bytes:
    a: Assessment = ctx["a"]
    levels, blocks = ctx["levels"], ctx["blocks"]
    book, sheet = _book()
    sheet.title = "Results"
    append_row(sheet, [str(a)])
    append_row(sheet, ["Status", a.get_status_display(), "Framework version", a.version.number])
    append_row(sheet, [])
    header = ["Domain", "Indicator", "Final rating", "Score", "Rationale"]
    if ctx["whole"]:
        header += ["Individual ratings", "Lowest", "Highest", "Disagreement"]
    append_row(sheet, header)
    for block in blocks:
        for row in block.rows:
            final = row.final
            cells = [
                block.name,
                row.indicator.name,
                final.level.name if final else "",
                final.level.score if final else None,
                final.rationale if final else "",
            ]
            if ctx["whole"]:
                spread = row.spread
                cells += [
                    _individual(row, levels),
                    levels[spread.low].name if spread.low is not None else "",
                    levels[spread.high].name if spread.high is not None else "",
                    "yes" if spread.disagrees else "",
                ]
            append_row(sheet, cells)
    if ctx["whole"]:
        evidence = book.create_sheet("Evidence")
        append_row(evidence, ["Indicator", "Member", "Rating", "Note", "Link", "File", "Metric"])
        for block in blocks:
            for row in block.rows:
                for r in row.ratings:
                    if not r.has_evidence:
                        continue
                    append_row(
                        evidence,
                        [
                            row.indicator.name,
                            r.member.user.get_full_name() or r.member.user.username,
                            r.level.name,
                            r.note,
                            r.link,
                            r.file_name,
                            r.metric.name if r.metric else "",
                        ],
                    )
    return _save(book)


def report_pdf(ctx: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    a: Assessment = ctx["a"]
    levels, blocks = ctx["levels"], ctx["blocks"]
    styles = getSampleStyleSheet()
    styles["Heading2"].keepWithNext = 1  # a domain's heading never ends a page alone
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(letter), title=text(str(a)), author="District PM", lang="en"
    )

    def para(value: Any, style: str = "BodyText") -> Paragraph:
        return Paragraph(markup(value), styles[style])

    story: list = [
        para(str(a), "Title"),
        para(f"{a.get_status_display()} · framework version {a.version.number}"),
        Spacer(1, 10),
    ]
    for block in blocks:
        story.append(para(block.name, "Heading2"))
        header = ["Indicator", "Final rating", "Rationale"] + (
            ["Individual ratings"] if ctx["whole"] else []
        )
        data = [[para(h) for h in header]]
        for row in block.rows:
            final = row.final
            cells = [
                para(row.indicator.name),
                para(final.level.name if final else "—"),
                para(final.rationale if final else ""),
            ]
            if ctx["whole"]:
                label = _individual(row, levels)
                if row.spread.disagrees:
                    label += " (ratings two or more levels apart)"
                cells.append(para(label))
            data.append(cells)
        widths = [2.6 * inch, 1.4 * inch, 3.6 * inch] + ([2.0 * inch] if ctx["whole"] else [])
        story.append(
            Table(
                data,
                colWidths=widths,
                repeatRows=1,
                style=[
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ],
            )
        )
    doc.build(story)
    return out.getvalue()


def framework_pdf(version: FrameworkVersion) -> bytes:
    """The framework as a printable table per domain, one column per level."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    levels, blocks, _ = content(version)
    styles = getSampleStyleSheet()
    styles["Heading2"].keepWithNext = 1
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    out = io.BytesIO()
    title = f"{version.framework.name}, version {version.number}"
    doc = SimpleDocTemplate(
        out, pagesize=landscape(letter), title=text(title), author="District PM", lang="en"
    )

    def para(value: Any, style: Any = small) -> Paragraph:
        return Paragraph(markup(value), style)

    story: list = [para(title, styles["Title"])]
    width = (10 * inch - 1.8 * inch) / max(len(levels), 1)
    for block in blocks:
        story.append(para(block.name, styles["Heading2"]))
        data = [[para("Indicator")] + [para(lv.name) for lv in levels]]
        data += [
            [para(row.indicator.name)] + [para(t) for _, t in row.descriptors] for row in block.rows
        ]
        story.append(
            Table(
                data,
                colWidths=[1.8 * inch] + [width] * len(levels),
                repeatRows=1,
                style=[
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ],
            )
        )
    doc.build(story)
    return out.getvalue()
