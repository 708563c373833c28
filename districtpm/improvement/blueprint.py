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
from django.utils import timezone, translation
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


def school_value(metric_id: str, plan: Any) -> Any:
    """The school's all-students value of the metric in the plan's year, its latest period:
    the one row the page may show."""
    from districtpm.metrics.models import MetricValue

    return (
        MetricValue.objects.filter(
            metric_id=metric_id,
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


def public_metric(metric: Any) -> bool:
    """Whether a metric may be a Blueprint measure: one with school values of all students,
    not a gap (a gap is worked out from two groups' values)."""
    return metric.active and not metric.is_gap and "school" in (metric.levels or [])


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


def shown_value(metric: Any, plan: Any) -> tuple[str, bool]:
    """What the page shows for a measure now: the formatted value, or why there is none."""
    row = school_value(metric.id, plan) if public_metric(metric) else None
    if row is None:
        return _("No results yet this year"), False
    least = minimum_n(metric)
    if row.suppressed or row.value is None or row.n is None or row.n < least:
        # Too few students behind it, or hidden by the engine so that a small group elsewhere
        # cannot be worked out from it: either way, a privacy matter.
        return _("Not shown, to protect students' privacy"), False
    return localized(metric, row.value), True


def words(blueprint: Blueprint) -> dict[str, Any]:
    """Everything the Blueprint says, as publishing keeps it: the public page shows what was
    published until the principal publishes again, whatever the team changes meanwhile."""
    plan = blueprint.plan
    order = list(BlueprintMeasure.Area.values)
    measures = (
        sorted(blueprint.measures.all(), key=lambda m: order.index(m.area)) if blueprint.pk else []
    )
    return {
        "goals": blueprint.goals,
        "goals_es": blueprint.goals_es,
        "theory": plan.theory_of_action,
        "theory_es": blueprint.theory_of_action_es,
        "initiatives": [
            [i.name, i.name_es]
            for i in SchoolInitiative.objects.filter(area__plan=plan).order_by(
                "area__order", "area__pk", "order", "pk"
            )
        ],
        "measures": [
            {
                "area": m.area,
                "metric": m.metric_id,
                "label": m.label,
                "label_es": m.label_es,
                "target": m.target,
            }
            for m in measures
        ],
    }


def content(blueprint: Blueprint, lang: str, *, public: bool = False) -> Content:
    """The Blueprint in one language: as published (`public`), or as it stands now (the
    preview). Text the school did not translate is shown in English."""
    from districtpm.metrics.models import Metric

    lang = language(lang)
    plan = blueprint.plan
    w = blueprint.published_content if public else words(blueprint)
    spanish = lang == "es"

    def say(english: str, spanish_text: str) -> str:
        return spanish_text if spanish and spanish_text else english

    metrics = Metric.objects.in_bulk([m["metric"] for m in w.get("measures", [])])
    with translation.override(lang):
        measures = []
        for m in w.get("measures", []):
            metric = metrics.get(m["metric"])
            if metric is None:
                continue
            current, shown = shown_value(metric, plan)
            target = m.get("target")
            measures.append(
                MeasureRow(
                    area=area_name(m["area"]),
                    label=say(m["label"], m["label_es"]),
                    current=current,
                    target="" if target is None else localized(metric, target),
                    shown=shown,
                )
            )
        published = (
            _("Published %(date)s")
            % {"date": date_format(timezone.localtime(blueprint.published_at), "DATE_FORMAT")}
            if blueprint.published_at
            else _("Not published")
        )
        return Content(
            blueprint=blueprint,
            lang=lang,
            school=plan.school.name,
            year=plan.school_year.name,
            goals=say(w.get("goals", ""), w.get("goals_es", "")),
            theory=say(w.get("theory", ""), w.get("theory_es", "")),
            initiatives=[say(name, name_es) for name, name_es in w.get("initiatives", [])],
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
