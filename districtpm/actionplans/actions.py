"""Changes to action teams' work: status updates, plans and actions, reminders, year end.
Each goes through one function with its permission check, transaction and audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction, StatusUpdate
from districtpm.audit.log import record, recorded_change, snapshot
from districtpm.core.scoping import require

# The meeting cycle (an app above this one) says which month's updates it reviews next.
_REVIEW_MONTH: list[Callable[[dt.date], dt.date | None]] = []


def provide_review_month(finder: Callable[[dt.date], dt.date | None]) -> None:
    """Register the function that gives, for a day, the month whose updates are reviewed next."""
    _REVIEW_MONTH[:] = [finder]


def next_review_month(today: dt.date) -> dt.date | None:
    return _REVIEW_MONTH[0](today) if _REVIEW_MONTH else None


LEADERS_NOTE = "Only the team's lead, its members or the performance management office may do this."


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def submit_update(
    team: ActionTeam, month: dt.date, data: dict[str, Any], *, acting_user: Any
) -> StatusUpdate:
    """Create or replace the team's update for a month."""
    require(acting_user, StatusUpdate(team=team), message=LEADERS_NOTE)
    month = month_start(month)
    # Lock the team's row first, so two people sending the same month at once take turns: the
    # second then replaces the first's update instead of failing to insert a second one. On
    # PostgreSQL this is the row lock; SQLite's IMMEDIATE transactions already take turns.
    ActionTeam.objects.select_for_update().filter(pk=team.pk).values_list("pk").first()
    update = StatusUpdate.objects.filter(team=team, month=month).first()
    if update is None:
        update = StatusUpdate(team=team, month=month)
    verb = "change" if update.pk else "create"
    with recorded_change(
        update, acting_user=acting_user, action=f"actionplans.update.{verb}", message=LEADERS_NOTE
    ):
        for field in ("timeline", "scope", "resources", "narrative"):
            setattr(update, field, data[field])
        update.submitted_by = acting_user
    return update


def missing_updates(month: dt.date) -> list[ActionTeam]:
    """Teams with no update for the month."""
    done = StatusUpdate.objects.filter(month=month_start(month)).values("team_id")
    return list(ActionTeam.objects.exclude(id__in=done).select_related("lead", "priority"))


@transaction.atomic
def save_action(
    plan: ActionPlan, action: PlanAction | None, data: dict[str, Any], *, acting_user: Any
) -> PlanAction:
    action = action or PlanAction(plan=plan)
    verb = "change" if action.pk else "create"
    with recorded_change(
        action, acting_user=acting_user, action=f"actionplans.action.{verb}", message=LEADERS_NOTE
    ):
        for field, value in data.items():
            setattr(action, field, value)
    return action


@transaction.atomic
def remove_action(action: PlanAction, *, acting_user: Any) -> None:
    """Remove an action from its plan, keeping what it was in the audit log."""
    require(acting_user, action, "delete", message=LEADERS_NOTE)
    before = snapshot(action)
    record(actor=acting_user, action="actionplans.action.delete", obj=action, before=before)
    action.delete()


def next_school_year(name: str) -> str:
    start = int(name[:4]) + 1
    return f"{start}-{start + 1}"


def closing_opens(school_year: str) -> dt.date | None:
    """The first day a year's plan may be closed: the first of the school year's last month
    (None when the year is not in the calendar)."""
    from districtpm.org.models import SchoolYear

    year = SchoolYear.objects.filter(name=school_year).first()
    return year.end_date.replace(day=1) if year else None


@transaction.atomic
def close_year(plan: ActionPlan, evaluation: str, *, acting_user: Any) -> ActionPlan:
    """Record the year-end evaluation and start next year's plan with the open actions."""
    require(acting_user, plan, message=LEADERS_NOTE)
    if not evaluation.strip():
        raise ValidationError("Write the year-end evaluation before closing the year.")
    if plan.evaluated_at:
        raise ValidationError(f"The {plan.school_year} plan was closed already.")
    opens = closing_opens(plan.school_year)
    if opens and timezone.localdate() < opens:
        raise ValidationError(
            f"The {plan.school_year} plan can be closed from {opens:%-d %B %Y}, its last month."
        )
    before = snapshot(plan)
    plan.evaluation = evaluation.strip()
    plan.evaluated_at = timezone.now()
    plan.save()
    nxt, _ = ActionPlan.objects.get_or_create(
        team=plan.team,
        school_year=next_school_year(plan.school_year),
        defaults={"objective": plan.objective, "carried_from": plan},
    )
    carried = 0
    for action in plan.actions.exclude(status=PlanAction.Status.DONE):
        PlanAction.objects.create(
            plan=nxt,
            name=action.name,
            milestone=action.milestone,
            owner=action.owner,
            due_date=None,
            resources=action.resources,
            status=action.status
            if action.status != PlanAction.Status.DELAYED
            else PlanAction.Status.IN_PROGRESS,
            carried_from=action,
        )
        carried += 1
    record(
        actor=acting_user,
        action="actionplans.plan.close_year",
        obj=plan,
        before=before,
        after={**snapshot(plan), "carried_actions": carried, "next_plan": nxt.school_year},
    )
    return nxt


@transaction.atomic
def save_team(form: Any, *, acting_user: Any) -> ActionTeam:
    """Create or change a team from its validated form."""
    require(acting_user, form.instance, message="Only district leaders set up action teams.")
    # The form's instance already holds the posted values: the state before is the stored row.
    stored = ActionTeam.objects.filter(pk=form.instance.pk).first() if form.instance.pk else None
    before = snapshot(stored) if stored else None
    team = form.save()
    record(
        actor=acting_user,
        action="actionplans.team." + ("create" if before is None else "update"),
        obj=team,
        before=before,
        after=snapshot(team),
    )
    return team


@transaction.atomic
def start_plan(
    team: ActionTeam, school_year: str, objective: str, *, acting_user: Any
) -> ActionPlan:
    require(acting_user, ActionPlan(team=team), message=LEADERS_NOTE)
    plan, created = ActionPlan.objects.get_or_create(
        team=team, school_year=school_year, defaults={"objective": objective.strip()}
    )
    if created:
        record(actor=acting_user, action="actionplans.plan.create", obj=plan, after=snapshot(plan))
    return plan
