"""The status engine: a teacher's final ratings across school years carried into their
non-probationary status (with the years that prove it), this year's risks, and the dates that
follow. Plain functions over plain data, so every page, export and reminder asks the same rules.

The rules (Colorado's, as ../shared/DOMAIN.md gives them; what the law leaves open is a
`Settings` value):
- Ratings are the state's four. Effective or better earns; partially effective and ineffective
  are both "below effective" (a 2025 ruling counts partially effective with ineffective).
- A probationary teacher becomes non-probationary after three consecutive school years rated
  effective or better; a non-probationary teacher becomes probationary again after two
  consecutive years rated below effective.
- Consecutive means school years one after another, each with a final rating: a year with no
  rating (leave, no evaluation) or a year missing from the record ends a run. A run counts from
  the teacher's last change of status: the years that earned status do not count towards losing
  it, nor the reverse.
- A non-probationary teacher may appeal the rating that ended their status (the second
  consecutive year below effective).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

HIGHLY_EFFECTIVE = "highly_effective"
EFFECTIVE = "effective"
PARTIALLY_EFFECTIVE = "partially_effective"
INEFFECTIVE = "ineffective"
RATINGS = {
    HIGHLY_EFFECTIVE: "Highly effective",
    EFFECTIVE: "Effective",
    PARTIALLY_EFFECTIVE: "Partially effective",
    INEFFECTIVE: "Ineffective",
}
EFFECTIVE_OR_BETTER = frozenset({HIGHLY_EFFECTIVE, EFFECTIVE})
BELOW_EFFECTIVE = frozenset({PARTIALLY_EFFECTIVE, INEFFECTIVE})

PROBATIONARY = "probationary"
NON_PROBATIONARY = "non_probationary"

YEARS_TO_EARN = 3
YEARS_TO_LOSE = 2


@dataclass(frozen=True)
class Settings:
    """What a district sets (the defaults are the state's dates and one district's appeal
    policy, which the law leaves to districts)."""

    nonrenewal_notice_before: tuple[int, int] = (6, 1)  # (month, day): notice before this day
    nonrenewal_window_days: int = 60  # how long before that day a probationary teacher is flagged
    reasons_within_days: int = 14  # reasons for non-renewal, once the teacher asks
    ratings_before_last_day_days: int = 14  # the evaluation, before the last day of classes
    appeal_filing_days: int = 15
    appeal_decision_days: int = 45


@dataclass(frozen=True)
class Year:
    """A school year (by the calendar year it starts in) and its final overall rating, if any."""

    start: int
    rating: str | None


@dataclass(frozen=True)
class Change:
    """A change of status at the end of a school year, and the years whose ratings made it."""

    year: int
    status: str
    because: tuple[int, ...]


@dataclass(frozen=True)
class History:
    status: str  # after the last year given
    changes: tuple[Change, ...] = ()

    def status_entering(self, year: int, starting: str) -> str:
        """The status the teacher held during `year` (set by the years before it)."""
        status = starting
        for change in self.changes:
            if change.year < year:
                status = change.status
        return status


def _checked(years: Iterable[Year]) -> list[Year]:
    ordered = sorted(years, key=lambda y: y.start)
    starts = [y.start for y in ordered]
    if len(set(starts)) != len(starts):
        raise ValueError("A teacher has one final rating a school year.")
    for y in ordered:
        if y.rating is not None and y.rating not in RATINGS:
            raise ValueError(f"Not a rating: {y.rating!r}.")
    return ordered


def history(years: Iterable[Year], *, starting: str = PROBATIONARY) -> History:
    """The teacher's status after each year of their record, with every change and its proof."""
    status, changes = starting, []
    run: list[int] = []  # the current run of years that count towards the next change
    previous: int | None = None
    for y in _checked(years):
        if previous is not None and y.start != previous + 1:
            run = []  # a year missing from the record ends a run
        previous = y.start
        counts = EFFECTIVE_OR_BETTER if status == PROBATIONARY else BELOW_EFFECTIVE
        if y.rating in counts:
            run.append(y.start)
        else:
            run = []  # no rating, or one that does not count towards a change
            continue
        needed = YEARS_TO_EARN if status == PROBATIONARY else YEARS_TO_LOSE
        if len(run) == needed:
            status = NON_PROBATIONARY if status == PROBATIONARY else PROBATIONARY
            changes.append(Change(y.start, status, tuple(run)))
            run = []
    return History(status, tuple(changes))


@dataclass(frozen=True)
class YearDates:
    ratings_due: dt.date
    nonrenewal_notice_by: dt.date  # the last day a non-renewal notice may be given
    nonrenewal_window_opens: dt.date


def year_dates(last_day_of_classes: dt.date, settings: Settings = Settings()) -> YearDates:
    """A school year's deadlines, from its last day of classes."""
    month, day = settings.nonrenewal_notice_before
    notice_by = dt.date(last_day_of_classes.year, month, day) - dt.timedelta(days=1)
    return YearDates(
        ratings_due=last_day_of_classes - dt.timedelta(days=settings.ratings_before_last_day_days),
        nonrenewal_notice_by=notice_by,
        nonrenewal_window_opens=notice_by - dt.timedelta(days=settings.nonrenewal_window_days),
    )


def reasons_due(requested_on: dt.date, settings: Settings = Settings()) -> dt.date:
    """When the reasons for a non-renewal are due, once the teacher has asked for them."""
    return requested_on + dt.timedelta(days=settings.reasons_within_days)


@dataclass(frozen=True)
class AppealDates:
    file_by: dt.date
    decide_by: dt.date | None  # once filed


def appeal_dates(
    notified_on: dt.date, filed_on: dt.date | None = None, settings: Settings = Settings()
) -> AppealDates:
    file_by = notified_on + dt.timedelta(days=settings.appeal_filing_days)
    if filed_on is not None and not notified_on <= filed_on <= file_by:
        raise ValueError(f"An appeal is filed between {notified_on} and {file_by}.")
    decide_by = filed_on + dt.timedelta(days=settings.appeal_decision_days) if filed_on else None
    return AppealDates(file_by, decide_by)


def may_appeal(h: History, year: int) -> bool:
    """Whether the year's rating may be appealed: it ended non-probationary status."""
    return any(c.year == year and c.status == PROBATIONARY for c in h.changes)


@dataclass(frozen=True)
class Risk:
    code: str
    reason: str


@dataclass(frozen=True)
class Standing:
    """Where a teacher stands in the current year: status held, and the risks."""

    status: str
    risks: list[Risk] = field(default_factory=list)


def standing(
    years: Iterable[Year],
    current: int,
    projected: str | None,
    today: dt.date,
    dates: YearDates,
    *,
    starting: str = PROBATIONARY,
) -> Standing:
    """The current year's risks, from the closed years before it and the rating projected from
    what is in so far. `years` may hold the current year (its rating is ignored: not final)."""
    closed = [y for y in _checked(years) if y.start < current]
    h = history(closed, starting=starting)
    status = h.status
    risks = []
    if projected in BELOW_EFFECTIVE:
        risks.append(
            Risk("below_effective", f"The rating projected so far is {RATINGS[projected].lower()}.")
        )
    last = next((y for y in closed if y.start == current - 1), None)
    if (
        status == NON_PROBATIONARY
        and projected in BELOW_EFFECTIVE
        and last is not None
        and last.rating in BELOW_EFFECTIVE
    ):
        risks.append(
            Risk(
                "losing_status",
                "Last year was rated below effective: a second year below effective ends "
                "non-probationary status.",
            )
        )
    if (
        status == PROBATIONARY
        and dates.nonrenewal_window_opens <= today <= dates.nonrenewal_notice_by
    ):
        risks.append(
            Risk(
                "nonrenewal_window",
                "Probationary: a notice of non-renewal, if there is to be one, is due by "
                f"{dates.nonrenewal_notice_by:%-d %B %Y}.",
            )
        )
    return Standing(status, risks)
