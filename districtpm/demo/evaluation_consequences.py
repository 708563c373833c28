"""What follows from evaluations, in the demo district (after evaluation_data.py has made the
evaluations): one plan of support in progress, with two check-ins, for a teacher projected
below effective this year; one non-renewal under way for a probationary teacher (notice
given, the reasons asked for and not yet due); and one appeal pending before a named panel,
on last year's final rating of a teacher whose non-probationary status that rating ended.

Everything goes through the actions (consequences.py) as the system, so the audit log holds
it as it would a person's. The dates are counted back from the day the demo is built, so that
each is in progress, not overdue, when it is shown. When the generated ratings hold no teacher
whose status last year's rating ended, one non-probationary teacher's last two final ratings
are made partially effective (their component scores, overall score and level together), as
generated history like the rest of evaluation_data.py's."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import consequences, records, scoring, status
from districtpm.evaluation.models import Appeal, ComponentScore, Evaluation
from districtpm.org.models import SchoolYear

DAY = dt.timedelta(days=1)
PARTLY = "Partly there: the practice is uneven across the observations."


def _projected(e: Evaluation) -> tuple[str | None, float | None]:
    outcome = records.result(e)
    return (outcome.level.state_rating if outcome.level else None), outcome.score


def _support_plan(evaluations: list[Evaluation], rng: random.Random, today: dt.date) -> Any:
    """A plan for a teacher projected below effective (the lowest projected, if none is)."""
    scored = [(e, *_projected(e)) for e in evaluations if e.state == Evaluation.State.OPEN]
    below = [e for e, rating, _ in scored if rating in status.BELOW_EFFECTIVE]
    if below:
        e = rng.choice(below)
    else:
        e = min((x for x in scored if x[2] is not None), key=lambda x: x[2])[0]
    year = e.school_year
    starts_on = min(today, max(year.start_date, today - 42 * DAY))
    plan = consequences.start_support_plan(
        e,
        "Plan lessons toward one clear, standards-based goal each day, and check every "
        "student's understanding before moving on.",
        "A coach models a lesson and co-plans with the teacher every two weeks; two short "
        "observations a month, each with one action step; time to observe a colleague.",
        starts_on,
        starts_on + 90 * DAY,
        acting_user=SYSTEM,
    )
    span = (today - starts_on).days
    for held_on, notes in [
        (
            starts_on + span // 3 * DAY,
            "Goals agreed. The first co-planned lesson had a clear goal; checks for "
            "understanding came only at the end.",
        ),
        (
            starts_on + 2 * span // 3 * DAY,
            "Exit tickets are now used daily and the next lesson is adjusted from them. "
            "Next: questions that make students explain their thinking.",
        ),
    ]:
        consequences.add_check_in(plan, held_on, notes, acting_user=SYSTEM)
    return plan


def _nonrenewal(
    evaluations: list[Evaluation], rng: random.Random, today: dt.date, avoid: int
) -> Any:
    """A non-renewal for a probationary teacher: notice given, the reasons asked for three days
    ago (so not due yet)."""
    order = sorted(evaluations, key=lambda e: (e.staff_id == avoid, rng.random()))
    e = next((e for e in order if consequences.is_probationary(e)), None)
    if e is None:
        raise RuntimeError("The demo district has no probationary teacher this year.")
    start = e.school_year.start_date
    notice_on = max(start, min(today - 6 * DAY, consequences.notice_by(e)))
    proposed_on = max(start, notice_on - 4 * DAY)
    nr = consequences.propose_nonrenewal(
        e,
        "The practice has not reached effective in the observations this year despite "
        "coaching, and the professional responsibilities agreed in the autumn were not met.",
        proposed_on,
        acting_user=SYSTEM,
    )
    consequences.give_notice(nr, notice_on, acting_user=SYSTEM)
    consequences.reasons_requested(nr, max(notice_on, today - 3 * DAY), acting_user=SYSTEM)
    return nr


def _years(staff_ids: set[int] | None, through: SchoolYear) -> dict[int, list[status.Year]]:
    rows = Evaluation.objects.filter(
        state=Evaluation.State.FINAL, school_year__start_date__lte=through.start_date
    )
    if staff_ids is not None:
        rows = rows.filter(staff_id__in=staff_ids)
    years: dict[int, list[status.Year]] = {}
    for staff_id, start, rating in rows.values_list(
        "staff_id", "school_year__start_date", "final_level__state_rating"
    ).order_by("staff_id", "school_year__start_date"):
        years.setdefault(staff_id, []).append(status.Year(start.year, rating))
    return years


def _make_below_effective(e: Evaluation) -> None:
    """Rate a final evaluation partially effective: every component at the same place on its
    scale, so the scores, the overall score and the level agree."""
    levels = list(e.framework.levels.all())
    level = min(
        (lv for lv in levels if lv.state_rating == status.PARTIALLY_EFFECTIVE),
        key=lambda lv: lv.order,
    )
    above = [lv.min_score for lv in levels if lv.order > level.order]
    place = (level.min_score + min(above, default=100)) / 2 / 100
    weights = {
        w.component: w.percent
        for w in e.weight_set.weights.select_related("component")
        if w.percent > 0
    }
    given = {c: round(c.scale_min + place * (c.scale_max - c.scale_min), 2) for c in weights}
    for c, value in given.items():
        ComponentScore.objects.update_or_create(
            evaluation=e, component=c, defaults={"score": value, "rationale": PARTLY}
        )
    outcome = scoring.overall(given, weights, levels)
    if outcome.level != level:
        raise RuntimeError(f"{e}: the scores give {outcome.level}, not {level}.")
    Evaluation.objects.filter(pk=e.pk).update(
        final_score=outcome.score, final_level=level, rationale=PARTLY
    )


def _appealable(last: SchoolYear, rng: random.Random) -> tuple[Evaluation, int]:
    """Last year's final evaluation of a teacher whose status it ended, and how many ratings
    had to be changed to find one."""
    finals = {
        e.staff_id: e
        for e in Evaluation.objects.filter(school_year=last, state=Evaluation.State.FINAL)
        .select_related("staff", "school_year", "framework", "weight_set")
        .order_by("staff_id")
    }
    histories = _years(set(finals), last)

    def ends_status(staff_id: int, years: list[status.Year]) -> bool:
        starting = (
            status.PROBATIONARY if finals[staff_id].staff.probationary else status.NON_PROBATIONARY
        )
        h = status.history(years, starting=starting)
        return status.may_appeal(h, last.start_date.year)

    found = [s for s, years in histories.items() if ends_status(s, years)]
    if found:
        return finals[rng.choice(sorted(found))], 0
    # none: make one, choosing a teacher for whom two years below effective end the status
    before = last.start_date.year - 1
    below = status.PARTIALLY_EFFECTIVE
    candidates = []
    for staff_id, years in sorted(histories.items()):
        if not any(y.start == before for y in years):
            continue
        changed = [
            status.Year(y.start, below) if y.start in (before, last.start_date.year) else y
            for y in years
        ]
        if ends_status(staff_id, changed):
            candidates.append(staff_id)
    if not candidates:
        raise RuntimeError(
            f"No non-probationary teacher has final ratings for {last} and the year before."
        )
    e = finals[rng.choice(candidates)]
    earlier = (
        Evaluation.objects.select_related("framework", "weight_set")
        .filter(staff_id=e.staff_id, school_year__start_date__year=before)
        .get(state=Evaluation.State.FINAL)
    )
    for evaluation in (earlier, e):
        _make_below_effective(evaluation)
    e.refresh_from_db()
    return e, 2


def _appeal(last: SchoolYear, rng: random.Random, today: dt.date) -> tuple[Any, int]:
    e, changed = _appealable(last, rng)
    notified_on = today - 12 * DAY
    filing_days = e.framework.settings().appeal_filing_days
    appeal = consequences.file_appeal(
        e,
        Appeal.Kind.APPEAL,
        notified_on,
        min(today - 7 * DAY, notified_on + filing_days * DAY),
        "My student growth result includes a class I did not teach after October: the "
        "students were moved to another teacher's roster, and their results were counted as "
        "mine.",
        [rng.choice([Appeal.Ground.DATA, Appeal.Ground.PROCESS])],
        "Two teachers chosen by the teachers' association, two administrators chosen by the "
        "superintendent, chaired by the chief human resources officer.",
        acting_user=SYSTEM,
    )
    return appeal, changed


def build_demo_consequences(seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 67)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    last = (
        SchoolYear.objects.filter(start_date__lt=current.start_date).order_by("-start_date").first()
    )
    evaluations = list(
        Evaluation.objects.filter(school_year=current)
        .select_related("staff", "school", "school_year", "framework", "weight_set")
        .prefetch_related(*records.PREFETCH)
        .order_by("staff_id")
    )
    plan = _support_plan(evaluations, rng, today)
    _nonrenewal(evaluations, rng, today, avoid=plan.evaluation.staff_id)
    _, changed = _appeal(last, rng, today)
    return {
        "support_plans": 1,
        "check_ins": plan.check_ins.count(),
        "nonrenewals": 1,
        "appeals": 1,
        "ratings_changed": changed,
    }
