"""Every change to the plan goes through here: permission, transaction, audit row."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import require
from districtpm.plans.models import Commentary, Goal, Plan, Target

PLAN_NOTE = "Your role does not allow changing the plan."


@transaction.atomic
def create_plan(data: dict[str, Any], *, acting_user: Any) -> Plan:
    require(acting_user, Plan, message=PLAN_NOTE)
    plan = Plan(**data)
    plan.full_clean()
    plan.save()
    record(actor=acting_user, action="plans.plan.create", obj=plan, after=snapshot(plan))
    return plan


def _targets(goal: Goal) -> dict[str, float]:
    return {t.school_year: t.value for t in goal.targets.all()}


@transaction.atomic
def save_goal(
    goal_id: int | None,
    data: dict[str, Any],
    targets: dict[str, float],
    *,
    plan: Plan,
    acting_user: Any,
) -> Goal:
    """Create or change a goal and its yearly targets; the audit row holds both."""
    require(acting_user, Goal, message=PLAN_NOTE)
    leading = data.pop("leading_metrics", None)
    if goal_id is None:
        goal, before = Goal(plan=plan), None
    else:
        goal = Goal.objects.select_for_update().get(pk=goal_id)
        before = {**snapshot(goal), "targets": _targets(goal)}
    for name, value in data.items():
        setattr(goal, name, value)
    goal.full_clean()
    goal.save()
    if leading is not None:
        goal.leading_metrics.set(leading)
    goal.targets.exclude(school_year__in=list(targets)).delete()
    for year, value in targets.items():
        Target.objects.update_or_create(goal=goal, school_year=year, defaults={"value": value})
    after = {**snapshot(goal), "targets": _targets(goal)}
    if before != after:
        record(
            actor=acting_user,
            action="plans.goal." + ("create" if before is None else "update"),
            obj=goal,
            before=before,
            after=after,
        )
    return goal


@transaction.atomic
def save_part(form: Any, *, acting_user: Any, plan: Plan | None = None) -> Any:
    """Create or change a part of the plan (the plan itself, a priority, an initiative, a key
    action) from its validated form; the audit row holds before and after."""
    require(acting_user, form.instance, message=PLAN_NOTE)
    obj = form.instance
    label = obj._meta.model_name
    before = None
    if obj.pk:
        stored = type(obj).objects.filter(pk=obj.pk).first()
        before = snapshot(stored) if stored else None
    obj = form.save(commit=False)
    if plan is not None and hasattr(obj, "plan_id") and not obj.plan_id:
        obj.plan = plan
    obj.full_clean()
    obj.save()
    form.save_m2m()
    after = snapshot(obj)
    if before != after:
        record(
            actor=acting_user,
            action=f"plans.{label}." + ("create" if before is None else "update"),
            obj=obj,
            before=before,
            after=after,
        )
    return obj


COMMENTARY_NOTE = "Only the goal's owner or the plan's keepers write its commentary."


@transaction.atomic
def save_commentary(
    goal: Goal, month: Any, data: dict[str, str], *, submit: bool, acting_user: Any
) -> Commentary:
    """Write (or rewrite) a goal's commentary for a month, as a draft or sent for approval.
    Rewriting an approved commentary takes it back to the office."""
    month = month.replace(day=1)
    commentary = Commentary.objects.filter(goal=goal, month=month).first() or Commentary(
        goal=goal, month=month
    )
    require(acting_user, commentary, message=COMMENTARY_NOTE)
    before = snapshot(commentary) if commentary.pk else None
    for field in ("what_happened", "why", "what_next"):
        setattr(commentary, field, data.get(field, "").strip())
    commentary.state = Commentary.State.SUBMITTED if submit else Commentary.State.DRAFT
    commentary.written_by = acting_user
    commentary.reviewed_by, commentary.reviewed_at, commentary.review_note = None, None, ""
    commentary.full_clean()
    commentary.save()
    verb = "submit" if submit else "save"
    record(
        actor=acting_user,
        action=f"plans.commentary.{verb}",
        obj=commentary,
        before=before,
        after=snapshot(commentary),
    )
    return commentary


@transaction.atomic
def review_commentary(
    commentary: Commentary, *, approve: bool, note: str = "", acting_user: Any
) -> Commentary:
    """Approve a commentary for the Board, or return it to its writer with a note."""
    require(
        acting_user,
        commentary,
        "approve",
        message="Only the performance management office approves commentary.",
    )
    if commentary.state != Commentary.State.SUBMITTED:
        raise ValidationError("Only a commentary sent for approval can be approved or returned.")
    if not approve and not note.strip():
        raise ValidationError("Say what to change when returning a commentary.")
    before = snapshot(commentary)
    commentary.state = Commentary.State.APPROVED if approve else Commentary.State.RETURNED
    commentary.reviewed_by = acting_user
    commentary.reviewed_at = timezone.now()
    commentary.review_note = note.strip()
    commentary.save()
    record(
        actor=acting_user,
        action="plans.commentary." + ("approve" if approve else "return"),
        obj=commentary,
        before=before,
        after=snapshot(commentary),
    )
    return commentary
