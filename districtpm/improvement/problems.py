"""Problem statements from data: the current state of a student group at a school (value, n,
trend, the gap to all students and to the district) from the stored metric values, the desired
state the team sets or the district's target carried down, and the difference between them.
Only values the user may read, and never a suppressed one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from districtpm.core.scoping import SYSTEM, Access, access_for, restrict_access
from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import School

GROUP_NAMES = {
    ("all", "all"): "all students",
    ("ell", "yes"): "English learners",
    ("ell", "no"): "students who are not English learners",
    ("swd", "yes"): "students with disabilities",
    ("swd", "no"): "students without disabilities",
    ("econ_disadv", "yes"): "economically disadvantaged students",
    ("econ_disadv", "no"): "students not economically disadvantaged",
    ("gender", "F"): "female students",
    ("gender", "M"): "male students",
    ("gender", "X"): "nonbinary students",
}


def group_name(dim: str, value: str) -> str:
    return GROUP_NAMES.get((dim, value)) or (
        f"{value} students" if dim == "race" else f"{dim} {value}"
    )


@dataclass
class Figures:
    metric: Metric
    school: School
    school_year: str
    period: str
    group_dim: str
    group_value: str
    value: float
    n: int
    school_value: float | None
    district_value: float | None
    trend: list[tuple[str, float | None]]


def _latest(rows: list[MetricValue]) -> MetricValue | None:
    return max(rows, key=lambda v: v.period_order) if rows else None


def reader(user: Any) -> Access:
    """Whose reading the figures are: the user's, or for the system (a command, the demo
    builder) every value."""
    return Access(user_id=0, is_superuser=True) if user is SYSTEM else access_for(user)


def figures(
    user: Any, metric: Metric, school: School, school_year: str, group_dim: str, group_value: str
) -> Figures:
    """The figures a statement is written from (two queries); ValidationError when the group's
    value is suppressed, missing, or not the user's to read."""
    values = list(
        restrict_access(MetricValue.objects.all(), reader(user))
        .filter(
            metric=metric,
            grade="",
            school_year__lte=school_year,
            group_dim__in=[group_dim, "all"],
        )
        .filter(
            level__in=["school", "district"],
        )
        .only(
            "level",
            "entity_code",
            "period",
            "period_order",
            "school_year",
            "group_dim",
            "group_value",
            "value",
            "n",
            "suppressed",
        )
    )

    def pick(level: str, code: str, dim: str, val: str, year: str) -> MetricValue | None:
        return _latest(
            [
                v
                for v in values
                if v.level == level
                and v.entity_code == code
                and v.group_dim == dim
                and v.group_value == val
                and v.school_year == year
            ]
        )

    current = pick("school", school.code, group_dim, group_value, school_year)
    who = group_name(group_dim, group_value)
    if current is None:
        raise ValidationError(
            f"There is no {metric.name} value for {who} at {school.name} in {school_year}."
        )
    if current.suppressed or current.value is None:
        raise ValidationError(
            f"The {metric.name} value for {who} at {school.name} in {school_year} is suppressed "
            "(too few students to show): choose a larger group."
        )
    if current.n is None:
        raise ValidationError(f"The number of students behind this {metric.name} value is unknown.")

    def same_period(level: str, code: str, dim: str, val: str) -> MetricValue | None:
        # the comparisons are of the same period as the current value, never another one
        return next(
            (
                v
                for v in values
                if v.level == level
                and v.entity_code == code
                and v.group_dim == dim
                and v.group_value == val
                and v.period == current.period
            ),
            None,
        )

    all_students = same_period("school", school.code, "all", "all")
    district = same_period("district", "district", group_dim, group_value)
    trend = [(school_year, current.value)]
    if metric.period == "school_year":  # one value a year: earlier years compare like for like
        years = sorted(
            {v.school_year for v in values if v.level == "school" and v.entity_code == school.code}
        )
        trend = []
        for year in years[-4:]:
            row = pick("school", school.code, group_dim, group_value, year)
            trend.append((year, None if row is None or row.suppressed else row.value))
    return Figures(
        metric,
        school,
        school_year,
        current.period,
        group_dim,
        group_value,
        current.value,
        current.n,
        None if all_students is None or all_students.suppressed else all_students.value,
        None if district is None or district.suppressed else district.value,
        trend,
    )


def difference(metric: Metric, desired: float, current: float) -> str:
    gap = desired - current
    if metric.format.startswith("percent"):
        return f"{abs(gap) * 100:.0f} percentage point{'s' * (round(abs(gap) * 100) != 1)}"
    return metric.format_value(abs(gap))


def write(f: Figures, desired: float, *, from_goal: bool) -> str:
    """The statement, in plain words, from its figures."""
    m, fmt = f.metric, f.metric.format_value
    who = group_name(f.group_dim, f.group_value)
    parts = [
        f"Current state: at {f.school.name} in {f.school_year}, {m.name} for {who} was "
        f"{fmt(f.value)} (n = {f.n:,})."
    ]
    compare = []
    if f.school_value is not None and (f.group_dim, f.group_value) != ("all", "all"):
        compare.append(f"{fmt(f.school_value)} for all students at the school")
    if f.district_value is not None:
        compare.append(f"{fmt(f.district_value)} for {who} in the district")
    if compare:
        parts.append("That compares with " + " and ".join(compare) + ".")
    earlier = [(y, v) for y, v in f.trend if y != f.school_year and v is not None]
    if earlier:
        year, value = earlier[0]
        parts.append(f"In {year} it was {fmt(value)}.")
    source = "the district's target, carried down" if from_goal else "the team's target"
    parts.append(f"Desired state: {fmt(desired)} ({source}).")
    better = desired > f.value if m.direction != "lower" else desired < f.value
    if better:
        parts.append(f"The problem: a difference of {difference(m, desired, f.value)}.")
    else:
        parts.append("The group is at or past the desired state already.")
    return " ".join(parts)


def district_target(user: Any, metric: Metric, school_year: str) -> float | None:
    """The district goal's target on this metric for the year, from a plan covering the year,
    if the user may read it."""
    from districtpm.plans.models import Target

    target = (
        restrict_access(Target.objects.all(), reader(user))
        .filter(
            goal__metric=metric,
            goal__level="district",
            goal__group_dim="all",
            school_year=school_year,
            goal__plan__first_year__lte=school_year,
            goal__plan__last_year__gte=school_year,
        )
        .order_by("-goal__plan_id", "goal_id")
        .first()
    )
    return target.value if target else None


def _keys(statement: Any) -> list[tuple[dict[str, Any], float | None]]:
    """The stored rows a statement shows, with the value it shows from each."""
    base = {"metric_id": statement.metric_id, "grade": "", "school_year": statement.school_year}
    code = statement.school.code
    keys = [
        (
            {
                **base,
                "level": "school",
                "entity_code": code,
                "group_dim": statement.group_dim,
                "group_value": statement.group_value,
                "period": statement.period,
            },
            statement.current_value,
        ),
        (
            {
                **base,
                "level": "school",
                "entity_code": code,
                "group_dim": "all",
                "group_value": "all",
                "period": statement.period,
            },
            statement.school_value,
        ),
        (
            {
                **base,
                "level": "district",
                "entity_code": "district",
                "group_dim": statement.group_dim,
                "group_value": statement.group_value,
                "period": statement.period,
            },
            statement.district_value,
        ),
    ]
    for year, value in statement.trend:
        if year != statement.school_year:
            keys.append(
                (
                    {
                        **base,
                        "school_year": year,
                        "level": "school",
                        "entity_code": code,
                        "group_dim": statement.group_dim,
                        "group_value": statement.group_value,
                        "period": year,
                    },
                    value,
                )
            )
    return [(k, v) for k, v in keys if v is not None]


def withheld(statements: list[Any]) -> set[int]:
    """The statements that show a figure now suppressed or gone (a recompute protected the
    group, or a correction removed it): their figures and words are no longer shown. One
    query for a page of statements."""
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    wanted = {s.pk: _keys(s) for s in statements}
    conditions = [Q(**k) for keys in wanted.values() for k, _ in keys]
    if not conditions:
        return set()
    fields = [
        "metric_id",
        "level",
        "entity_code",
        "school_year",
        "group_dim",
        "group_value",
        "period",
    ]
    shown = {
        tuple(row[f] for f in fields)
        for row in MetricValue.objects.filter(reduce(or_, conditions), suppressed=False).values(
            *fields
        )
    }
    return {
        pk
        for pk, keys in wanted.items()
        if any(tuple(k[f] for f in fields) not in shown for k, _ in keys)
    }


def is_stale(statement: Any, user: Any) -> Figures | None:
    """Newer figures than the statement was written from, or None if they are the same (or can
    no longer be read)."""
    try:
        now = figures(
            user,
            statement.metric,
            statement.school,
            statement.school_year,
            statement.group_dim,
            statement.group_value,
        )
    except ValidationError:
        return None
    same = (now.value, now.n, now.period) == (
        statement.current_value,
        statement.current_n,
        statement.period,
    )
    return None if same else now


def causes_verified_by(user: Any, final_rating_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """For the rubrics' assessment page: the problem statements the user may read whose causes
    were verified against each final rating (rubrics.uses)."""
    from django.urls import reverse

    from districtpm.improvement.models import RootCause

    found: dict[int, list[tuple[str, str]]] = {}
    causes = (
        RootCause.objects.visible_to(user)
        .filter(status=RootCause.Status.VERIFIED, indicator_rating_id__in=final_rating_ids)
        .select_related("problem__metric")
        .order_by("pk")
    )
    for cause in causes:
        p = cause.problem
        label = (
            f"Verified as a cause: {p.metric.name} for {group_name(p.group_dim, p.group_value)}, "
            f"{p.school_year}"
        )
        found.setdefault(cause.indicator_rating_id, []).append(
            (label, reverse("improvement:problem", args=[p.pk]))
        )
    return found
