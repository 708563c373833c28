"""The cycle engine on the demo district's calendar, iCalendar export and feeds."""

from __future__ import annotations

import calendar as cal
import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from icalendar import Calendar

from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import FeedToken, Meeting, MeetingRule
from districtpm.meetings.schedule import move_meeting, plan_year
from districtpm.org.models import CalendarEvent, SchoolYear


@pytest.fixture
def demo(db):
    from districtpm.demo.generator import build_demo
    from districtpm.demo.plan_data import build_demo_plan

    build_demo("small", seed=2026)
    return build_demo_plan()


def first_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month, worked out with the standard library alone."""
    days = [d for d in cal.Calendar().itermonthdates(year, month) if d.month == month]
    return [d for d in days if d.weekday() == weekday][n - 1]


def closed(year: SchoolYear, day: dt.date) -> str | None:
    for e in year.events.filter(kind__in=CalendarEvent.CLOSED_KINDS):
        if e.start_date <= day <= e.end_date:
            return e.name
    return None


def next_school_day(year: SchoolYear, day: dt.date) -> dt.date:
    while day.weekday() >= 5 or closed(year, day):
        day += dt.timedelta(days=1)
    return day


def events(text: str) -> list:
    return [c for c in Calendar.from_ical(text).walk("VEVENT")]


def test_the_years_calendar_follows_the_performance_dialogues_rules(demo):
    year = SchoolYear.objects.current()
    out = io.StringIO()
    call_command(
        "cycles",
        "plan",
        "--preset",
        "performance-dialogues",
        "--school-year",
        year.name,
        stdout=out,
    )
    assert "27 created" in out.getvalue()
    out = io.StringIO()
    call_command("cycles", "ics", "--school-year", year.name, stdout=out)
    found = events(out.getvalue())
    priorities = [p.name for p in demo.priorities.order_by("order")]
    by_kind: dict[str, dict[tuple[int, int], object]] = {"Explore": {}, "Engage": {}, "Empower": {}}
    for e in found:
        kind = str(e["categories"].cats[0])
        start = e.decoded("dtstart").date()
        summary = str(e["summary"])
        assert summary.startswith(f"Performance Dialogues: {kind} — ")
        assert summary.split(" — ")[1] in priorities
        by_kind[kind][(start.year, start.month)] = e
    months = sorted({m.focus_month for m in Meeting.objects.all()})
    y0 = year.start_date.year
    assert [(m.year, m.month) for m in months] == [(y0, m) for m in range(9, 13)] + [
        (y0 + 1, m) for m in range(1, 6)
    ]
    moved = 0
    for index, month in enumerate(months):
        priority = priorities[index % len(priorities)]
        for kind, weekday, n in [("Explore", 1, 1), ("Engage", 0, 3)]:
            rule_day = first_weekday(month.year, month.month, weekday, n)
            expected = next_school_day(year, rule_day)
            event = next(
                e
                for e in found
                if str(e["summary"]) == f"Performance Dialogues: {kind} — {priority}"
                and e.decoded("dtstart").date() == expected
            )
            if expected != rule_day:
                moved += 1
                assert closed(year, rule_day) in str(event["description"])
                assert "next school day" in str(event["description"])
        following = month.replace(day=28) + dt.timedelta(days=4)
        empower = next(
            e
            for e in found
            if str(e["summary"]) == f"Performance Dialogues: Empower — {priority}"
            and (e.decoded("dtstart").year, e.decoded("dtstart").month)
            == (following.year, following.month)
        )
        session = year.events.filter(
            kind="study_session",
            start_date__year=following.year,
            start_date__month=following.month,
        ).first()
        if session:  # the Board's study session that month
            assert empower.decoded("dtstart").date() == session.start_date
    assert moved >= 2  # the demo calendar puts holidays on third Mondays in January and February
    assert len(found) == 3 * len(months)
    assert len({str(e["uid"]) for e in found}) == len(found)


def test_planning_again_keeps_uids_and_hand_moves(demo):
    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    uids = dict(Meeting.objects.values_list("pk", "uid"))
    explore = Meeting.objects.filter(rule__kind="explore").order_by("date").first()
    admin = User.objects.get(username="pm.office")
    move_meeting(
        explore, explore.date + dt.timedelta(days=1), "Superintendent away", acting_user=admin
    )
    rule = MeetingRule.objects.get(kind="engage")
    rule.weekday, rule.week = 2, 3  # Engage moves to the third Wednesday
    rule.save()
    _, counts = plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    assert counts["created"] == 0 and counts["removed"] == 0
    assert counts["changed"] == 9  # every Engage
    assert dict(Meeting.objects.values_list("pk", "uid")) == uids
    explore.refresh_from_db()
    assert explore.moved_by_hand and "Superintendent away" in explore.moved_reason
    assert explore.sequence == 1
    engage = Meeting.objects.filter(rule=rule).first()
    assert engage.date.weekday() == 2 and engage.sequence == 1
    text = Client()
    text.force_login(admin)
    body = text.get("/meetings/calendar/mine.ics").content.decode()
    event = next(e for e in events(body) if str(e["uid"]) == explore.uid)
    assert event["sequence"] == 1 and "Superintendent away" in str(event["description"])


def test_feeds_show_each_user_only_their_meetings(demo):
    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    client = Client()
    board = User.objects.get(username="board.member")
    client.force_login(board)
    client.post("/meetings/calendar/")
    token = FeedToken.objects.get(user=board).token
    anonymous = Client()
    found = events(anonymous.get(f"/meetings/feeds/{token}.ics").content.decode())
    assert found and all("Empower" in str(e["summary"]) for e in found)
    # the lead of the Whole Child team sees that priority's meetings and every Engage
    lead = User.objects.get(username="team.lead")
    visible = Meeting.objects.visible_to(lead).select_related("rule", "priority")
    assert {m.rule.kind for m in visible} == {"explore", "engage", "empower"}
    assert all(m.priority.name == "Whole Child" or m.rule.kind == "engage" for m in visible)
    # a new address retires the old one
    client.post("/meetings/calendar/")
    assert anonymous.get(f"/meetings/feeds/{token}.ics").status_code == 404


def test_moving_a_meeting_needs_a_reason(demo):
    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    meeting = Meeting.objects.first()
    client = Client()
    client.force_login(User.objects.get(username="pm.office"))
    client.post(f"/meetings/{meeting.pk}/move/", {"date": "2026-12-24", "reason": ""})
    meeting.refresh_from_db()
    assert not meeting.moved_by_hand
    client.force_login(User.objects.get(username="team.lead"))
    response = client.post(f"/meetings/{meeting.pk}/move/", {"date": "2026-12-24", "reason": "x"})
    assert response.status_code == 403


def test_the_office_changes_the_rules_and_the_year_follows(demo):
    from districtpm.audit.models import AuditEntry
    from districtpm.meetings.models import Cycle

    year = SchoolYear.objects.current()
    cycle, _ = plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    uids = set(Meeting.objects.values_list("uid", flat=True))
    client = Client()
    client.force_login(User.objects.get(username="pm.office"))
    url = f"/meetings/cycles/{cycle.pk}/settings/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["rules"]
    data = {
        "rules-TOTAL_FORMS": "3",
        "rules-INITIAL_FORMS": "3",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for i, f in enumerate(form.forms):
        rule = f.instance
        data.update(
            {
                f"rules-{i}-id": rule.pk,
                f"rules-{i}-name": rule.name,
                f"rules-{i}-weekday": 2 if rule.kind == "engage" else rule.weekday,
                f"rules-{i}-week": rule.week,
                f"rules-{i}-month_offset": rule.month_offset,
                f"rules-{i}-use_calendar": rule.use_calendar,
                f"rules-{i}-start_time": rule.start_time.strftime("%H:%M"),
                f"rules-{i}-minutes": rule.minutes,
                f"rules-{i}-location": "Room 101" if rule.kind == "explore" else "",
                f"rules-{i}-attendees": rule.attendees,
                f"rules-{i}-attendee_roles": [
                    r for r in rule.attendee_roles if r != "network_supervisor"
                ],
                f"rules-{i}-agenda": "\n".join(rule.agenda),
            }
        )
    months = page.context["months"]
    priorities = {p.name: p.pk for p in demo.priorities.all()}
    for focus in months.months:
        data[f"focus_{focus.pk}"] = focus.priority_id
    september = months.months[0]
    data[f"focus_{september.pk}"] = priorities["Opportunity Gap"]
    data["skip_months"] = ["12"]
    network = User.objects.get(username="network.a")
    upcoming = Meeting.objects.filter(rule__kind="engage", date__gte=dt.date.today())
    assert upcoming.filter(attendees=network).exists()
    bad = {**data, "rules-0-minutes": "5"}
    assert client.post(url, bad).status_code == 400  # nothing changes
    assert Meeting.objects.filter(focus_month__month=12).exists()
    assert client.post(url, data).status_code == 302
    engage = Meeting.objects.filter(rule__kind="engage").select_related("priority")
    assert all(m.date.weekday() == 2 or m.moved_reason for m in engage)
    assert not Meeting.objects.filter(focus_month__month=12).exists()
    first = Meeting.objects.filter(focus_month=september.month).select_related("priority")
    assert {m.priority.name for m in first} == {"Opportunity Gap"}
    assert set(Meeting.objects.values_list("uid", flat=True)) <= uids
    assert Meeting.objects.filter(rule__kind="explore", location="Room 101").count() == 8
    entry = AuditEntry.objects.get(action="meetings.cycle.settings")
    assert entry.after["skip_months"] == [12] and entry.before["skip_months"] == []
    assert Cycle.objects.get().skip_months == [12]
    assert upcoming.exists() and not upcoming.filter(attendees=network).exists()


def test_the_board_sees_nothing_carried_from_meetings_it_does_not_attend(demo):
    from districtpm.meetings.models import MeetingItem

    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    empower = Meeting.objects.filter(rule__kind="empower").order_by("date")[1]
    explore = Meeting.objects.filter(date__lt=empower.date).order_by("-date").first()
    assert explore.rule.kind == "explore"
    MeetingItem.objects.create(meeting=explore, kind="decision", text="Close two programmes.")
    MeetingItem.objects.create(
        meeting=explore,
        kind="commitment",
        text="Draft the budget memo.",
        owner=User.objects.get(username="senior.leader"),
        due_date=empower.date,
    )
    client = Client()
    client.force_login(User.objects.get(username="pm.office"))
    page = client.get(f"/meetings/{empower.pk}/").content.decode()
    assert "Close two programmes." in page and "Draft the budget memo." in page
    client.force_login(User.objects.get(username="board.member"))
    page = client.get(f"/meetings/{empower.pk}/").content.decode()
    assert "Close two programmes." not in page and "Draft the budget memo." not in page
    assert "board version" in page


def test_a_cancelled_meeting_shows_as_cancelled_in_calendars(demo):
    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    meeting = Meeting.objects.filter(rule__kind="engage").first()
    client = Client()
    client.force_login(User.objects.get(username="pm.office"))
    client.post(f"/meetings/{meeting.pk}/state/", {"state": "cancelled"})
    meeting.refresh_from_db()
    assert meeting.state == "cancelled" and meeting.sequence == 1
    out = io.StringIO()
    call_command("cycles", "ics", "--school-year", year.name, stdout=out)
    event = next(e for e in events(out.getvalue()) if str(e["uid"]) == meeting.uid)
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 1
    client.force_login(User.objects.get(username="team.lead"))
    assert client.post(f"/meetings/{meeting.pk}/state/", {"state": "held"}).status_code == 403


def test_the_pm_sessions_preset_plans_one_two_hour_session_a_month(demo):
    year = SchoolYear.objects.current()
    cycle, counts = plan_year(year.name, "pm-sessions", acting_user=SYSTEM)
    sessions = list(cycle.meetings.select_related("rule", "priority"))
    assert counts["created"] == len(sessions) == 9
    for m in sessions:
        rule_day = first_weekday(m.focus_month.year, m.focus_month.month, 2, 2)
        assert m.date == next_school_day(year, rule_day) and m.minutes == 120
        assert m.title.startswith("PM session — ")
    # both cycles live side by side in the same year
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    assert Meeting.objects.count() == 9 + 27


def test_the_office_changes_who_attends_one_meeting(demo):
    from districtpm.audit.models import AuditEntry

    year = SchoolYear.objects.current()
    plan_year(year.name, "performance-dialogues", acting_user=SYSTEM)
    meeting = Meeting.objects.filter(rule__kind="explore").first()
    from districtpm.core.scoping import allowed

    invited = set(meeting.attendees.values_list("pk", flat=True))
    hr = User.objects.get(username="hr.partner")  # may not see the meeting: never offered
    guest = next(
        u
        for u in User.objects.filter(role_assignments__isnull=False).distinct().order_by("pk")
        if u.pk not in invited and allowed(u, meeting, "view")
    )
    client = Client()
    client.force_login(User.objects.get(username="pm.office"))
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'value="{guest.pk}"' in page and f'name="attendees" value="{hr.pk}"' not in page
    refused = client.post(f"/meetings/{meeting.pk}/attendees/", {"attendees": [*invited, hr.pk]})
    meeting.refresh_from_db()
    assert refused.status_code == 302 and not meeting.attendees.filter(pk=hr.pk).exists()
    client.post(f"/meetings/{meeting.pk}/attendees/", {"attendees": [*invited, guest.pk]})
    meeting.refresh_from_db()
    assert meeting.attendees.filter(pk=guest.pk).exists() and meeting.sequence == 1
    entry = AuditEntry.objects.get(action="meetings.meeting.attendees")
    name = guest.username
    assert name in entry.after["attendees"] and name not in entry.before["attendees"]
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Who attends" in page and f'value="{guest.pk}"' in page
