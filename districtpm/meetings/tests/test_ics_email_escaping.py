"""Free text in calendar feeds and reminder emails stays text: a line break, `BEGIN:VEVENT`,
`;` `,` `\\` or a control character in a name or agenda adds no property, event or header."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes

import pytest
from django.core import mail
from django.db import connection
from icalendar import Calendar

from districtpm.actionplans.models import ActionTeam
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import Meeting, MeetingRule, Reminder
from districtpm.meetings.reminders import send_reminders
from districtpm.meetings.schedule import plan_year
from districtpm.plans.models import Plan, Priority

# PostgreSQL refuses NUL in text at the database, and the product's forms refuse it on every
# engine (Django's ProhibitNullCharactersValidator); these tests store text directly, so on
# PostgreSQL they use another control character in its place.
NUL = "\x01" if connection.vendor == "postgresql" else "\x00"

INJECTED = "\r\nBEGIN:VEVENT\r\nUID:evil@example.org\r\nSUMMARY:injected\r\nEND:VEVENT\n"
PRIORITY = f"Focus{INJECTED}; a, b \\ c{NUL}\x0b\x1f!"
# what a calendar shows for it: one line, every character else as typed
PRIORITY_SHOWN = "Focus BEGIN:VEVENT UID:evil@example.org SUMMARY:injected END:VEVENT ; a, b \\ c !"
AGENDA = ["Review;the,data\\now", f"Second{INJECTED}item{NUL}\x1f"]
REASON = "Moved\rDTSTART:19700101T000000Z\r\nX-EVIL:1"
LOCATION = "Room 1\r\nATTENDEE:mailto:evil@example.org"
PROPERTIES = {
    "UID",
    "SEQUENCE",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "CATEGORIES",
    "LOCATION",
    "STATUS",
}
HEADERS = {
    "Content-Type",
    "MIME-Version",
    "Content-Transfer-Encoding",
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
}


@pytest.fixture
def hostile(world):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name=PRIORITY, order=1)
    lead = world.users["team_lead"]
    lead.email, lead.first_name = "lead@example.org", f"Lee{NUL}\r\nBcc: evil@example.org"
    lead.save()
    slt = world.users["slt"]
    slt.email = "slt@example.org"
    slt.save()
    ActionTeam.objects.create(
        priority=priority, name=f"Whole Child\r\nBcc: evil@example.org{NUL}", lead=lead
    )
    ActionTeam.objects.create(priority=priority, name="Opportunity Gap", lead=slt)
    plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    MeetingRule.objects.update(attendees="Leaders\r\nEND:VEVENT\r\nBEGIN:VEVENT")
    Meeting.objects.update(agenda=AGENDA, moved_reason=REASON, location=LOCATION)
    return priority


def unfolded_lines(raw: bytes) -> list[str]:
    """The content lines of an iCalendar stream, with folded lines joined (RFC 5545 3.1)."""
    return raw.decode().replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def test_free_text_adds_no_event_or_property_to_a_calendar_feed(hostile, world, login):
    pm = world.users["pm"]
    meetings = list(Meeting.objects.all())
    for m in meetings:
        m.attendees.add(pm)
    response = login(pm).get("/meetings/calendar/mine.ics")
    assert response.status_code == 200
    raw = response.content
    # RFC 5545 allows no control character in a value but the CRLF that ends each line
    assert not any(b < 0x20 and b not in (0x0D, 0x0A, 0x09) for b in raw)
    lines = [line for line in unfolded_lines(raw) if line]
    assert all("\r" not in line and "\n" not in line for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(meetings)
    assert not any(line.startswith(("X-EVIL", "ATTENDEE", "SUMMARY:injected")) for line in lines)
    events = Calendar.from_ical(raw).walk("VEVENT")
    assert len(events) == len(meetings)
    assert {str(e["uid"]) for e in events} == {m.uid for m in meetings}
    for event in events:
        assert set(event.keys()) == PROPERTIES
        assert str(event["summary"]).endswith(" — " + PRIORITY_SHOWN)
        assert str(event["location"]) == "Room 1 ATTENDEE:mailto:evil@example.org"
        description = str(event["description"])
        assert "- Review;the,data\\now" in description
        assert "- Second\nBEGIN:VEVENT\nUID:evil@example.org" in description
        assert "Moved\nDTSTART:19700101T000000Z\nX-EVIL:1" in description
        assert NUL not in description and "\x1f" not in description


def test_a_team_name_with_a_line_break_injects_no_mail_header(hostile, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    explore = Meeting.objects.get(rule__kind="explore", focus_month=dt.date(2026, 12, 1))
    sent = send_reminders(explore.date - dt.timedelta(days=2), acting_user=SYSTEM)
    # the hostile name stops neither its own reminder nor the next team's
    assert len(sent) == 2 and Reminder.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["lead@example.org", "slt@example.org"]
    for message in mail.outbox:
        assert len(message.recipients()) == 1
        parsed = message_from_bytes(message.message().as_bytes())
        assert set(parsed.keys()) <= HEADERS and parsed.get_all("Bcc") is None
        assert parsed["To"] == message.to[0]
        assert "\n" not in message.subject and "\r" not in message.subject
        assert NUL not in message.body
    hostile_mail = next(m for m in mail.outbox if m.to == ["lead@example.org"])
    assert hostile_mail.subject == (
        "Whole Child Bcc: evil@example.org : your December status update is due before Explore"
    )
