"""Educator evaluation in the demo district: the framework for the current year and the two
before it (those closed), and an evaluation for every evaluated educator in each: the two
closed years final, with their scores and rationales; this year scored in part, so that a few
teachers are projected below effective and some lose their footing.

Evaluations are written in bulk (the demo builder is the system and its history generated): the
audit log holds the live changes people make, not these."""

from __future__ import annotations

import random

from django.utils import timezone

from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, scoring
from districtpm.evaluation.models import ComponentScore, Evaluation, Framework
from districtpm.org.models import Assignment, SchoolYear

RATIONALES = {
    1: "The evidence from observations and student work falls short of the expectation.",
    2: "Partly there: the practice is uneven across the observations.",
    3: "Consistent, solid practice across the observations and the year's evidence.",
    4: "Strong practice that colleagues learn from; the evidence is consistent all year.",
}


def build_demo_evaluations(seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 43)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    years = list(
        SchoolYear.objects.filter(start_date__lte=current.start_date).order_by("-start_date")[:3]
    )[::-1]
    frameworks: list[Framework] = []
    for year in years:
        framework = (
            actions.copy_to_year(frameworks[-1], year, acting_user=SYSTEM)
            if frameworks
            else actions.create_from_preset(year, acting_user=SYSTEM)
        )
        frameworks.append(framework)
    people = list(
        Assignment.objects.filter(primary=True, position__evaluated=True, staff__active=True)
        .select_related("staff", "school")
        .order_by("staff_id")
    )
    # each educator's usual level of practice: most effective, some strong, a few struggling
    usual = {
        a.staff_id: rng.choices([1.8, 2.5, 3.2, 3.6], weights=[3, 9, 63, 25])[0] for a in people
    }
    counts = {"evaluations": 0, "scores": 0}
    for framework in frameworks:
        closed = framework.school_year != current
        components = list(framework.components.all())
        sets = {ws.default: ws for ws in framework.weight_sets.all()}
        levels = list(framework.levels.all())
        weights = {
            ws.pk: {w.component_id: w.percent for w in ws.weights.all()} for ws in sets.values()
        }
        evaluations, scores = [], []
        for a in people:
            ws = sets[rng.random() < 0.7]  # most teach grades with a student survey
            level = usual[a.staff_id]
            e = Evaluation(
                staff=a.staff,
                school=a.school,
                school_year=framework.school_year,
                framework=framework,
                weight_set=ws,
            )
            given = {}
            for c in components:
                if weights[ws.pk].get(c.pk, 0) == 0:
                    continue
                if not closed and c.kind not in {"observation", "professionalism"}:
                    continue  # this year: survey and growth come in the spring
                if not closed and c.kind == "professionalism" and rng.random() < 0.5:
                    continue
                point = min(4.0, max(1.0, rng.gauss(level, 0.25)))
                value = round(c.scale_min + (point - 1) / 3 * (c.scale_max - c.scale_min), 1)
                given[c] = value
                scores.append(
                    ComponentScore(
                        evaluation=e, component=c, score=value, rationale=RATIONALES[round(point)]
                    )
                )
            if closed:
                outcome = scoring.overall(
                    given,
                    {c: weights[ws.pk][c.pk] for c in components if c.pk in weights[ws.pk]},
                    levels,
                )
                e.state = Evaluation.State.FINAL
                e.final_score, e.final_level = outcome.score, outcome.level
                e.rationale = RATIONALES[max(1, min(4, outcome.level.order))]
                e.finalised_at = timezone.now()
            evaluations.append(e)
        Evaluation.objects.bulk_create(evaluations)
        ComponentScore.objects.bulk_create(scores)
        counts["evaluations"] += len(evaluations)
        counts["scores"] += len(scores)
        if closed:
            Framework.objects.filter(pk=framework.pk).update(closed=True)
    return counts
