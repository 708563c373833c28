"""Every change to a meeting is an audited action that checks who may make it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.meetings import actions
from districtpm.meetings.models import FeedToken, Meeting, MeetingItem
from districtpm.meetings.schedule import plan_year
from districtpm.meetings.tests.test_cycles import demo  # noqa: F401  (fixture)
from districtpm.org.models import SchoolYear


@pytest.fixture
def explore(demo):  # noqa: F811
    plan_year(SchoolYear.objects.current().name, "performance-dialogues", acting_user=SYSTEM)
    return Meeting.objects.filter(rule__kind="explore").order_by("date").first()


def test_each_meeting_change_writes_its_audit_entry(explore):
    office = User.objects.get(username="pm.office")
    item = actions.record_item(
        explore,
        MeetingItem(kind="commitment", text="Draft the memo.", owner=office),
        acting_user=office,
    )
    actions.close_commitment(explore, item, acting_user=office)
    assert actions.set_meeting_state(explore, Meeting.State.HELD, acting_user=office)
    assert not actions.set_meeting_state(explore, Meeting.State.HELD, acting_user=office)
    actions.set_attendees(explore, [office], acting_user=office)
    actions.renew_feed_token(acting_user=office)
    done = list(AuditEntry.objects.filter(actor=office).values_list("action", flat=True))
    for action in (
        "meetings.item.create",
        "meetings.item.close",
        "meetings.meeting.state",
        "meetings.meeting.attendees",
        "meetings.feed.renew",
    ):
        assert done.count(action) == 1, action


def test_a_new_calendar_address_is_audited_without_the_address(demo):  # noqa: F811
    # Replacing a calendar token used to leave no audit row at all.
    client = Client()
    office = User.objects.get(username="pm.office")
    client.force_login(office)
    client.post("/meetings/calendar/")
    client.post("/meetings/calendar/")
    entries = AuditEntry.objects.filter(action="meetings.feed.renew")
    assert entries.count() == 2
    token = FeedToken.objects.get(user=office).token
    assert all(token not in str(e.after) + e.note for e in entries)


def test_actions_refuse_who_may_not_change_a_meeting(explore):
    board = User.objects.get(username="board.member")
    with pytest.raises(PermissionDenied):
        actions.set_meeting_state(explore, Meeting.State.CANCELLED, acting_user=board)
    with pytest.raises(PermissionDenied):
        actions.record_item(explore, MeetingItem(kind="decision", text="x"), acting_user=board)
    assert not MeetingItem.objects.exists()
    explore.refresh_from_db()
    assert explore.state == Meeting.State.SCHEDULED
