"""The steps each designation requires in the demo's last two school years, and the
designated schools' progress: last year's mostly done (a few never were), this year's due."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions
from districtpm.improvement.models import StepDone, StepRule
from districtpm.org.models import Designation, SchoolYear


def build_demo_improvement(seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 29)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    years = list(
        SchoolYear.objects.filter(start_date__lte=current.start_date).order_by("-start_date")[:2]
    )
    rules = 0
    done = []
    for year in years:
        rules += len(actions.add_usual_steps(year, acting_user=SYSTEM))
        by_kind: dict[str, list[StepRule]] = {}
        for rule in StepRule.objects.filter(school_year=year):
            by_kind.setdefault(rule.kind, []).append(rule)
        for designation in Designation.objects.filter(school_year=year):
            for rule in by_kind.get(designation.kind, []):
                if rule.due_on >= today or rng.random() < 0.12:
                    continue  # not due yet, or never done: overdue
                done_on = rule.due_on - dt.timedelta(days=rng.randint(0, 20))
                done.append(
                    StepDone(
                        designation=designation,
                        rule=rule,
                        done_on=done_on,
                        note=rng.choice(["", "", "Entered by the principal."]),
                    )
                )
    StepDone.objects.bulk_create(done)
    return {"rules": rules, "done": len(done), "problems": _problems(current)}


def _problems(current: SchoolYear) -> int:
    """For each school designated in the latest year with designations, a problem statement on ELA proficiency for its
    lowest group with a value shown (not suppressed), from last year's data."""
    from django.core.exceptions import ValidationError

    from districtpm.metrics.models import Metric, MetricValue

    metric = Metric.objects.filter(id="ela_proficiency").first()
    if metric is None:
        return 0
    year = (
        MetricValue.objects.filter(metric=metric, level="school")
        .order_by("-school_year")
        .values_list("school_year", flat=True)
        .first()
    )
    written = 0
    latest = (
        Designation.objects.order_by("-school_year__start_date")
        .values_list("school_year", flat=True)
        .first()
    )
    for designation in Designation.objects.filter(school_year=latest).select_related("school"):
        lowest = (
            MetricValue.objects.filter(
                metric=metric,
                level="school",
                entity_code=designation.school.code,
                school_year=year,
                grade="",
                suppressed=False,
            )
            .exclude(group_dim="all")
            .order_by("value")
            .first()
        )
        if lowest is None:
            continue
        try:
            statement = actions.write_problem_statement(
                designation.school,
                metric,
                year,
                lowest.group_dim,
                lowest.group_value,
                desired=min(1.0, round(lowest.value + 0.15, 2)),
                acting_user=SYSTEM,
            )
        except ValidationError:
            continue
        written += 1
        _causes(statement)
    return written


def _causes(statement) -> None:
    """Two hypotheses: one verified against the school's weakest self-assessment indicator,
    one still to verify."""
    ratings = sorted(
        actions.self_assessment_ratings(statement.school, SYSTEM), key=lambda r: r.level.order
    )
    verified = actions.propose_cause(
        statement,
        "Core instruction does not reach the group: too few are screened and placed",
        acting_user=SYSTEM,
    )
    if ratings:
        actions.decide_cause(
            verified,
            "verified",
            indicator_rating=ratings[0],
            evidence="The team's self-assessment rated this lowest.",
            acting_user=SYSTEM,
        )
    actions.propose_cause(
        statement, "Attendance of the group fell in the winter months", acting_user=SYSTEM
    )
