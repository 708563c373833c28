"""Every change to the plan goes through here: permission, transaction, audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import require
from districtpm.plans.models import Goal, Plan, Target

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
