"""Every change to a meeting and what is recorded in it. Each checks the permission and that the
meeting is in the user's scope, runs in one transaction and writes its audit entry."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from districtpm.audit.log import record, save_recorded, snapshot
from districtpm.core.scoping import require
from districtpm.meetings.models import FeedToken, Meeting, MeetingItem


def _allow(user: Any, target: Any) -> None:
    """Decided by the change rules (meetings/rules.py): first the role, then the meeting's scope."""
    require(user, type(target), message="Your role does not allow this change.")
    require(user, target, message="This meeting is outside your access.")


@transaction.atomic
def record_item(meeting: Meeting, item: MeetingItem, *, acting_user: Any) -> MeetingItem:
    """Record a note, decision, barrier, commitment… (an unsaved item from the form)."""
    _allow(acting_user, MeetingItem(meeting=meeting))
    item.meeting = meeting
    item.created_by = acting_user
    item.save()
    record(actor=acting_user, action="meetings.item.create", obj=item, after=snapshot(item))
    return item


@transaction.atomic
def change_item(item: MeetingItem, data: dict[str, Any], *, acting_user: Any) -> MeetingItem:
    """Correct what was recorded: its kind, text, owner or due date."""
    _allow(acting_user, item)
    before = snapshot(item)
    for field in ("kind", "text", "owner", "due_date"):
        if field in data:
            setattr(item, field, data[field])
    item.full_clean()
    save_recorded(item, before, actor=acting_user, action="meetings.item.change")
    return item


@transaction.atomic
def remove_item(item: MeetingItem, *, acting_user: Any) -> None:
    """Take an item off the record; the audit log keeps what it said."""
    _allow(acting_user, item)
    record(actor=acting_user, action="meetings.item.delete", obj=item, before=snapshot(item))
    item.delete()


@transaction.atomic
def close_commitment(meeting: Meeting, item: MeetingItem, *, acting_user: Any) -> MeetingItem:
    """Close a commitment (of this meeting or one carried into it) as done at `meeting`."""
    _allow(acting_user, MeetingItem(meeting=meeting))
    if item.kind != MeetingItem.Kind.COMMITMENT or item.meeting.cycle_id != meeting.cycle_id:
        raise PermissionDenied("Only a commitment of this cycle can be closed here.")
    before = snapshot(item)
    item.closed_at = timezone.now()
    item.closed_in = meeting
    save_recorded(item, before, actor=acting_user, action="meetings.item.close")
    return item


@transaction.atomic
def set_meeting_state(meeting: Meeting, state: str, *, acting_user: Any) -> bool:
    """Mark the meeting held, cancelled or scheduled; calendars get the new sequence. False when
    it already was in that state."""
    _allow(acting_user, meeting)
    if state not in Meeting.State.values:
        raise ValueError(f"{state!r} is not a meeting state")
    if state == meeting.state:
        return False
    before = snapshot(meeting)
    meeting.state = state
    meeting.sequence += 1
    save_recorded(meeting, before, actor=acting_user, action="meetings.meeting.state")
    return True


@transaction.atomic
def set_attendees(meeting: Meeting, people: Iterable[Any], *, acting_user: Any) -> list[str]:
    """Who attends; the invitation's sequence rises when it changes. The usernames after."""
    _allow(acting_user, meeting)
    before = sorted(meeting.attendees.values_list("username", flat=True))
    meeting.attendees.set(people)
    after = sorted(meeting.attendees.values_list("username", flat=True))
    if before != after:
        meeting.sequence += 1
        meeting.save(update_fields=["sequence", "updated_at"])
        record(
            actor=acting_user,
            action="meetings.meeting.attendees",
            obj=meeting,
            before={"attendees": before},
            after={"attendees": after},
        )
    return after


@transaction.atomic
def renew_feed_token(*, acting_user: Any) -> FeedToken:
    """A new secret calendar address for the user; the old one stops working. The audit entry
    says that it changed, never the address itself."""
    _allow(acting_user, FeedToken(user=acting_user))
    had = FeedToken.objects.filter(user=acting_user).exists()
    FeedToken.objects.filter(user=acting_user).delete()
    token = FeedToken.objects.create(user=acting_user, token=secrets.token_urlsafe(32))
    record(
        actor=acting_user,
        action="meetings.feed.renew",
        obj=token,
        after={"replaced": had},
        note="A new calendar address was made; the old one no longer works.",
    )
    return token
