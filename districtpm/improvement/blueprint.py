"""The School Blueprint as families read it: its content in one language, its measures' current
values, and its one-page PDF.

What reaches a public page is decided here and nowhere else. A measure's value is the school's
all-students value of the plan's year (its latest period), shown only when the engine did not
suppress it and at least the minimum number of students is behind it; otherwise the page says
the value is not shown. No student-level row and no group below all students is ever read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from districtpm.improvement.models import Blueprint, BlueprintMeasure, SchoolInitiative
from districtpm.meetings.pack import markup, text

LANGUAGES = {"en": "English", "es": "Español"}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


def area_name(area: str) -> str:
    return {
        "reading": _("Learning: reading"),
        "math": _("Learning: mathematics"),
        "thriving": _("Thriving"),
        "belonging": _("Belonging"),
    }[area]


@dataclass
class MeasureRow:
    area: str
    label: str
    current: str
    target: str
    shown: bool  # whether `current` is a number


@dataclass
class Content:
    blueprint: Blueprint
    lang: str
    school: str
    year: str
    goals: str
    theory: str
    initiatives: list[str] = field(default_factory=list)
    measures: list[MeasureRow] = field(default_factory=list)
    published: str = ""

    @property
    def title(self) -> str:
        return f"{self.school} · {_('School Blueprint')} {self.year}"


def school_value(measure: BlueprintMeasure) -> Any:
    """The school's all-students value of the measure's metric in the plan's year, its latest
    period: the one row the page may show."""
    from districtpm.metrics.models import MetricValue

    plan = measure.blueprint.plan
    return (
        MetricValue.objects.filter(
            metric_id=measure.metric_id,
            level="school",
            entity_code=plan.school.code,
            grade="",
            group_dim="all",
            group_value="all",
            school_year=plan.school_year.name,
        )
        .order_by("-period_order")
        .first()
    )


def minimum_n(metric: Any) -> int:
    return max(metric.min_n or 0, settings.DISTRICTPM_MIN_N)


def localized(metric: Any, value: float) -> str:
    """The value as the metric formats it, in the active language's number style (53.3% in
    English, 53,3 % in Spanish)."""
    from django.utils.formats import number_format

    decimals = {"percent": 0, "percent1": 1, "number": 0, "decimal2": 2}.get(metric.format, 1)
    if metric.format.startswith("percent"):
        # number_format cuts off digits rather than rounding: rounded first, as format_value does
        number = number_format(round(value * 100, decimals), decimals, use_l10n=True)
        return f"{number}\u00a0%" if translation.get_language() == "es" else f"{number}%"
    return number_format(round(value, decimals), decimals, use_l10n=True, force_grouping=True)


def shown_value(measure: BlueprintMeasure) -> tuple[str, bool]:
    """What the page shows for the measure now: the formatted value, or why there is none."""
    row = school_value(measure)
    if row is None:
        return _("No results yet this year"), False
    least = minimum_n(measure.metric)
    if row.suppressed or row.value is None or row.n is None or row.n < least:
        # Too few students behind it, or hidden by the engine so that a small group elsewhere
        # cannot be worked out from it: either way, a privacy matter.
        return _("Not shown, to protect students' privacy"), False
    return localized(measure.metric, row.value), True


def content(blueprint: Blueprint, lang: str) -> Content:
    """The Blueprint in one language; text the school did not translate is shown in English."""
    lang = language(lang)
    plan = blueprint.plan
    spanish = lang == "es"
    with translation.override(lang):
        initiatives = [
            (i.name_es if spanish and i.name_es else i.name)
            for i in SchoolInitiative.objects.filter(area__plan=plan).order_by(
                "area__order", "area__pk", "order", "pk"
            )
        ]
        measures = []
        order = list(BlueprintMeasure.Area.values)
        chosen = blueprint.measures.select_related("metric", "blueprint__plan__school")
        for m in sorted(chosen, key=lambda m: order.index(m.area)):
            current, shown = shown_value(m)
            measures.append(
                MeasureRow(
                    area=area_name(m.area),
                    label=m.label_es if spanish and m.label_es else m.label,
                    current=current,
                    target="" if m.target is None else localized(m.metric, m.target),
                    shown=shown,
                )
            )
        published = (
            _("Published %(date)s") % {"date": date_format(blueprint.published_at, "DATE_FORMAT")}
            if blueprint.published_at
            else _("Not published")
        )
        return Content(
            blueprint=blueprint,
            lang=lang,
            school=plan.school.name,
            year=plan.school_year.name,
            goals=(blueprint.goals_es if spanish and blueprint.goals_es else blueprint.goals),
            theory=(
                blueprint.theory_of_action_es
                if spanish and blueprint.theory_of_action_es
                else plan.theory_of_action
            ),
            initiatives=initiatives,
            measures=measures,
            published=published,
        )


def to_pdf(c: Content) -> bytes:
    """The Blueprint on one letter page: a long one is set smaller rather than spilling onto
    a second."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table

    with translation.override(c.lang):
        styles = getSampleStyleSheet()
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=letter,
            title=text(c.title),
            author=text(c.school),
            subject=_("School Blueprint"),
            lang=c.lang,
            leftMargin=0.7 * inch,
            rightMargin=0.7 * inch,
            topMargin=0.6 * inch,
            bottomMargin=0.6 * inch,
        )

        def para(value: Any, style: str = "BodyText") -> Paragraph:
            return Paragraph(markup(value), styles[style])

        rows = [[para(h) for h in (_("Area"), _("Measure"), _("Now"), _("Goal"))]]
        rows += [[para(m.area), para(m.label), para(m.current), para(m.target)] for m in c.measures]
        body: list = [
            para(c.school, "Title"),
            para(f"{_('School Blueprint')} {c.year} · {c.published}"),
            Spacer(1, 8),
            para(_("Our goals"), "Heading2"),
            para(c.goals),
            para(_("Our theory of action"), "Heading2"),
            para(c.theory),
            para(_("What we are doing"), "Heading2"),
            *[para(f"• {name}") for name in c.initiatives],
            para(_("How we will know"), "Heading2"),
        ]
        if c.measures:
            body.append(
                Table(
                    rows,
                    colWidths=[1.5 * inch, 3.0 * inch, 1.7 * inch, 0.9 * inch],
                    style=[
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ],
                )
            )
        else:
            body.append(para(_("The school has not chosen its measures yet.")))
        frame_height = letter[1] - 1.2 * inch
        doc.build([KeepInFrame(letter[0] - 1.4 * inch, frame_height, body, mode="shrink")])
        return out.getvalue()
