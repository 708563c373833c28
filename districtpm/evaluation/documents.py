"""An evaluation's record as a PDF, for the teacher's file: the ratings with their rationales,
the observations (scores, notes, action steps), the conversations with the teacher's
reflection and acknowledgement, and the follow-up emails. Free text is shown literally
(meetings.pack.markup); the teacher's own copy holds only what they see on the page."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from districtpm.evaluation import guides, records
from districtpm.meetings.pack import markup, text


def file_stem(e: Any) -> str:
    return slugify(f"evaluation {e.staff} {e.school_year}")


def _when(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return f"{timezone.localtime(value):%-d %b %Y %H:%M}"
    return f"{value:%-d %b %Y}"


def record_pdf(e: Any, observations: list[Any], *, for_teacher: bool) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    styles = getSampleStyleSheet()
    for name in ("Heading2", "Heading3"):
        styles[name].keepWithNext = 1
    out = io.BytesIO()
    title = f"{e.staff}: evaluation {e.school_year}"
    doc = SimpleDocTemplate(
        out, pagesize=letter, title=text(title), author="District PM", lang="en"
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

    outcome = records.result(e, shared_only=for_teacher)
    story: list = [
        para(title, "Title"),
        para(f"{e.school.name} · {e.framework.name} framework, {e.weight_set.name.lower()}"),
    ]
    if e.final_level:
        story.append(
            para(
                f"Final rating: {e.final_level.name} (score {e.final_score:.1f} of 100)", "Heading2"
            )
        )
        story.append(para(e.rationale))
    elif outcome.level:
        missing = ", ".join(c.name for c in outcome.missing)
        story.append(
            para(
                f"Projected so far: {outcome.level.name} (score {outcome.score:.1f} of 100)"
                + (f". Still to score: {missing}." if missing else "")
            )
        )
    weights = {w.component_id: w.percent for w in e.weight_set.weights.all()}
    scores = {s.component_id: s for s in e.scores.all()}
    rows = [["Component", "Weight", "Score", "Rationale"]]
    for c in e.framework.components.all():
        s = scores.get(c.pk)
        rows.append(
            [
                c.name,
                f"{float(weights.get(c.pk, 0)):g}%",
                f"{s.score:g}" if s else "—",
                s.rationale if s else "",
            ]
        )
    story += [para("Components", "Heading2"), table(rows, [2.0, 0.7, 0.6, 3.7])]

    story.append(para("Observations", "Heading2"))
    if not observations:
        story.append(para("No observation yet."))
    for o in observations:
        story.append(para(f"{_when(o.observed_on)}, {o.minutes} minutes", "Heading3"))
        marks = [[s.indicator, f"{s.score:g}"] for s in o.scores.all()]
        if marks:
            story.append(table([["Indicator", "Score"], *marks], [5.8, 1.2]))
        for n in o.notes.all():
            tag = f" [{n.indicator.code}]" if n.indicator and n.indicator.code else ""
            story.append(para(f"{_when(n.at)}{tag}: {n.text}"))
        if o.action_step:
            story.append(para(f"Action step: {o.action_step}"))
        story.append(Spacer(1, 4))

    conversations = {c.kind: c for c in e.conversations.all()}
    for kind, label in [
        ("mid_year", "Mid-year conversation"),
        ("end_of_year", "End-of-year conversation"),
    ]:
        c = conversations.get(kind)
        story.append(para(label, "Heading2"))
        if c is None or not (c.held_on or c.reflection):
            story.append(para("Not held yet."))
            continue
        if c.reflection:
            story += [para("The teacher's reflection", "Heading3"), para(c.reflection)]
        if c.held_on:
            story.append(para(f"Held {_when(c.held_on)}."))
            for section in guides.GUIDES[kind]:
                if c.notes.get(section.key):
                    story += [para(section.title, "Heading3"), para(c.notes[section.key])]
            story.append(
                para(
                    f"Acknowledged by the teacher {_when(c.acknowledged_at)}."
                    if c.acknowledged_at
                    else "Not acknowledged by the teacher yet."
                )
            )
            if c.teacher_comment:
                story.append(para(f"The teacher's comment: {c.teacher_comment}"))

    followups = list(e.followups.all())
    if followups:
        story.append(para("Follow-up emails", "Heading2"))
        for f in followups:
            story += [para(f"{_when(f.sent_at)}: {f.subject}", "Heading3"), para(f.body)]
    story.append(Spacer(1, 8))
    story.append(
        para(f"Printed {_when(timezone.now())}. A personnel record: keep it confidential.")
    )
    doc.build(story)
    return out.getvalue()
