"""The evaluation year's windows, made from the school-year calendar: goals at the start,
two observation cycles either side of the mid-year conversation, the end-of-year
conversation, and the day final ratings are due — at least two weeks (the district's
setting) before the last day of classes. Each edge falls on a school day: not a weekend, a
break, a holiday or a day without students."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from districtpm.audit.log import record
from districtpm.core.scoping import require
from districtpm.evaluation import status
from districtpm.evaluation.actions import SETTERS, _open
from districtpm.evaluation.models import Framework, Window

K = Window.Kind
ORDER = [K.GOALS, K.OBSERVATION_1, K.MID_YEAR, K.OBSERVATION_2, K.END_OF_YEAR, K.RATINGS_DUE]


def school_days(school_year: Any) -> list[dt.date]:
    closed = school_year.closed_days()
    day, days = school_year.start_date, []
    while day <= school_year.end_date:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _on_or_after(days: list[dt.date], day: dt.date) -> dt.date:
    return next((d for d in days if d >= day), days[-1])


def _on_or_before(days: list[dt.date], day: dt.date) -> dt.date:
    return next((d for d in reversed(days) if d <= day), days[0])


def ratings_due(school_year: Any, settings: status.Settings) -> dt.date:
    """The last day final ratings may be given: the school day on or before the date the
    rule sets (two weeks before the last day of classes, by default)."""
    days = school_days(school_year)
    return _on_or_before(days, status.year_dates(school_year.end_date, settings).ratings_due)


def windows_for(school_year: Any, settings: status.Settings) -> dict[str, tuple[dt.date, dt.date]]:
    """Each window's first and last day."""
    days = school_days(school_year)
    if len(days) < 60:
        raise ValidationError(
            f"{school_year} has {len(days)} school days: too few for an evaluation year."
        )
    due = ratings_due(school_year, settings)
    teaching = [d for d in days if d <= due]
    middle = teaching[len(teaching) // 2]
    week = dt.timedelta(days=7)
    edges = {
        K.GOALS: (days[0], days[0] + 6 * week),
        K.OBSERVATION_1: (days[0] + 2 * week, middle - 2 * week - dt.timedelta(days=1)),
        K.MID_YEAR: (middle - 2 * week, middle + 4 * week),
        K.OBSERVATION_2: (middle + 4 * week + dt.timedelta(days=1), due - 4 * week),
        K.END_OF_YEAR: (due - 4 * week + dt.timedelta(days=1), due),
        K.RATINGS_DUE: (due, due),
    }
    return {
        kind: (_on_or_after(days, opens), _on_or_before(days, closes))
        for kind, (opens, closes) in edges.items()
    }


def check(framework: Framework, spans: dict[str, tuple[dt.date, dt.date]]) -> None:
    """Every window inside the school year, in the year's order, with ratings due in time."""
    year = framework.school_year
    problems = []
    for kind in ORDER:
        opens, closes = spans[kind]
        label = K(kind).label
        if closes < opens:
            problems.append(f"{label}: the last day comes before the first.")
        if opens < year.start_date or closes > year.end_date:
            problems.append(
                f"{label}: keep it inside {year} ({year.start_date} – {year.end_date})."
            )
    latest = status.year_dates(year.end_date, framework.settings()).ratings_due
    if spans[K.RATINGS_DUE][1] > latest:
        problems.append(
            f"Final ratings are due by {latest:%-d %B %Y} at the latest: two weeks before the "
            "last day of classes."
        )
    for earlier, later in zip(ORDER, ORDER[1:], strict=False):
        if spans[later][0] < spans[earlier][0]:
            problems.append(f"{K(later).label} opens before {K(earlier).label.lower()}.")
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def plan_year(framework: Framework, *, acting_user: Any) -> list[Window]:
    """Make (or remake) the framework's windows from its school year's calendar."""
    require(acting_user, framework, message=SETTERS)
    _open(framework)
    spans = windows_for(framework.school_year, framework.settings())
    return set_windows(framework, spans, acting_user=acting_user, note="from the calendar")


@transaction.atomic
def set_windows(
    framework: Framework,
    spans: dict[str, tuple[dt.date, dt.date]],
    *,
    acting_user: Any,
    note: str = "",
) -> list[Window]:
    require(acting_user, framework, message=SETTERS)
    _open(framework)
    check(framework, spans)
    before = {w.kind: [str(w.opens), str(w.closes)] for w in framework.windows.all()}
    framework.windows.all().delete()
    made = Window.objects.bulk_create(
        Window(framework=framework, kind=kind, opens=spans[kind][0], closes=spans[kind][1])
        for kind in ORDER
    )
    record(
        actor=acting_user,
        action="evaluation.windows",
        obj=framework,
        before=before or None,
        after={w.kind: [str(w.opens), str(w.closes)] for w in made},
        note=note,
    )
    return made


def windows(framework: Framework | None) -> dict[str, Window]:
    """The framework's windows by kind (none until the year is planned)."""
    if framework is None:
        return {}
    return {w.kind: w for w in framework.windows.all()}
