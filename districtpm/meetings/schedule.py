"""The cycle engine: from rules and the school-year calendar to dated meetings.

A rule names a weekday of a week ("the first Tuesday") in the focus month or the month after,
or a calendar entry kind ("the Board's study session") that wins when the month has one. A date
on a holiday, break or day without students moves to the next school day, and the meeting keeps
the reason. Planning again keeps each meeting's UID, so calendar clients replace the event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta, weekday
from django.db import transaction
from django.utils import timezone

from districtpm.accounts.models import RoleAssignment
from districtpm.audit.log import record, save_recorded, snapshot
from districtpm.core.roles import ACTION_TEAMS
from districtpm.core.scoping import require
from districtpm.meetings.models import Cycle, FocusMonth, Meeting, MeetingRule
from districtpm.meetings.presets import PRESETS
from districtpm.org.models import CalendarEvent, SchoolYear
from districtpm.plans.models import Plan, Priority


class PlanningError(Exception):
    pass


def nth_weekday(month: dt.date, day_of_week: int, week: int) -> dt.date:
    """The week-th given weekday of the month (week -1 for the last)."""
    first = month.replace(day=1)
    if week > 0:
        return first + relativedelta(weekday=weekday(day_of_week)(+week))
    return first + relativedelta(day=31, weekday=weekday(day_of_week)(week))


def focus_months(year: SchoolYear) -> list[dt.date]:
    """The months of the school year that start after its first day, through its last month."""
    month = (year.start_date + relativedelta(months=1)).replace(day=1)
    if year.start_date.day == 1:
        month = year.start_date
    out = []
    while month <= year.end_date:
        out.append(month)
        month += relativedelta(months=1)
    return out


class SchoolCalendar:
    """Which days of a school year have students, and why a day does not."""

    def __init__(self, year: SchoolYear) -> None:
        self.year = year
        self.events = list(year.events.all())
        self.closed = [e for e in self.events if e.kind in CalendarEvent.CLOSED_KINDS]

    def closed_reason(self, day: dt.date) -> str | None:
        for e in self.closed:
            if e.start_date <= day <= e.end_date:
                return e.name
        return None

    def next_school_day(self, day: dt.date) -> tuple[dt.date, str]:
        """The day itself when it is a school day; else the next one and the reason."""
        if not (self.year.start_date <= day <= self.year.end_date):
            return day, ""
        reason = self.closed_reason(day)
        if reason is None and day.weekday() < 5:
            return day, ""
        moved = day
        while moved <= self.year.end_date and (
            moved.weekday() >= 5 or self.closed_reason(moved) is not None
        ):
            moved += dt.timedelta(days=1)
        why = reason or "a weekend"
        return moved, f"Moved from {day:%A %-d %B %Y} ({why}) to the next school day"

    def entry_in(self, kind: str, month: dt.date) -> CalendarEvent | None:
        for e in self.events:
            if e.kind == kind and (e.start_date.year, e.start_date.month) == (
                month.year,
                month.month,
            ):
                return e
        return None


def meeting_date(
    rule: MeetingRule, focus: dt.date, calendar: SchoolCalendar
) -> tuple[dt.date, dt.date, str]:
    """(rule date, date held, reason they differ) for a rule in a focus month."""
    month = focus + relativedelta(months=rule.month_offset)
    entry = calendar.entry_in(rule.use_calendar, month) if rule.use_calendar else None
    if entry is not None:
        return entry.start_date, entry.start_date, ""
    planned = nth_weekday(month, rule.weekday, rule.week)
    held, reason = calendar.next_school_day(planned)
    return planned, held, reason


def attendees_for(rule: MeetingRule, priority: Priority) -> set[int]:
    """Users holding the rule's roles; for action team roles, only the focus team's (its lead
    and members)."""
    roles = set(rule.attendee_roles)
    on_team = set()
    for team in priority.teams.prefetch_related("members"):
        on_team |= {team.lead_id, *(m.pk for m in team.members.all())}
    users = set()
    for user_id, role in RoleAssignment.objects.filter(role__in=roles).values_list(
        "user_id", "role"
    ):
        if role in ACTION_TEAMS and user_id not in on_team:
            continue
        users.add(user_id)
    return users


CYCLE_NOTE = "Your role does not allow changing the meeting cycle."


def _create_cycle(year: SchoolYear, preset: str, plan: Plan) -> Cycle:
    spec = PRESETS[preset]
    cycle = Cycle.objects.create(
        school_year=year, preset=preset, name=spec["name"], skip_months=spec["skip_months"]
    )
    for order, rule in enumerate(spec["rules"]):
        MeetingRule.objects.create(cycle=cycle, order=order, **rule)
    priorities = list(plan.priorities.order_by("order", "name"))
    if not priorities:
        raise PlanningError(f"{plan.name} has no priorities to put in focus.")
    # Every month gets a priority, skipped ones too, so a month can be brought back later.
    for index, month in enumerate(focus_months(year)):
        FocusMonth.objects.create(
            cycle=cycle, month=month, priority=priorities[index % len(priorities)]
        )
    return cycle


@transaction.atomic
def plan_year(
    school_year: str, preset: str, *, acting_user: Any, source: str = "web"
) -> tuple[Cycle, dict[str, int]]:
    """Create the year's cycle from a preset (once) and its meetings from the cycle's rules.
    Planning again brings meetings in line with changed rules and months, keeping UIDs and
    meetings moved by hand."""
    require(acting_user, Cycle, message=CYCLE_NOTE)
    cycle = _cycle_to_plan(school_year, preset)
    calendar = SchoolCalendar(cycle.school_year)
    today = timezone.localdate()
    counts = {"created": 0, "changed": 0, "unchanged": 0, "removed": 0}
    months = list(
        cycle.months.select_related("priority").exclude(month__month__in=cycle.skip_months)
    )
    keep = set()
    for rule in cycle.rules.all():
        for focus in months:
            planned, held, reason = meeting_date(rule, focus.month, calendar)
            meeting = Meeting.objects.filter(rule=rule, focus_month=focus.month).first()
            values = {
                "priority": focus.priority,
                "rule_date": planned,
                "start_time": rule.start_time,
                "minutes": rule.minutes,
                "location": rule.location,
            }
            if meeting is None:
                meeting = Meeting.objects.create(
                    cycle=cycle,
                    rule=rule,
                    focus_month=focus.month,
                    date=held,
                    moved_reason=reason,
                    agenda=list(rule.agenda),
                    **values,
                )
                meeting.attendees.set(attendees_for(rule, focus.priority))
                counts["created"] += 1
            else:
                if not meeting.moved_by_hand:
                    values.update(date=held, moved_reason=reason)
                changed = _replan(
                    meeting, rule, values, today, acting_user=acting_user, source=source
                )
                counts["changed" if changed else "unchanged"] += 1
            keep.add(meeting.pk)
    stale = cycle.meetings.exclude(pk__in=keep)
    counts["removed"] = stale.count()
    stale.delete()
    record(
        actor=acting_user,
        action="meetings.cycle.plan",
        obj=cycle,
        after={"school_year": school_year, "preset": preset, **counts},
        source=source,
    )
    return cycle, counts


def _cycle_to_plan(school_year: str, preset: str) -> Cycle:
    """The year's cycle for a preset, created from the preset the first time."""
    if preset not in PRESETS:
        raise PlanningError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    year = SchoolYear.objects.filter(name=school_year).first()
    if year is None:
        raise PlanningError(f"There is no school year {school_year} on the calendar.")
    plan = Plan.objects.first()
    if plan is None:
        raise PlanningError(
            "There is no strategic plan: its priorities are what the cycle is about."
        )
    cycle = Cycle.objects.filter(school_year=year, preset=preset).first()
    return cycle if cycle is not None else _create_cycle(year, preset, plan)


def _replan(
    meeting: Meeting,
    rule: MeetingRule,
    values: dict[str, Any],
    today: dt.date,
    *,
    acting_user: Any,
    source: str,
) -> bool:
    """Bring a planned meeting in line with its rule: its values, and for an upcoming meeting
    its invitations and (while nothing is recorded in it) its agenda. Whether it changed."""
    upcoming = meeting.date >= today
    if upcoming and not meeting.items.exists():
        values["agenda"] = list(rule.agenda)
    changed = {k: v for k, v in values.items() if getattr(meeting, k) != v}
    invited = attendees_for(rule, values["priority"])
    if upcoming and invited != set(meeting.attendees.values_list("id", flat=True)):
        meeting.attendees.set(invited)
        changed.setdefault("attendees", True)
    if not changed:
        return False
    before = snapshot(meeting)
    for k, v in changed.items():
        if k != "attendees":
            setattr(meeting, k, v)
    meeting.sequence += 1
    meeting.save()
    record(
        actor=acting_user,
        action="meetings.meeting.replan",
        obj=meeting,
        before=before,
        after=snapshot(meeting),
        source=source,
    )
    return True


@transaction.atomic
def save_settings(
    cycle: Cycle,
    rules: list[MeetingRule],
    focus: dict[int, Priority],
    skip: list[int],
    *,
    acting_user: Any,
) -> dict[str, int]:
    """Store changed rules, priorities per month and skipped months, then plan the year again."""
    require(acting_user, cycle, message=CYCLE_NOTE)
    before = _settings(cycle)
    for rule in rules:
        rule.save()
    for month in cycle.months.all():
        if month.pk in focus and month.priority_id != focus[month.pk].pk:
            month.priority = focus[month.pk]
            month.save()
    cycle.skip_months = sorted(skip)
    cycle.save()
    after = _settings(cycle)
    if before != after:
        record(
            actor=acting_user,
            action="meetings.cycle.settings",
            obj=cycle,
            before=before,
            after=after,
        )
    _, counts = plan_year(cycle.school_year.name, cycle.preset, acting_user=acting_user)
    return counts


def _settings(cycle: Cycle) -> dict[str, Any]:
    return {
        "skip_months": list(cycle.skip_months),
        "rules": {r.kind: snapshot(r) for r in cycle.rules.all()},
        "months": {
            f"{m.month:%Y-%m}": m.priority.name for m in cycle.months.select_related("priority")
        },
    }


@transaction.atomic
def move_meeting(meeting: Meeting, new_date: dt.date, reason: str, *, acting_user: Any) -> Meeting:
    """Move one meeting by hand; the reason is kept and planning again leaves it where it is."""
    require(acting_user, meeting, message=CYCLE_NOTE)
    if not reason.strip():
        raise PlanningError("Say why the meeting moves.")
    before = snapshot(meeting)
    meeting.date = new_date
    meeting.moved_reason = f"Moved by hand to {new_date:%A %-d %B %Y}: {reason.strip()}"
    meeting.moved_by_hand = True
    meeting.sequence += 1
    save_recorded(meeting, before, actor=acting_user, action="meetings.meeting.move")
    return meeting
