"""Scorecards: the plan's goals for the district, a network or a school, with status, trend,
forecast and gaps by student group.

The rows are kept between requests (plans/cache.py) until metric values are recomputed or the
plan changes, per scope: viewers share them only when their scopes read the same goals and values.

A network or school is held to its own goals, and to each district goal carried down: the same
change from its own baseline that the district goal asks of the district. Every number is read
through the user's data scope, and suppressed cells stay blank. The number of database queries
depends on the number of goals, never on the number of schools: values for every goal, period
and group are read at once, and so are the children's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import Network, School, SchoolYear
from districtpm.plans import cache
from districtpm.plans import forecast as forecasting
from districtpm.plans.backtest import completed_years
from districtpm.plans.models import Goal, Plan
from districtpm.plans.progress import expected_period
from districtpm.plans.status import LABELS, Status, goal_status, trajectory

CHILD_LEVEL = {"district": "network", "network": "school", "school": None}


@dataclass(frozen=True)
class Entity:
    level: str
    code: str
    name: str


@dataclass
class GroupCell:
    dim: str
    value_label: str
    value: float | None
    n: int | None
    suppressed: bool
    gap: float | None  # this group's value minus all students', in the metric's units


@dataclass
class Row:
    goal: Goal
    carried: bool  # a district goal carried down to this network or school
    baseline: float | None
    targets: dict[str, float]
    status: Status | None
    trend: list[tuple[str, float | None]]
    gaps: dict[str, list[GroupCell]]
    gap_period: str | None
    largest_gap: GroupCell | None
    forecast: forecasting.Forecast | None
    suppressed: bool = False
    children: dict[str, Status | None] = field(default_factory=dict)

    @property
    def metric(self) -> Metric:
        return self.goal.metric

    @property
    def spark(self) -> str:
        """Points of an 80×20 sparkline of the trend, for an inline SVG."""
        points = [(i, v) for i, (_, v) in enumerate(self.trend) if v is not None]
        if len(points) < 2:
            return ""
        values = [v for _, v in points]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        last = max(len(self.trend) - 1, 1)
        return " ".join(
            f"{2 + 76 * i / last:.1f},{18 - 16 * (v - low) / span:.1f}" for i, v in points
        )


@dataclass
class Scorecard:
    plan: Plan
    entity: Entity
    period: str | None
    rows: list[Row]
    children: list[Entity]
    parent: Entity | None
    # The page's body as rendered for the board (True) and everyone else (False), kept with the
    # cached rows: whoever has the same rows gets the same body (views._scorecard_page).
    bodies: dict[bool, str] = field(default_factory=dict)

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        """(status code, label, number of goals) for the statuses present, in a fixed order."""
        out: dict[str, int] = defaultdict(int)
        for r in self.rows:
            out[r.status.code if r.status else "none"] += 1
        labels = {**LABELS, "none": "No baseline"}
        return [(code, labels[code], out[code]) for code in labels if out.get(code)]


def _goals(user, plan: Plan, entity: Entity) -> list[tuple[Goal, bool]]:
    goals = (
        Goal.objects.visible_to(user)
        .filter(plan=plan)
        .select_related("metric", "priority")
        .prefetch_related("targets")
        .order_by("priority__order", "statement")
    )
    if entity.level == "district":
        return [(g, False) for g in goals if g.level == "district"]
    own = [(g, False) for g in goals if (g.level, g.entity_code) == (entity.level, entity.code)]
    carried = [(g, True) for g in goals if g.level == "district"]
    return own + carried


def _carried_targets(goal: Goal, baseline: float | None) -> dict[str, float]:
    """The district goal's yearly change from its baseline, applied to another baseline."""
    if baseline is None:
        return {}
    percent = goal.metric.unit == "percent"
    out = {}
    for year, value in goal.targets_by_year.items():
        v = baseline + (value - goal.baseline_value)
        out[year] = min(1.0, max(0.0, v)) if percent else v
    return out


def _is_school_year(period: str) -> bool:
    return len(period) == 9 and period[4] == "-"


def _gap_cells(metric: Metric, cells: dict[tuple[str, str], tuple], overall: float | None):
    gaps: dict[str, list[GroupCell]] = {}
    for dim in metric.groups:
        if dim not in GROUP_DIMENSIONS:
            continue
        row = []
        for (d, group), (value, n, suppressed) in sorted(cells.items()):
            if d != dim:
                continue
            gap = value - overall if value is not None and overall is not None else None
            row.append(GroupCell(dim, group, value, n, suppressed, gap))
        if row:
            gaps[dim] = row
    return gaps


def _largest_gap(metric: Metric, gaps: dict[str, list[GroupCell]]) -> GroupCell | None:
    """The group furthest behind all students, in the metric's better direction."""
    sign = 1 if metric.direction == "higher" else -1
    behind = [c for cells in gaps.values() for c in cells if c.gap is not None and sign * c.gap < 0]
    return min(behind, key=lambda c: sign * c.gap, default=None)


_Cells = dict[tuple[str, str], tuple]  # (group dim, group value) -> (value, n, suppressed)


def _entity_values(
    visible: QuerySet[MetricValue], metric_ids: set[str], entity: Entity
) -> dict[str, dict[str, _Cells]]:
    """Every value of every goal's measure for this entity: all periods, all groups, one query."""
    values: dict[str, dict[str, _Cells]] = defaultdict(lambda: defaultdict(dict))
    for metric_id, p, dim, group, value, n, suppressed in visible.filter(
        metric_id__in=metric_ids, level=entity.level, entity_code=entity.code, grade=""
    ).values_list("metric_id", "period", "group_dim", "group_value", "value", "n", "suppressed"):
        values[metric_id][p][(dim, group)] = (value, n, suppressed)
    return values


def _child_values(
    visible: QuerySet[MetricValue],
    goals: list[tuple[Goal, bool]],
    entity: Entity,
    children: list[Entity],
    period: str | None,
) -> dict[tuple, float | None]:
    """The children's values for the baseline years and the expected period, one query."""
    child_level = CHILD_LEVEL[entity.level]
    out: dict[tuple, float | None] = {}
    if not (children and child_level):
        return out
    periods = {g.baseline_year for g, _ in goals} | ({period} if period else set())
    for metric_id, code, p, dim, group, value in visible.filter(
        metric_id__in={g.metric_id for g, _ in goals},
        level=child_level,
        entity_code__in=[c.code for c in children],
        period__in=periods,
        grade="",
    ).values_list("metric_id", "entity_code", "period", "group_dim", "group_value", "value"):
        out[(metric_id, code, p, dim, group)] = value
    return out


def _actual(by_period: dict[str, _Cells], period: str, key: tuple[str, str]) -> float | None:
    cell = by_period.get(period, {}).get(key)
    return cell[0] if cell else None


def _status(
    goal: Goal,
    baseline: float | None,
    targets: dict[str, float],
    by_period: dict[str, _Cells],
    period: str | None,
) -> tuple[Status | None, bool]:
    """The goal's status in the expected period, and whether that period's value is suppressed."""
    if not (period and baseline is not None):
        return None, False
    key = (goal.group_dim, goal.group_value)
    status = goal_status(
        direction=goal.metric.direction,
        tolerance=goal.tolerance,
        expected_period=period,
        actual=_actual(by_period, period, key),
        target=trajectory(goal.baseline_year, baseline, targets, period),
    )
    cell = by_period.get(period, {}).get(key)
    return status, bool(cell and cell[2])


def _forecast(
    goal: Goal,
    entity: Entity,
    baseline: float | None,
    targets: dict[str, float],
    trend: list[tuple[str, float | None]],
    current: SchoolYear | None,
    past: list[str],
) -> forecasting.Forecast | None:
    """The goal year's forecast, for a goal of all students with a baseline."""
    if current is None or goal.group_dim != "all" or baseline is None:
        return None
    found = forecasting.for_goal(
        goal.metric,
        entity.level,
        entity.code,
        current.name,
        past,
        {p: v for p, v in trend if p in past},
        goal.goal_year,
        trajectory(goal.baseline_year, baseline, targets, current.name),
        targets.get(goal.goal_year),
    )
    # the goal year's forecast only: this year's (from the interim windows) is on the goal page
    return next((f for f in found if f.school_year == goal.goal_year), None)


def _child_statuses(
    goal: Goal,
    children: list[Entity],
    child_values: dict[tuple, float | None],
    period: str | None,
) -> dict[str, Status | None]:
    """Each child's status on the district goal carried down from its own baseline."""
    if not (child_values and period):
        return {}
    key = (goal.group_dim, goal.group_value)
    out: dict[str, Status | None] = {}
    for child in children:
        base = child_values.get((goal.metric_id, child.code, goal.baseline_year, *key))
        if base is None:
            out[child.code] = None
            continue
        out[child.code] = goal_status(
            direction=goal.metric.direction,
            tolerance=goal.tolerance,
            expected_period=period,
            actual=child_values.get((goal.metric_id, child.code, period, *key)),
            target=trajectory(goal.baseline_year, base, _carried_targets(goal, base), period),
        )
    return out


def _row(
    goal: Goal,
    carried: bool,
    by_period: dict[str, _Cells],
    entity: Entity,
    period: str | None,
    current: SchoolYear | None,
    past: list[str],
) -> Row:
    key = (goal.group_dim, goal.group_value)
    baseline = _actual(by_period, goal.baseline_year, key) if carried else goal.baseline_value
    targets = _carried_targets(goal, baseline) if carried else goal.targets_by_year
    status, suppressed = _status(goal, baseline, targets, by_period, period)
    trend = [(p, _actual(by_period, p, key)) for p in sorted(by_period) if _is_school_year(p)]
    gap_period = period if period in by_period else (trend[-1][0] if trend else None)
    gap_cells = by_period.get(gap_period, {}) if gap_period else {}
    overall = gap_cells.get(("all", "all"), (None,))[0]
    gaps = _gap_cells(goal.metric, gap_cells, overall)
    return Row(
        goal=goal,
        carried=carried,
        baseline=baseline,
        targets=targets,
        status=status,
        trend=trend,
        gaps=gaps,
        gap_period=gap_period,
        largest_gap=_largest_gap(goal.metric, gaps),
        forecast=_forecast(goal, entity, baseline, targets, trend, current, past),
        suppressed=suppressed,
    )


def _rows(
    user,
    plan: Plan,
    entity: Entity,
    children: list[Entity],
    period: str | None,
    current: SchoolYear | None,
) -> list[Row]:
    """Every goal's row, with the children's statuses: the expensive part of a scorecard."""
    goals = _goals(user, plan, entity)
    visible = MetricValue.objects.visible_to(user)
    values = _entity_values(visible, {g.metric_id for g, _ in goals}, entity)
    child_values = _child_values(visible, goals, entity, children, period)
    past = [y for y in completed_years() if current is None or y < current.name]
    rows = []
    for goal, carried in goals:
        row = _row(goal, carried, values[goal.metric_id], entity, period, current, past)
        row.children = _child_statuses(goal, children, child_values, period)
        rows.append(row)
    return rows


def build(user, plan: Plan, entity: Entity, children: list[Entity]) -> Scorecard:
    """The scorecard of `entity` for `user`; its rows come from the cache when a viewer with the
    same scope asked for them since the last recompute or change to the plan."""
    period = expected_period()
    current = SchoolYear.objects.current()
    key = (
        plan.pk,
        entity,
        tuple(children),
        period,
        current.name if current else None,
        cache.scope_key(user),
    )
    rows, bodies = cache.cached(
        key, lambda: (_rows(user, plan, entity, children, period, current), {})
    )
    return Scorecard(plan, entity, period, rows, children, parent=None, bodies=bodies)


def scorecard_codes(user) -> tuple[frozenset[str], frozenset[str]] | None:
    """The school and network codes with a scorecard for `user` (None: every one): those whose
    goals they may see, so an action team, which reads district figures only, has none."""
    from districtpm.core.scoping import access_for
    from districtpm.plans.rules import goal_entities

    return goal_entities(access_for(user))


def district(user, plan: Plan) -> Scorecard:
    from districtpm.org.models import District

    d = District.objects.first()
    networks = Network.objects.visible_to(user).order_by("code")
    codes = scorecard_codes(user)
    if codes is not None:
        networks = networks.filter(code__in=codes[1])
    children = [Entity("network", n.code, n.name) for n in networks]
    return build(user, plan, Entity("district", "district", d.name if d else "District"), children)


def network(user, plan: Plan, net: Network) -> Scorecard:
    schools = School.objects.visible_to(user).filter(network=net).order_by("name")
    codes = scorecard_codes(user)
    if codes is not None:
        schools = schools.filter(code__in=codes[0])
    children = [Entity("school", s.code, s.name) for s in schools]
    card = build(user, plan, Entity("network", net.code, net.name), children)
    card.parent = Entity("district", "district", "District")
    return card


def school(user, plan: Plan, sch: School) -> Scorecard:
    card = build(user, plan, Entity("school", sch.code, sch.name), [])
    if sch.network_id:
        card.parent = Entity("network", sch.network.code, sch.network.name)
    return card


def stories(user, goals, until=None) -> list:
    """(goal, commentary) for each goal with an approved commentary: its latest, up to the
    month `until` when given, in the goals' order (drafts never leave the plan's pages)."""
    from districtpm.plans.models import Commentary

    found = Commentary.objects.visible_to(user).filter(
        goal__in=goals, state=Commentary.State.APPROVED
    )
    if until is not None:
        found = found.filter(month__lte=until)
    latest: dict[int, Commentary] = {}
    for c in found.order_by("goal_id", "-month"):
        latest.setdefault(c.goal_id, c)
    return [(g, latest[g.pk]) for g in goals if g.pk in latest]
