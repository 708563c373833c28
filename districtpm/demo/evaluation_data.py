"""Educator evaluation in the demo district: the framework for the current year and the two
before it (those closed), and an evaluation for every evaluated educator in each: the two
closed years final, with their scores and rationales; this year scored in part, so that a few
teachers are projected below effective and some lose their footing.

Evaluations are written in bulk (the demo builder is the system and its history generated): the
audit log holds the live changes people make, not these."""

from __future__ import annotations

import datetime as dt
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


NOTES = [
    "Students restate the learning goal in their own words.",
    "Most students are talking about the task with a partner.",
    "Three students are off task at the back table for several minutes.",
    "The teacher checks for understanding with a quick show of hands.",
    "Questions ask students to explain, not only to answer.",
    "The transition to groups takes about four minutes.",
    "English learners have sentence frames on the table.",
    "Feedback on the exit ticket names the next step.",
]
ACTION_STEPS = [
    "Plan two questions a lesson that ask students to explain their thinking.",
    "Tighten the transition to small groups to under two minutes.",
    "Check for understanding before releasing students to work on their own.",
    "Give written feedback on the exit ticket the next morning.",
]


def build_demo_year(seed: int = 2026) -> dict[str, int]:
    """The current year so far: its windows, observations in the first cycle (most shared with
    the teacher, each with notes and an action step), some teachers' reflections before the
    mid-year conversation, and follow-up emails on record for some teachers at risk. Like the
    evaluations, generated history: written in bulk, not through the audited actions."""
    from districtpm.evaluation import yearplan
    from districtpm.evaluation.models import (
        Conversation,
        FollowUp,
        Indicator,
        Observation,
        ObservationNote,
        ObservationScore,
    )

    rng = random.Random(seed + 47)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    framework = Framework.objects.filter(school_year=current).first()
    if framework is None:
        return {"observations": 0, "notes": 0, "reflections": 0, "followups": 0}
    windows = {w.kind: w for w in yearplan.plan_year(framework, acting_user=SYSTEM)}
    first = windows["observation_1"]
    last_day = min(today - dt.timedelta(days=1), first.closes)
    school_days = [d for d in yearplan.school_days(current) if first.opens <= d <= last_day]
    indicators = list(
        Indicator.objects.filter(component__framework=framework, component__kind="observation")
    )
    evaluations = list(
        Evaluation.objects.filter(school_year=current)
        .select_related("staff")
        .prefetch_related("scores__component")
        .order_by("pk")
    )
    if not school_days or not indicators:
        return {"observations": 0, "notes": 0, "reflections": 0, "followups": 0}
    observations, plans = [], []
    for e in evaluations:
        given = {s.component.kind: s.score for s in e.scores.all()}
        level = given.get("observation", given.get("professionalism", 3.0))
        for _ in range(rng.choice([1, 1, 2])):
            day = rng.choice(school_days)
            start = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.randint(8, 14), rng.randint(0, 40)))
            )
            observations.append(
                Observation(
                    evaluation=e,
                    observed_on=day,
                    created_at=start,
                    minutes=rng.choice([15, 20, 30, 45]),
                    action_step=rng.choice(ACTION_STEPS),
                    shared_at=timezone.make_aware(
                        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(16, 0))
                    )
                    if rng.random() < 0.85
                    else None,
                )
            )
            plans.append((level, rng.sample(indicators, rng.randint(4, 7))))
    Observation.objects.bulk_create(observations)
    scores, notes = [], []
    for o, (level, chosen) in zip(observations, plans, strict=True):
        for indicator in chosen:
            value = min(4.0, max(1.0, round(rng.gauss(level, 0.5))))
            scores.append(ObservationScore(observation=o, indicator=indicator, score=value))
        for minute, text in enumerate(rng.sample(NOTES, 2)):
            at = o.created_at + dt.timedelta(minutes=3 + minute * rng.randint(4, 9))
            notes.append(
                ObservationNote(observation=o, indicator=rng.choice(chosen), text=text, at=at)
            )
    ObservationScore.objects.bulk_create(scores)
    ObservationNote.objects.bulk_create(notes)
    reflections = [
        Conversation(
            evaluation=e,
            kind="mid_year",
            reflection="Routines are settled and most students are on task; I want to push "
            "the level of discussion, and would value a visit to a colleague's class.",
            reflection_at=timezone.now() - dt.timedelta(days=rng.randint(1, 10)),
        )
        for e in evaluations
        if rng.random() < 0.15
    ]
    Conversation.objects.bulk_create(reflections)
    struggling = [
        e
        for e in evaluations
        if any(s.component.kind == "observation" and s.score < 2.5 for s in e.scores.all())
    ]
    followups = [
        FollowUp(
            evaluation=e,
            template="at_risk_rating",
            to=e.staff.email or f"{e.staff.employee_id.lower()}@example.org",
            subject="Your evaluation: where things stand",
            body=f"Dear {e.staff.first_name},\n\nFollowing our observation debrief, this is "
            "where your evaluation stands so far, and the support we agreed.",
            risks=["below_effective"],
            sent_at=timezone.now() - dt.timedelta(days=rng.randint(1, 20)),
        )
        for e in struggling[::2]
    ]
    FollowUp.objects.bulk_create(followups)
    return {
        "observations": len(observations),
        "notes": len(notes),
        "reflections": len(reflections),
        "followups": len(followups),
    }
