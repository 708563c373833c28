"""Records that can be kept: a form that cannot be saved keeps what was typed and says each
error once; recorded items are corrected and removed (audited, scoped); owners are offered by
name among those who may see the meeting; the decision log filters and exports alike."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import Meeting, MeetingItem
from districtpm.meetings.schedule import plan_year
from districtpm.plans.models import Plan, Priority


@pytest.fixture
def explore(world):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    Priority.objects.create(plan=plan, name="Whole Child", order=1)
    Priority.objects.create(plan=plan, name="Great Schools", order=2)
    plan_year(world.year.name, "performance-dialogues", acting_user=SYSTEM)
    return Meeting.objects.filter(rule__kind="explore").order_by("date").first()


def test_a_commitment_without_owner_keeps_what_was_typed_and_says_so_once(explore, world, login):
    client = login(world.users["pm"])
    url = reverse("meetings:add_item", args=[explore.pk])
    response = client.post(url, {"kind": "commitment", "text": "Call the <b>families</b>"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Call the &lt;b&gt;families&lt;/b&gt;</textarea>" in page
    assert page.count("A commitment needs an owner and a due date.") == 1
    assert not MeetingItem.objects.exists()


def test_owners_are_people_who_may_see_the_meeting(explore, world, login):
    page = login(world.users["pm"]).get(reverse("meetings:meeting", args=[explore.pk]))
    html = page.content.decode()
    owners = html[
        html.index('id="id_owner"') : html.index("</select>", html.index('id="id_owner"'))
    ]
    assert "Priya Raman" in owners and "Marcus Bell" in owners
    # a principal and a teacher cannot see the Explore: they are not offered
    assert "Alder" not in owners and "teacher.a" not in owners


def test_an_item_is_corrected_and_removed_with_audit_rows_and_only_by_its_keepers(
    explore, world, login
):
    item = MeetingItem.objects.create(
        meeting=explore, kind="decision", text="Keep it monthly", created_by=world.users["pm"]
    )
    edit = reverse("meetings:edit_item", args=[explore.pk, item.pk])
    delete = reverse("meetings:delete_item", args=[explore.pk, item.pk])
    # a board member may see no Explore and change nothing; a team member records nothing
    assert (
        login(world.users["board"]).post(edit, {"kind": "decision", "text": "x"}).status_code == 403
    )
    assert login(world.users["team_member"]).post(delete).status_code == 403
    client = login(world.users["pm"])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"kind": "decision", "text": "Keep it every other month"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="meetings.item.change")
    assert (entry.before["text"], entry.after["text"]) == (
        "Keep it monthly",
        "Keep it every other month",
    )
    assert client.post(delete).status_code == 302
    assert not MeetingItem.objects.filter(pk=item.pk).exists()
    removed = AuditEntry.objects.get(action="meetings.item.delete")
    assert removed.before["text"] == "Keep it every other month"


def test_the_decision_log_filters_and_its_export_holds_the_same_rows(explore, world, login):
    pm = world.users["pm"]
    other = Meeting.objects.filter(rule__kind="explore").order_by("date")[1]
    MeetingItem.objects.create(meeting=explore, kind="decision", text="First", created_by=pm)
    MeetingItem.objects.create(
        meeting=explore,
        kind="commitment",
        text="Late one",
        owner=pm,
        due_date=dt.date(2026, 9, 20),
        created_by=pm,
    )
    MeetingItem.objects.create(meeting=other, kind="decision", text="Second", created_by=pm)
    MeetingItem.objects.create(meeting=other, kind="note", text="Just a note", created_by=pm)
    client = login(pm)
    url = reverse("meetings:log")
    everything = client.get(url).content.decode()
    assert "First" in everything and "Second" in everything and "Late one" in everything
    assert "Just a note" not in everything
    overdue = client.get(url, {"state": "overdue"}).content.decode()
    assert "Late one" in overdue and "First" not in overdue and "Overdue" in overdue
    query = {"kind": "decision", "since": other.date.isoformat()}
    shown = client.get(url, query).content.decode()
    assert "Second" in shown and "First" not in shown
    rows = list(
        csv.DictReader(io.StringIO(client.get(url, {**query, "format": "csv"}).content.decode()))
    )
    assert [r["Text"] for r in rows] == ["Second"]
    bad = client.get(url, {"since": "2027-05-01", "until": "2026-09-01"}).content.decode()
    assert "The first date comes on or before the last." in bad


def test_moving_a_meeting_onto_another_meetings_day_warns(explore, world, login):
    engage = Meeting.objects.filter(rule__kind="engage").order_by("date").first()
    client = login(world.users["pm"])
    url = reverse("meetings:move", args=[explore.pk])
    page = client.post(
        url, {"date": engage.date.isoformat(), "reason": "Winter break"}, follow=True
    )
    text = page.content.decode()
    assert "Meeting moved" in text and f"also the day of {engage.title}" in text
    quiet = client.post(url, {"date": "2026-10-27", "reason": "Later"}, follow=True)
    assert (
        "also the day of" not in quiet.content.decode()
        or Meeting.objects.filter(date="2026-10-27").exclude(pk=explore.pk).exists()
    )


def test_the_status_update_form_chooses_nothing_and_shows_last_month(world, login):
    from districtpm.actionplans.models import ActionTeam, StatusUpdate

    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    team = ActionTeam.objects.create(
        priority=priority, name="Whole Child", lead=world.users["team_lead"]
    )
    StatusUpdate.objects.create(
        team=team,
        month=dt.date(2026, 10, 1),
        timeline="at_risk",
        scope="on_track",
        resources="off_track",
        narrative="Waiting on the vendor contract.",
        submitted_by=world.users["team_lead"],
    )
    url = reverse("actionplans:update", args=[team.pk, "2026-11-01"])
    page = login(world.users["team_lead"]).get(url).content.decode()
    assert "---------" not in page and " checked" not in page
    assert "Last update: October 2026" in page and "Waiting on the vendor contract." in page
