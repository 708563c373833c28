"""Every write to an evaluation, and every read of one by someone other than its teacher: each
audited. Scores change while the evaluation is open; finalising needs every weighted
component scored and a rationale for each score and for the overall rating; reopening a final
evaluation needs a reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from districtpm.audit.log import record, snapshot
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM, access_for, require
from districtpm.evaluation import scoring
from districtpm.evaluation.models import Component, ComponentScore, Evaluation

SCORERS = "Only the teacher's evaluator and principal score and finalise the evaluation."


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


def read(queryset: Any, user: Any, **lookup: Any) -> Evaluation:
    """One evaluation the user may read (404 otherwise); a read by anyone but its teacher
    leaves an audit row."""
    try:
        evaluation = queryset.visible_to(user).select_related("staff").get(**lookup)
    except Evaluation.DoesNotExist as exc:
        raise Http404("No such evaluation, or it is outside your access.") from exc
    if evaluation.staff.user_id != getattr(user, "pk", None):
        record(actor=user, action="evaluation.read", obj=evaluation, note="personnel record")
    return evaluation


@transaction.atomic
def open_evaluation(
    staff: Any, school: Any, framework: Any, weight_set: Any = None, *, acting_user: Any
) -> Evaluation:
    """Start an educator's evaluation for the framework's year: by the school's principal or
    an HR partner."""
    if acting_user is not SYSTEM:
        access = access_for(acting_user)
        if school.pk not in access.schools_for(Role.PRINCIPAL) and Role.HR_PARTNER not in (
            access.roles
        ):
            raise PermissionDenied("Only the school's principal or HR starts an evaluation.")
    if not staff.assignments.filter(school=school).exists():
        raise ValidationError(f"{staff} does not work at {school}.")
    weight_set = weight_set or framework.weight_sets.filter(default=True).first()
    if weight_set is None or weight_set.framework_id != framework.pk:
        raise ValidationError("Choose one of the framework's weight sets.")
    if Evaluation.objects.filter(staff=staff, school_year=framework.school_year).exists():
        raise ValidationError(f"{staff} has an evaluation for {framework.school_year} already.")
    evaluation = Evaluation.objects.create(
        staff=staff,
        school=school,
        school_year=framework.school_year,
        framework=framework,
        weight_set=weight_set,
    )
    record(actor=acting_user, action="evaluation.open", obj=evaluation, after=snapshot(evaluation))
    return evaluation


def _open(evaluation: Evaluation) -> None:
    if evaluation.state == Evaluation.State.FINAL:
        raise ValidationError("The evaluation is final: reopen it, with a reason, to change it.")


@transaction.atomic
def score_component(
    evaluation: Evaluation,
    component: Component,
    score: float,
    rationale: str = "",
    *,
    acting_user: Any,
) -> ComponentScore:
    require(acting_user, evaluation, message=SCORERS)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _open(evaluation)
    if component.framework_id != evaluation.framework_id:
        raise ValidationError("Score one of the evaluation's own components.")
    scoring.overall({component: score}, {component: 1}, [])  # refuses a score off the scale
    existing = ComponentScore.objects.filter(evaluation=evaluation, component=component).first()
    before = snapshot(existing) if existing else None
    row = existing or ComponentScore(evaluation=evaluation, component=component)
    row.score, row.rationale = score, rationale.strip()[:4000]
    row.scored_by = _user(acting_user)
    row.save()
    record(
        actor=acting_user,
        action="evaluation.score",
        obj=evaluation,
        before=before,
        after=snapshot(row),
    )
    return row


def result(
    evaluation: Evaluation, *, shared_only: bool = False, from_observations: bool = True
) -> scoring.Result:
    """The overall score and level from the scores in so far (a projection until all are in).
    An observation component not scored yet counts the mean of the observations' indicator
    scores (only those shared with the teacher, for the teacher's own view)."""
    # .all(): a list page prefetches these (PREFETCH) and asks no query per evaluation
    weights = {w.component: w.percent for w in evaluation.weight_set.weights.all()}
    scores = {s.component: s.score for s in evaluation.scores.all()}
    if from_observations and evaluation.state == Evaluation.State.OPEN:
        observed = observed_means(evaluation, shared_only=shared_only)
        for component in weights:
            if component not in scores and component.pk in observed:
                scores[component] = observed[component.pk]
    return scoring.overall(scores, weights, list(evaluation.framework.levels.all()))


def observed_means(evaluation: Evaluation, *, shared_only: bool = False) -> dict[int, float]:
    """Component id → the mean indicator score over the evaluation's observations."""
    totals: dict[int, list[float]] = {}
    for observation in evaluation.observations.all():
        if shared_only and observation.shared_at is None:
            continue
        for s in observation.scores.all():
            totals.setdefault(s.indicator.component_id, []).append(s.score)
    return {pk: round(sum(v) / len(v), 2) for pk, v in totals.items()}


PREFETCH = (
    "weight_set__weights__component",
    "scores__component",
    "framework__levels",
    "observations__scores__indicator",
)


@transaction.atomic
def finalise(evaluation: Evaluation, rationale: str, *, acting_user: Any) -> Evaluation:
    """Make the overall rating final. Every weighted component is scored, each score and the
    overall rating have a rationale: otherwise nothing changes and the message says what is
    missing."""
    require(acting_user, evaluation, message=SCORERS)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _open(evaluation)
    outcome = result(evaluation, from_observations=False)  # a final score is given, not inferred
    problems = []
    if outcome.missing:
        problems.append("Not scored yet: " + ", ".join(c.name for c in outcome.missing) + ".")
    unexplained = [
        s.component.name
        for s in evaluation.scores.select_related("component")
        if not s.rationale.strip()
    ]
    if unexplained:
        problems.append("A rationale is needed for: " + ", ".join(unexplained) + ".")
    if not rationale.strip():
        problems.append("A rationale is needed for the overall rating.")
    if problems:
        raise ValidationError(problems)
    before = snapshot(evaluation)
    evaluation.state = Evaluation.State.FINAL
    evaluation.final_score = outcome.score
    evaluation.final_level = outcome.level
    evaluation.rationale = rationale.strip()[:4000]
    evaluation.finalised_at = timezone.now()
    evaluation.finalised_by = _user(acting_user)
    evaluation.save()
    record(
        actor=acting_user,
        action="evaluation.finalise",
        obj=evaluation,
        before=before,
        after=snapshot(evaluation),
    )
    return evaluation


@transaction.atomic
def reopen(evaluation: Evaluation, reason: str, *, acting_user: Any) -> Evaluation:
    require(acting_user, evaluation, message=SCORERS)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.state != Evaluation.State.FINAL:
        raise ValidationError("The evaluation is open already.")
    if evaluation.framework.closed:
        raise ValidationError(f"The {evaluation.school_year} ratings are closed.")
    if not reason.strip():
        raise ValidationError("Give the reason for reopening a final rating.")
    before = snapshot(evaluation)
    evaluation.state = Evaluation.State.OPEN
    evaluation.finalised_at = None
    evaluation.finalised_by = None
    evaluation.save()
    record(
        actor=acting_user,
        action="evaluation.reopen",
        obj=evaluation,
        before=before,
        after=snapshot(evaluation),
        note=reason.strip()[:500],
    )
    return evaluation
