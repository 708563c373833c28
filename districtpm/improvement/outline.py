"""A school's plan read as one outline — areas of focus, their problem statements and verified
causes, initiatives with steps and measures (their current values as the reader may see them),
checkpoints — for its page and both downloads, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from districtpm.improvement.models import (
    Checkpoint,
    FocusArea,
    InitiativeMeasure,
    RootCause,
    SchoolInitiative,
    SchoolPlan,
    SchoolPlanStep,
)
from districtpm.improvement.problems import group_name, reader
from districtpm.metrics.models import MetricValue


@dataclass
class Measure:
    measure: InitiativeMeasure
    group: str
    current: str  # formatted, "suppressed" or "—"
    target: str


@dataclass
class Initiative:
    initiative: SchoolInitiative
    steps: list[SchoolPlanStep]
    measures: list[Measure]


@dataclass
class Area:
    area: FocusArea
    causes: list[RootCause]
    initiatives: list[Initiative]


@dataclass
class Outline:
    plan: SchoolPlan
    areas: list[Area] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        initiatives = [i for a in self.areas for i in a.initiatives]
        return {
            "areas": len(self.areas),
            "initiatives": len(initiatives),
            "steps": sum(len(i.steps) for i in initiatives),
            "leading": sum(
                1 for i in initiatives for m in i.measures if m.measure.kind == "leading"
            ),
        }

    def next_checkpoint(self, today: dt.date) -> Checkpoint | None:
        return next((c for c in self.checkpoints if c.on >= today and not c.status), None)

    def last_review(self) -> Checkpoint | None:
        held = [c for c in self.checkpoints if c.status]
        return held[-1] if held else None


def _values(plan: SchoolPlan, measures: list[InitiativeMeasure], user: Any) -> dict[tuple, Any]:
    """The latest value of the plan's year for each measure's metric and group, as the user
    may read it; one query."""
    if not measures:
        return {}
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for m in measures:
        wanted |= Q(metric_id=m.metric_id, group_dim=m.group_dim, group_value=m.group_value)
    from districtpm.core.scoping import restrict_access

    rows = (
        restrict_access(MetricValue.objects.all(), reader(user))
        .filter(
            wanted,
            level="school",
            entity_code=plan.school.code,
            grade="",
            school_year=plan.school_year.name,
        )
        .order_by("period_order")
    )
    latest: dict[tuple, Any] = {}
    for row in rows:
        latest[(row.metric_id, row.group_dim, row.group_value)] = row  # the last is the latest
    return latest


def outline(plan: SchoolPlan, user: Any) -> Outline:
    areas = list(
        FocusArea.objects.filter(plan=plan)
        .select_related("problem__metric")
        .prefetch_related(
            Prefetch(
                "initiatives",
                SchoolInitiative.objects.prefetch_related(
                    Prefetch("steps", SchoolPlanStep.objects.select_related("owner")),
                    Prefetch("measures", InitiativeMeasure.objects.select_related("metric")),
                ),
            ),
        )
    )
    problem_ids = [a.problem_id for a in areas if a.problem_id]
    causes: dict[int, list[RootCause]] = {}
    for cause in RootCause.objects.filter(problem_id__in=problem_ids, status="verified"):
        causes.setdefault(cause.problem_id, []).append(cause)
    all_measures = [m for a in areas for i in a.initiatives.all() for m in i.measures.all()]
    values = _values(plan, all_measures, user)

    def measure(m: InitiativeMeasure) -> Measure:
        row = values.get((m.metric_id, m.group_dim, m.group_value))
        if row is None:
            current = "—"
        elif row.suppressed:
            current = "suppressed"
        else:
            current = m.metric.format_value(row.value)
        return Measure(
            m, group_name(m.group_dim, m.group_value), current, m.metric.format_value(m.target)
        )

    return Outline(
        plan=plan,
        areas=[
            Area(
                area=a,
                causes=causes.get(a.problem_id, []),
                initiatives=[
                    Initiative(i, list(i.steps.all()), [measure(m) for m in i.measures.all()])
                    for i in a.initiatives.all()
                ],
            )
            for a in areas
        ],
        checkpoints=list(Checkpoint.objects.filter(plan=plan).select_related("recorded_by")),
    )
