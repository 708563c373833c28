"""Teachers at risk, detected from the record rather than remembered: for each open
evaluation of a year that the user may read, the status engine's standing from the teacher's
final ratings of earlier years and the rating projected from the scores in so far.

`Staff.probationary` is read as the status a teacher held when their record in District PM
begins; from there the engine carries it year by year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from districtpm.audit.log import record
from districtpm.evaluation import records, status
from districtpm.evaluation.models import Evaluation


@dataclass
class AtRisk:
    evaluation: Evaluation
    standing: status.Standing
    projected: str | None  # the state rating projected so far


def _histories(staff_ids: list[int], before_start: dt.date) -> dict[int, list[status.Year]]:
    """Each teacher's final ratings of the years before, one query."""
    years: dict[int, list[status.Year]] = {}
    for staff_id, start, rating in (
        Evaluation.objects.filter(
            staff_id__in=staff_ids,
            state=Evaluation.State.FINAL,
            school_year__start_date__lt=before_start,
        )
        .values_list("staff_id", "school_year__start_date", "final_level__state_rating")
        .order_by("staff_id", "school_year__start_date")
    ):
        years.setdefault(staff_id, []).append(status.Year(start.year, rating))
    return years


def _assess(
    e: Evaluation,
    history: list[status.Year],
    today: dt.date,
    settings: status.Settings | None,
    *,
    shared_only: bool = False,
) -> AtRisk:
    year = e.school_year
    outcome = records.result(e, shared_only=shared_only)
    projected = (
        e.final_level.state_rating
        if e.final_level
        else outcome.level.state_rating
        if outcome.level
        else None
    )
    standing = status.standing(
        history,
        year.start_date.year,
        projected,
        today,
        status.year_dates(year.end_date, settings or e.framework.settings()),
        starting=status.PROBATIONARY if e.staff.probationary else status.NON_PROBATIONARY,
    )
    return AtRisk(e, standing, projected)


def standing_of(
    e: Evaluation, *, today: dt.date | None = None, shared_only: bool = False
) -> AtRisk:
    """One evaluation's status and risks, for its page (which has read it already); for the
    teacher's own view, from only what is shared with them."""
    history = _histories([e.staff_id], e.school_year.start_date).get(e.staff_id, [])
    return _assess(e, history, today or timezone.localdate(), None, shared_only=shared_only)


def at_risk(
    user: Any,
    school_year: Any,
    *,
    today: dt.date | None = None,
    settings: status.Settings | None = None,
) -> list[AtRisk]:
    """The user's readable evaluations of the year with at least one risk, each with its
    reasons. Reading the list is recorded in the audit log, with whose records it showed."""
    today = today or timezone.localdate()
    evaluations = list(
        Evaluation.objects.visible_to(user)
        .filter(school_year=school_year, state=Evaluation.State.OPEN)
        .select_related("staff", "school", "framework", "weight_set")
        .prefetch_related(*records.PREFETCH, "followups")
    )
    histories = _histories([e.staff_id for e in evaluations], school_year.start_date)
    found = []
    for e in evaluations:
        own = e.staff.user_id == getattr(user, "pk", None)  # from what is shared with them
        a = _assess(e, histories.get(e.staff_id, []), today, settings, shared_only=own)
        if a.standing.risks:
            found.append(a)
    # the gravest first: about to lose status, then projected ineffective, then the rest
    weight = {"losing_status": 0, "below_effective": 1, "nonrenewal_window": 2}
    found.sort(
        key=lambda a: (
            min(weight[r.code] for r in a.standing.risks),
            a.projected != status.INEFFECTIVE,
            a.evaluation.staff.last_name,
            a.evaluation.staff.first_name,
        )
    )
    others = [
        a.evaluation.pk for a in found if a.evaluation.staff.user_id != getattr(user, "pk", None)
    ]
    if others:
        record(
            actor=user,
            action="evaluation.read_at_risk",
            after={"evaluations": others, "school_year": school_year.name},
            note="personnel records: teachers at risk",
        )
    return found
