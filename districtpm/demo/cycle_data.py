"""The demo district's action teams, action plans and status updates, and this year's
Performance Dialogues with a few records at the meetings already held."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import User
from django.utils import timezone

from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction, StatusUpdate
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import MeetingItem
from districtpm.meetings.schedule import plan_year
from districtpm.org.models import SchoolYear
from districtpm.plans.models import Plan

NARRATIVES = {
    "on_track": "Milestones for the month are done and schools report the work is reaching "
    "classrooms.",
    "at_risk": "Two schools started late; we are pairing them with a coach and expect to catch "
    "up next month.",
    "off_track": "The vendor contract is still unsigned, so the rollout has not started.",
}


def build_demo_teams(plan: Plan) -> list[ActionTeam]:
    """One action team per priority (made once, with the plan): the demo's team lead and member
    are on the Whole Child team, the senior leader leads the others."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["team.lead", "team.member", "senior.leader"])
    }
    teams = []
    for priority in plan.priorities.order_by("order"):
        whole_child = priority.name == "Whole Child"
        team, created = ActionTeam.objects.get_or_create(
            priority=priority,
            name=priority.name,
            defaults={"lead": users.get("team.lead" if whole_child else "senior.leader")},
        )
        if created and whole_child and "team.member" in users:
            team.members.set([users["team.member"]])
        teams.append(team)
    return teams


def build_demo_cycles(plan: Plan, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    today = timezone.localdate()
    year = SchoolYear.objects.current(today)
    users = {
        u.username: u for u in User.objects.filter(username__in=["senior.leader", "pm.office"])
    }
    teams = build_demo_teams(plan)
    for team in teams:
        priority = team.priority
        action_plan = ActionPlan.objects.create(
            team=team,
            school_year=year.name,
            objective=f"Move the {priority.name} goals this year through the priority's initiatives.",
        )
        for initiative in priority.initiatives.prefetch_related("actions"):
            for key_action in initiative.actions.all():
                due = key_action.due_date
                PlanAction.objects.create(
                    plan=action_plan,
                    name=f"{initiative.name}: {key_action.name}",
                    milestone=key_action.milestone,
                    owner=team.lead,
                    initiative=initiative,
                    start_date=due - dt.timedelta(days=35)
                    if due and not key_action.milestone
                    else None,
                    percent_complete={"done": 100, "in_progress": rng.choice([30, 50, 70])}.get(
                        key_action.status, 0
                    ),
                    due_date=due,
                    resources=rng.choice(
                        ["Two coaches", "Data team, 4 hours a month", "Title I funds", ""]
                    ),
                    status=key_action.status,
                )
    cycle, counts = plan_year(year.name, "performance-dialogues", acting_user=SYSTEM, source="demo")
    # Status updates for every month whose Explore has passed; this month's only for some teams.
    ratings = ["on_track", "on_track", "on_track", "at_risk", "off_track"]
    explores = cycle.meetings.filter(rule__kind="explore").order_by("date")
    updates = 0
    for meeting in explores:
        if meeting.date - dt.timedelta(days=14) > today:
            break
        current = meeting.date >= today
        for team in teams:
            if current and rng.random() < 0.5:
                continue
            scores = [rng.choice(ratings) for _ in range(3)]
            StatusUpdate.objects.create(
                team=team,
                month=meeting.focus_month,
                timeline=scores[0],
                scope=scores[1],
                resources=scores[2],
                narrative=NARRATIVES[max(scores, key=["on_track", "at_risk", "off_track"].index)],
                submitted_by=team.lead,
            )
            updates += 1
    # Records at the meetings already held.
    lead = users.get("pm.office")
    held = cycle.meetings.filter(date__lt=today).select_related("priority").order_by("date")
    for meeting in held:
        MeetingItem.objects.create(
            meeting=meeting,
            kind=MeetingItem.Kind.DECISION,
            text=f"Keep the {meeting.priority.name} interim review monthly through spring.",
            created_by=lead,
        )
        MeetingItem.objects.create(
            meeting=meeting,
            kind=MeetingItem.Kind.COMMITMENT,
            text=f"Bring school-level {meeting.priority.name} data for the three lowest networks.",
            owner=users.get("senior.leader"),
            due_date=meeting.date + dt.timedelta(days=21),
            created_by=lead,
            closed_at=timezone.now() if rng.random() < 0.6 else None,
        )
    # The story behind two goals' numbers: last month's approved for the Board, this month's
    # sent and waiting for the PM office.
    from districtpm.plans.models import Commentary

    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for goal, month, state in zip(
        plan.goals.filter(level="district").order_by("pk")[:2],
        [last_month, this_month],
        [Commentary.State.APPROVED, Commentary.State.SUBMITTED],
        strict=False,
    ):
        Commentary.objects.create(
            goal=goal,
            month=month,
            what_happened=f"{goal.metric.name} moved about as the trajectory asks this month.",
            why="The schools that started the work in the fall are ahead of the rest.",
            what_next="Bring the three schools that have not started into the spring cycle.",
            state=state,
            written_by=users.get("senior.leader"),
            reviewed_by=users.get("pm.office") if state == Commentary.State.APPROVED else None,
            reviewed_at=timezone.now() if state == Commentary.State.APPROVED else None,
        )
    # The PM office's own monthly sessions with the division chiefs, beside the dialogues.
    _, sessions = plan_year(year.name, "pm-sessions", acting_user=SYSTEM, source="demo")
    return {
        "teams": len(teams),
        "meetings": counts["created"],
        "sessions": sessions["created"],
        "updates": updates,
    }
