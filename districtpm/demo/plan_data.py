"""The demo district's strategic plan: six instructional priorities with goals to a goal year."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import SchoolYear
from districtpm.plans.models import Goal, Initiative, KeyAction, Plan, Priority, Target

PRIORITIES = [
    (
        "Whole Child",
        "Students attend, feel they belong, and are safe and supported.",
        [("chronic_absenteeism", "all", "all", -0.04, "Cut chronic absenteeism")],
        [
            ("Attendance outreach", ["average_daily_attendance", "attendance_by_month"]),
            ("Belonging and climate", ["survey_belonging", "survey_climate"]),
        ],
    ),
    (
        "Great Schools in Every Neighborhood",
        "Every neighborhood has a school families choose.",
        [("ela_proficiency", "all", "all", 0.06, "Raise ELA proficiency district-wide")],
        [("School improvement partnerships", ["ela_interim_on_track"])],
    ),
    (
        "Foundation for Success",
        "Strong early literacy and numeracy.",
        [("math_proficiency", "all", "all", 0.06, "Raise math proficiency")],
        [("Early numeracy", ["math_interim_on_track"])],
    ),
    (
        "College & Career Ready",
        "Graduates are ready for what comes next.",
        [("graduation_rate", "all", "all", 0.05, "Raise the four-year graduation rate")],
        [("Ninth-grade success", ["ninth_grade_on_track"])],
    ),
    (
        "Teachers & Leaders",
        "Great teachers and leaders in every school.",
        [("ela_median_growth", "all", "all", 4, "Lift median growth in ELA")],
        [("Instructional coaching", ["ela_interim_on_track"])],
    ),
    (
        "Opportunity Gap",
        "Close gaps between groups of students.",
        [
            (
                "ela_proficiency",
                "econ_disadv",
                "yes",
                0.09,
                "Raise ELA proficiency for economically disadvantaged students",
            ),
            ("suspension_rate", "all", "all", -0.02, "Reduce out-of-school suspensions"),
        ],
        [("Restorative practices", ["suspension_rate", "days_removed"])],
    ),
]


def build_demo_plan() -> Plan:
    years = [y.name for y in SchoolYear.objects.order_by("start_date")]
    # The plan began two years before this one, however much history the district has.
    first = years[-3] if len(years) >= 3 else years[0]
    start = int(first[:4])
    goal_year = f"{start + 5}-{start + 6}"
    lead = User.objects.filter(username="pm.office").first()
    plan = Plan.objects.create(
        name="Front Range Plan 2030",
        first_year=first,
        last_year=goal_year,
        vision="Every child succeeds, in every school, in every neighborhood.",
        theory_of_action="Schools improve fastest when the central office sets a few clear "
        "priorities, measures progress often, and puts support where the data say it is needed.",
    )
    metrics = {m.id: m for m in Metric.objects.all()}
    for order, (name, description, goals, initiatives) in enumerate(PRIORITIES, start=1):
        priority = Priority.objects.create(
            plan=plan, name=name, order=order, description=description, owner=lead
        )
        for goal in goals:
            _demo_goal(priority, goal, metrics, goal_year, lead)
        for index, (initiative_name, leading) in enumerate(initiatives):
            initiative = Initiative.objects.create(
                priority=priority, name=initiative_name, owner=lead
            )
            initiative.leading_metrics.set([metrics[m] for m in leading if m in metrics])
            _demo_key_actions(initiative, int(years[-1][:4]), index, lead)
    from districtpm.demo.cycle_data import build_demo_teams

    build_demo_teams(plan)  # the priorities' action teams: who is on them is access to their work
    return plan


def _demo_goal(
    priority: Priority, goal: tuple, metrics: dict[str, Metric], goal_year: str, lead: User | None
) -> None:
    """A goal from the plan's first year's district value, with a straight line of targets."""
    metric_id, dim, value, change, statement = goal
    baseline = (
        MetricValue.objects.filter(
            metric_id=metric_id,
            level="district",
            group_dim=dim,
            group_value=value,
            suppressed=False,
            school_year__gte=priority.plan.first_year,
        )
        .order_by("period_order")
        .first()
    )
    if baseline is None or metric_id not in metrics:
        return
    created = Goal.objects.create(
        plan=priority.plan,
        priority=priority,
        statement=f"{statement} by {goal_year}",
        metric=metrics[metric_id],
        group_dim=dim,
        group_value=value,
        baseline_year=baseline.period,
        baseline_value=round(baseline.value, 3),
        goal_year=goal_year,
        tolerance=abs(change) / 4,
        owner=lead,
    )
    first = int(baseline.period[:4])
    steps = int(goal_year[:4]) - first
    Target.objects.bulk_create(
        Target(
            goal=created,
            school_year=f"{first + k}-{first + k + 1}",
            value=round(baseline.value + change * k / steps, 3),
        )
        for k in range(1, steps + 1)
    )


DEMO_KEY_ACTIONS = [
    ("Set up the team and its monthly review", False, KeyAction.Status.DONE, "The team's time"),
    (
        "First cycle of data review with schools",
        True,
        KeyAction.Status.IN_PROGRESS,
        "Two analysts, a day a month",
    ),
    ("Mid-year adjustment of the plan", True, KeyAction.Status.NOT_STARTED, ""),
]


def _demo_key_actions(
    initiative: Initiative, year_start: int, index: int, lead: User | None
) -> None:
    """Three key actions a term apart, the later initiatives' a week behind the earlier ones'."""
    for k, (name, milestone, status, resources) in enumerate(DEMO_KEY_ACTIONS):
        KeyAction.objects.create(
            initiative=initiative,
            name=name,
            milestone=milestone,
            owner=lead,
            due_date=dt.date(year_start, 9, 15) + dt.timedelta(days=60 * k + 7 * index),
            status=status,
            resources=resources,
        )
