"""Where each goal stands: its actual value for the latest period the data should cover,
against the target trajectory. Values are read in one query for many goals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from districtpm.metrics.models import MetricValue
from districtpm.org.models import SchoolYear
from districtpm.plans.models import Goal, GoalStatusRecord
from districtpm.plans.status import Status, goal_status, trajectory


def expected_period(today: dt.date | None = None) -> str | None:
    """The latest school year that has ended: annual results should exist for it."""
    today = today or timezone.localdate()
    year = SchoolYear.objects.filter(end_date__lt=today).order_by("-start_date").first()
    return year.name if year else None


def _key(goal: Goal, period: str) -> tuple:
    return (goal.metric_id, goal.level, goal.entity_code, goal.group_dim, goal.group_value, period)


def actual_values(goals: Iterable[Goal], periods: Iterable[str]) -> dict[tuple, float | None]:
    goals = list(goals)
    if not goals:
        return {}
    rows = MetricValue.objects.filter(
        metric_id__in={g.metric_id for g in goals},
        level__in={g.level for g in goals},
        entity_code__in={g.entity_code for g in goals},
        period__in=set(periods),
        grade="",
    ).values_list(
        "metric_id", "level", "entity_code", "group_dim", "group_value", "period", "value"
    )
    return {tuple(r[:6]): r[6] for r in rows}


def statuses(goals: Iterable[Goal], today: dt.date | None = None) -> dict[int, Status]:
    """Status of each goal for the expected period (goals need targets prefetched)."""
    goals = list(goals)
    period = expected_period(today)
    if period is None:
        return {}
    values = actual_values(goals, [period])
    out = {}
    for g in goals:
        target = trajectory(g.baseline_year, g.baseline_value, g.targets_by_year, period)
        out[g.pk] = goal_status(
            direction=g.metric.direction,
            tolerance=g.tolerance,
            expected_period=period,
            actual=values.get(_key(g, period)),
            target=target,
        )
    return out


def history(goal: Goal, periods: list[str]) -> list[dict]:
    """Actual and target for each period, for the goal's chart and table."""
    values = actual_values([goal], periods)
    targets = goal.targets_by_year
    return [
        {
            "period": p,
            "actual": values.get(_key(goal, p)),
            "target": trajectory(goal.baseline_year, goal.baseline_value, targets, p),
        }
        for p in periods
    ]


def completed_periods(today: dt.date | None = None) -> list[str]:
    """Every school year that has ended, oldest first."""
    today = today or timezone.localdate()
    return list(
        SchoolYear.objects.filter(end_date__lt=today)
        .order_by("start_date")
        .values_list("name", flat=True)
    )


def record_statuses(goals: Iterable[Goal], today: dt.date | None = None) -> int:
    """Keep the computed status of every goal for every completed school year after its
    baseline, as history. A later compute replaces a period's record with the new result."""
    goals = list(goals)
    periods = completed_periods(today)
    values = actual_values(goals, periods)
    count = 0
    for g in goals:
        targets = g.targets_by_year
        for period in periods:
            if not (g.baseline_year < period <= g.goal_year):
                continue
            s = goal_status(
                direction=g.metric.direction,
                tolerance=g.tolerance,
                expected_period=period,
                actual=values.get(_key(g, period)),
                target=trajectory(g.baseline_year, g.baseline_value, targets, period),
            )
            GoalStatusRecord.objects.update_or_create(
                goal_id=g.pk,
                period=period,
                defaults={"status": s.code, "actual": s.actual, "target": s.target},
            )
            count += 1
    return count


def after_recompute() -> int:
    """Record every goal's status once new metric values are in (called after each compute)."""
    goals = Goal.objects.select_related("metric").prefetch_related("targets")
    return record_statuses(goals)


def refresh_on_recompute(sender: Any, **kwargs: Any) -> None:
    """The metrics' values_recomputed signal: this year's forecast relations are learned from
    the new values, goal status follows them, and the cached scorecards are dropped. In that
    order, so that a scorecard worked out after the drop reads the new relations."""
    from districtpm.plans import cache, forecast

    forecast.store_relations()
    after_recompute()
    cache.bump()
