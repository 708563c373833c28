"""Every write to a school's plan and its Blueprint: atomic, permission first, one audit row.

A plan's parts (areas of focus, initiatives, steps, measures, checkpoints) are saved and removed
through two actions that know each part's parent and fields, so each kind does not need its own
pair; what a kind checks beyond its model's own validation is in `_check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from districtpm.audit.log import record, recorded_change, snapshot
from districtpm.core.scoping import SYSTEM, access_for, require
from districtpm.improvement import rules
from districtpm.improvement.models import (
    Blueprint,
    BlueprintMeasure,
    Checkpoint,
    FocusArea,
    InitiativeMeasure,
    PlanComment,
    SchoolInitiative,
    SchoolPlan,
    SchoolPlanStep,
)
from districtpm.org.models import SchoolYear

TEAM_ONLY = "Only the school's leadership team changes its plan."


@dataclass(frozen=True)
class Part:
    model: type[models.Model]
    parent: str
    fields: tuple[str, ...]
    noun: str


PARTS: dict[str, Part] = {
    "area": Part(FocusArea, "plan", ("name", "problem", "order"), "area of focus"),
    "initiative": Part(
        SchoolInitiative, "area", ("name", "name_es", "description", "order"), "initiative"
    ),
    "step": Part(
        SchoolPlanStep,
        "initiative",
        ("name", "milestone", "owner", "starts_on", "due_date", "resources", "status"),
        "step",
    ),
    "measure": Part(
        InitiativeMeasure,
        "initiative",
        ("kind", "metric", "group_dim", "group_value", "target"),
        "measure",
    ),
    "checkpoint": Part(Checkpoint, "plan", ("on", "reviewers", "looks_at"), "checkpoint"),
}


def kind_of(obj: models.Model) -> str:
    return next(k for k, p in PARTS.items() if isinstance(obj, p.model))


def plan_of(obj: models.Model) -> SchoolPlan:
    """The plan a part belongs to."""
    while not isinstance(obj, SchoolPlan):
        obj = getattr(obj, PARTS[kind_of(obj)].parent)
    return obj


@transaction.atomic
def start_plan(school: Any, year: SchoolYear, *, acting_user: Any) -> SchoolPlan:
    """The school's plan for the year, started empty if it has none."""
    plan = SchoolPlan(school=school, school_year=year)
    require(acting_user, plan, message=TEAM_ONLY)
    existing = SchoolPlan.objects.filter(school=school, school_year=year).first()
    if existing:
        return existing
    plan.created_by = acting_user if getattr(acting_user, "pk", None) else None
    plan.save()
    record(actor=acting_user, action="improvement.plan.start", obj=plan, after=snapshot(plan))
    return plan


@transaction.atomic
def save_theory_of_action(plan: SchoolPlan, text: str, *, acting_user: Any) -> SchoolPlan:
    with recorded_change(
        plan, acting_user=acting_user, action="improvement.plan.theory", message=TEAM_ONLY
    ):
        plan.theory_of_action = text.strip()[:2000]
    return plan


def _check(obj: models.Model, plan: SchoolPlan) -> None:
    """What a part must satisfy beyond its model's field validation."""
    if isinstance(obj, SchoolPlanStep) and obj.starts_on and obj.due_date:
        if obj.due_date < obj.starts_on:
            raise ValidationError("A step cannot be due before it starts.")
    if isinstance(obj, SchoolPlanStep) and obj.owner_id:
        if not obj.owner.role_assignments.filter(school_id=plan.school_id).exists():
            raise ValidationError("A step's owner is someone who works at the school.")
    if isinstance(obj, FocusArea) and obj.problem_id and obj.problem.school_id != plan.school_id:
        raise ValidationError("Choose one of the school's own problem statements.")
    if isinstance(obj, Checkpoint):
        year = plan.school_year
        if not year.start_date <= obj.on <= year.end_date:
            raise ValidationError(
                f"A checkpoint of the {year} plan falls within the year "
                f"({year.start_date:%-d %b %Y} to {year.end_date:%-d %b %Y})."
            )


@transaction.atomic
def save_part(obj: models.Model, data: dict[str, Any], *, acting_user: Any) -> models.Model:
    """Create or change one part of a plan with the fields of `data` its kind takes."""
    kind = kind_of(obj)
    part = PARTS[kind]
    verb = "change" if obj.pk else "create"
    unknown = set(data) - set(part.fields)
    if unknown:
        raise ValidationError(f"A {part.noun} has no {', '.join(sorted(unknown))}.")
    with recorded_change(
        obj, acting_user=acting_user, action=f"improvement.plan.{kind}.{verb}", message=TEAM_ONLY
    ):
        for field, value in data.items():
            setattr(obj, field, value.strip() if isinstance(value, str) else value)
        _check(obj, plan_of(obj))
    return obj


@transaction.atomic
def remove_part(obj: models.Model, *, acting_user: Any) -> None:
    kind = kind_of(obj)
    require(acting_user, obj, "delete", TEAM_ONLY)
    record(
        actor=acting_user,
        action=f"improvement.plan.{kind}.remove",
        obj=obj,
        before={**snapshot(obj), **_inside(obj)},
    )
    obj.delete()


def _inside(obj: models.Model) -> dict[str, Any]:
    """What goes with a part when it is removed, kept in its audit row."""
    if isinstance(obj, FocusArea):
        return {
            "initiatives": [
                {**snapshot(i), **_inside(i)} for i in SchoolInitiative.objects.filter(area=obj)
            ]
        }
    if isinstance(obj, SchoolInitiative):
        return {
            "steps": [snapshot(s) for s in SchoolPlanStep.objects.filter(initiative=obj)],
            "measures": [snapshot(m) for m in InitiativeMeasure.objects.filter(initiative=obj)],
        }
    return {}


@transaction.atomic
def record_checkpoint(
    checkpoint: Checkpoint, status: str, evidence: str, *, acting_user: Any
) -> Checkpoint:
    """What the review found: a status on the action teams' scale and the evidence for it."""
    from districtpm.actionplans.models import RATINGS

    if status not in dict(RATINGS):
        raise ValidationError("Choose on track, at risk or off track.")
    if not evidence.strip():
        raise ValidationError("Say what the evidence was.")
    with recorded_change(
        checkpoint,
        acting_user=acting_user,
        action="improvement.plan.checkpoint.record",
        message=TEAM_ONLY,
    ):
        checkpoint.status = status
        checkpoint.evidence = evidence.strip()[:3000]
        checkpoint.recorded_by = acting_user if getattr(acting_user, "pk", None) else None
        checkpoint.recorded_at = timezone.now()
    return checkpoint


@transaction.atomic
def add_comment(plan: SchoolPlan, text: str, *, acting_user: Any) -> PlanComment:
    comment = PlanComment(plan=plan)
    require(acting_user, comment, "create", "Only those who see the plan comment on it.")
    comment.text = text.strip()[:2000]
    if not comment.text:
        raise ValidationError("Write the comment first.")
    comment.author = acting_user if getattr(acting_user, "pk", None) else None
    comment.save()
    record(
        actor=acting_user, action="improvement.plan.comment", obj=comment, after=snapshot(comment)
    )
    return comment


@transaction.atomic
def remove_comment(comment: PlanComment, *, acting_user: Any) -> None:
    require(acting_user, comment, "delete", "Only its author removes a comment.")
    record(
        actor=acting_user,
        action="improvement.plan.comment.remove",
        obj=comment,
        before=snapshot(comment),
    )
    comment.delete()


# --- the Blueprint ----------------------------------------------------------------------------


def blueprint_of(plan: SchoolPlan) -> Blueprint:
    """The plan's Blueprint, unsaved and empty if it has none yet."""
    try:
        return plan.blueprint
    except Blueprint.DoesNotExist:
        return Blueprint(plan=plan)


@transaction.atomic
def save_blueprint(
    plan: SchoolPlan, *, goals: str, goals_es: str, theory_es: str, acting_user: Any
) -> Blueprint:
    blueprint = blueprint_of(plan)
    with recorded_change(
        blueprint,
        acting_user=acting_user,
        action="improvement.blueprint.change" if blueprint.pk else "improvement.blueprint.create",
        message=TEAM_ONLY,
    ):
        blueprint.goals = goals.strip()[:1500]
        blueprint.goals_es = goals_es.strip()[:1500]
        blueprint.theory_of_action_es = theory_es.strip()[:2000]
    return blueprint


@transaction.atomic
def set_blueprint_measure(
    blueprint: Blueprint,
    area: str,
    *,
    metric: Any,
    label: str,
    label_es: str = "",
    target: float | None = None,
    acting_user: Any,
) -> BlueprintMeasure | None:
    """Set (or with no metric, clear) the Blueprint's measure for one area."""
    if area not in BlueprintMeasure.Area.values:
        raise ValidationError("Choose reading, mathematics, thriving or belonging.")
    measure = BlueprintMeasure.objects.filter(blueprint=blueprint, area=area).first()
    if metric is None:
        if measure:
            remove_blueprint_measure(measure, acting_user=acting_user)
        return None
    from districtpm.improvement.blueprint import public_metric

    if not public_metric(metric):
        raise ValidationError(
            f"{metric.name} cannot be a Blueprint measure: a Blueprint shows the school's "
            "values for all students, and this metric has none (a gap, or no school values)."
        )
    label = (label.strip() or metric.name)[:200]
    if measure is not None and (
        measure.metric_id,
        measure.label,
        measure.label_es,
        measure.target,
    ) == (metric.pk, label, label_es.strip()[:200], target):
        return measure  # unchanged: nothing to save or audit
    measure = measure or BlueprintMeasure(blueprint=blueprint, area=area)
    with recorded_change(
        measure,
        acting_user=acting_user,
        action="improvement.blueprint.measure",
        message=TEAM_ONLY,
    ):
        measure.metric = metric
        measure.label = label
        measure.label_es = label_es.strip()[:200]
        measure.target = target
    return measure


@transaction.atomic
def remove_blueprint_measure(measure: BlueprintMeasure, *, acting_user: Any) -> None:
    require(acting_user, measure, "delete", TEAM_ONLY)
    record(
        actor=acting_user,
        action="improvement.blueprint.measure.remove",
        obj=measure,
        before=snapshot(measure),
    )
    measure.delete()


def _may_publish(blueprint: Blueprint, acting_user: Any) -> None:
    if acting_user is SYSTEM:
        return
    schools = rules.publishing_schools(access_for(acting_user))
    if blueprint.plan.school_id not in schools:
        raise PermissionDenied("Only the school's principal publishes its Blueprint.")


@transaction.atomic
def publish_blueprint(blueprint: Blueprint, *, acting_user: Any) -> Blueprint:
    """Put the Blueprint on its public address; it needs goals, a theory of action and an
    initiative first, so the public never sees an empty page."""
    _may_publish(blueprint, acting_user)
    plan = blueprint.plan
    missing = [
        what
        for what, present in [
            ("goals", blueprint.goals.strip()),
            ("a theory of action", plan.theory_of_action.strip()),
            ("an initiative", SchoolInitiative.objects.filter(area__plan=plan).exists()),
        ]
        if not present
    ]
    if missing:
        raise ValidationError(f"Before publishing, the Blueprint needs {', '.join(missing)}.")
    return _set_published(blueprint, publish=True, acting_user=acting_user)


@transaction.atomic
def unpublish_blueprint(blueprint: Blueprint, *, acting_user: Any) -> Blueprint:
    _may_publish(blueprint, acting_user)
    return _set_published(blueprint, publish=False, acting_user=acting_user)


def _set_published(blueprint: Blueprint, *, publish: bool, acting_user: Any) -> Blueprint:
    before = snapshot(blueprint)
    from districtpm.improvement.blueprint import words

    blueprint.published_at = timezone.now() if publish else None
    blueprint.published_content = words(blueprint) if publish else {}
    blueprint.published_by = acting_user if publish and getattr(acting_user, "pk", None) else None
    blueprint.save()
    record(
        actor=acting_user,
        action=f"improvement.blueprint.{'publish' if publish else 'unpublish'}",
        obj=blueprint,
        before=before,
        after=snapshot(blueprint),
    )
    return blueprint
