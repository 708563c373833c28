"""Meetings as iCalendar (RFC 5545). Each meeting keeps one UID for life and raises its
SEQUENCE at every change, so a calendar client replaces the event rather than adding one.

The icalendar library escapes line breaks, `;`, `,` and `\\` in TEXT values, so free text cannot
start a property or an event; RFC 5545 also forbids control characters in TEXT, which the
library passes through, so every free text goes through `plaintext.clean` first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event

from districtpm.core import plaintext
from districtpm.meetings.models import Meeting


def description(meeting: Meeting) -> str:
    lines = [meeting.rule.attendees, ""]
    if meeting.agenda:
        lines += ["Agenda:"] + [f"- {item}" for item in meeting.agenda]
    if meeting.moved_reason:
        lines += ["", meeting.moved_reason]
    return plaintext.clean("\n".join(lines).strip())


def calendar(meetings: Iterable[Meeting], name: str) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    cal = Calendar()
    cal.add("prodid", "-//District PM//Meeting cycles//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", plaintext.one_line(name))
    for m in meetings:
        start = dt.datetime.combine(m.date, m.start_time, tzinfo=zone)
        event = Event()
        event.add("uid", m.uid)
        event.add("sequence", m.sequence)
        event.add("dtstamp", m.updated_at.astimezone(dt.UTC))
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=m.minutes))
        event.add("summary", plaintext.one_line(m.title))
        event.add("description", description(m))
        event.add("categories", [plaintext.one_line(m.rule.get_kind_display())])
        if m.location:
            event.add("location", plaintext.one_line(m.location))
        event.add("status", "CANCELLED" if m.state == Meeting.State.CANCELLED else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
