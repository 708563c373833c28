"""Changes to action teams' work: status updates, plans and actions, reminders, year end.
Each goes through one function with its permission check, transaction and audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from districtpm.accounts.roles import DISTRICT_LEADERS
from districtpm.accounts.scoping import access_for
from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction, Reminder, StatusUpdate
from districtpm.audit.log import record, snapshot
from districtpm.lib import plaintext

LEADERS_NOTE = "Only the team's lead, its members or the performance management office may do this."


def can_update(user: Any, team: ActionTeam) -> bool:
    """The team's lead, its members, and the performance management office send updates."""
    access = access_for(user)
    if access.has_role("district_admin", "pm_office") or team.lead_id == access.user_id:
        return True
    return team.name in access.teams and access.has_role("action_team_lead", "action_team_member")


def can_change(user: Any, team: ActionTeam) -> bool:
    access = access_for(user)
    if not access.can("actionplans.change"):
        return False
    return access.has_role(*DISTRICT_LEADERS) or (
        team.lead_id == access.user_id
        or (team.name in access.teams and access.has_role("action_team_lead"))
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def submit_update(
    team: ActionTeam, month: dt.date, data: dict[str, Any], *, user: Any
) -> StatusUpdate:
    """Create or replace the team's update for a month."""
    if not can_update(user, team):
        raise PermissionDenied(LEADERS_NOTE)
    month = month_start(month)
    # Lock the team's row first, so two people sending the same month at once take turns: the
    # second then replaces the first's update instead of failing to insert a second one. On
    # PostgreSQL this is the row lock; SQLite's IMMEDIATE transactions already take turns.
    ActionTeam.objects.select_for_update().filter(pk=team.pk).values_list("pk").first()
    update = StatusUpdate.objects.filter(team=team, month=month).first()
    before = snapshot(update) if update else None
    if update is None:
        update = StatusUpdate(team=team, month=month)
    for field in ("timeline", "scope", "resources", "narrative"):
        setattr(update, field, data[field])
    update.submitted_by = user
    update.full_clean()
    update.save()
    record(
        actor=user,
        action="actionplans.update." + ("create" if before is None else "change"),
        obj=update,
        before=before,
        after=snapshot(update),
    )
    return update


def missing_updates(month: dt.date) -> list[ActionTeam]:
    """Teams with no update for the month."""
    done = StatusUpdate.objects.filter(month=month_start(month)).values("team_id")
    return list(ActionTeam.objects.exclude(id__in=done).select_related("lead", "priority"))


def send_reminders(today: dt.date | None = None, days_before: int = 3) -> list[Reminder]:
    """One email to each team lead whose update for the month is missing, in the days before
    that month's Explore meeting. A team is reminded once per month, however often this runs."""
    from districtpm.meetings.models import Meeting

    today = today or timezone.localdate()
    upcoming = Meeting.objects.filter(
        rule__kind="explore",
        date__gte=today,
        date__lte=today + dt.timedelta(days=days_before),
    ).select_related("priority", "rule")
    sent = []
    for meeting in upcoming:
        month = meeting.focus_month
        for team in missing_updates(month):
            lead = team.lead
            if lead is None or not lead.email:
                continue
            if Reminder.objects.filter(team=team, month=month).exists():
                continue
            link = settings.DISTRICTPM_BASE_URL + reverse(
                "actionplans:update", args=[team.pk, month.isoformat()]
            )
            # Sent before anything is written and outside any transaction: a slow mail server
            # must not hold the database's write lock, and a failed send records nothing, so
            # the next run tries again. (Two runs at the same moment could both send.)
            # Names are free text: a line break in a subject would be a header injection
            # (Django refuses it with BadHeaderError, which would stop the whole run).
            send_mail(
                subject=plaintext.one_line(
                    f"{team.name}: your {month:%B} status update is due before Explore"
                ),
                message=plaintext.clean(
                    f"Hello {lead.first_name or lead.username},\n\n"
                    f"The {team.name} action team has not yet sent its status update for "
                    f"{month:%B %Y}. The Explore meeting on {meeting.date:%A %-d %B} "
                    f"({meeting.priority.name} in focus) reviews every team's update.\n\n"
                    f"Rate timeline, scope and resources and add a few lines here:\n{link}\n\n"
                    "District PM"
                ),
                from_email=None,
                recipient_list=[lead.email],
            )
            with transaction.atomic():
                reminder, created = Reminder.objects.get_or_create(
                    team=team, month=month, defaults={"sent_to": lead.email, "meeting": meeting}
                )
                if created:
                    record(
                        actor=None,
                        action="actionplans.reminder.send",
                        obj=reminder,
                        after={"team": team.name, "month": month.isoformat(), "to": lead.email},
                        source="system",
                    )
            if created:
                sent.append(reminder)
    return sent


@transaction.atomic
def save_action(
    plan: ActionPlan, action: PlanAction | None, data: dict[str, Any], *, user: Any
) -> PlanAction:
    if not can_change(user, plan.team):
        raise PermissionDenied(LEADERS_NOTE)
    before = snapshot(action) if action else None
    action = action or PlanAction(plan=plan)
    for field, value in data.items():
        setattr(action, field, value)
    action.full_clean()
    action.save()
    record(
        actor=user,
        action="actionplans.action." + ("create" if before is None else "change"),
        obj=action,
        before=before,
        after=snapshot(action),
    )
    return action


def next_school_year(name: str) -> str:
    start = int(name[:4]) + 1
    return f"{start}-{start + 1}"


@transaction.atomic
def close_year(plan: ActionPlan, evaluation: str, *, user: Any) -> ActionPlan:
    """Record the year-end evaluation and start next year's plan with the open actions."""
    if not can_change(user, plan.team):
        raise PermissionDenied(LEADERS_NOTE)
    if not evaluation.strip():
        raise ValidationError("Write the year-end evaluation before closing the year.")
    if plan.evaluated_at:
        raise ValidationError(f"The {plan.school_year} plan was closed already.")
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
        actor=user,
        action="actionplans.plan.close_year",
        obj=plan,
        before=before,
        after={**snapshot(plan), "carried_actions": carried, "next_plan": nxt.school_year},
    )
    return nxt


@transaction.atomic
def save_team(form: Any, *, user: Any) -> ActionTeam:
    """Create or change a team from its validated form (the view checks the permission)."""
    before = snapshot(form.instance) if form.instance.pk else None
    team = form.save()
    record(
        actor=user,
        action="actionplans.team." + ("create" if before is None else "update"),
        obj=team,
        before=before,
        after=snapshot(team),
    )
    return team


@transaction.atomic
def start_plan(team: ActionTeam, school_year: str, objective: str, *, user: Any) -> ActionPlan:
    if not can_change(user, team):
        raise PermissionDenied(LEADERS_NOTE)
    plan, created = ActionPlan.objects.get_or_create(
        team=team, school_year=school_year, defaults={"objective": objective.strip()}
    )
    if created:
        record(actor=user, action="actionplans.plan.create", obj=plan, after=snapshot(plan))
    return plan
