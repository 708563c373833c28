"""Action teams: monthly updates, reminders through a real SMTP server, year-end carry-over."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.actionplans.actions import close_year, submit_update
from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction, StatusUpdate
from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import Meeting, Reminder
from districtpm.meetings.reminders import send_reminders
from districtpm.meetings.schedule import plan_year
from districtpm.plans.models import Plan, Priority


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


@pytest.fixture
def teams(world):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    whole = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    gap = Priority.objects.create(plan=plan, name="Opportunity Gap", order=2)
    lead = world.users["team_lead"]
    lead.email = "lead@example.org"
    lead.save()
    slt = world.users["slt"]
    slt.email = "slt@example.org"
    slt.save()
    a = ActionTeam.objects.create(priority=whole, name="Whole Child", lead=lead)
    a.members.set([world.users["team_member"]])
    b = ActionTeam.objects.create(priority=gap, name="Opportunity Gap", lead=slt)
    plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    return a, b


RATED = {"timeline": "on_track", "scope": "at_risk", "resources": "on_track", "narrative": "Going"}


def test_a_missing_update_sends_exactly_one_reminder_to_the_lead_before_explore(teams, smtp, world):
    a, b = teams
    explore = Meeting.objects.get(rule__kind="explore", focus_month=dt.date(2026, 12, 1))
    submit_update(b, explore.focus_month, RATED, acting_user=world.users["slt"])
    too_early = explore.date - dt.timedelta(days=10)
    assert send_reminders(too_early, acting_user=SYSTEM) == []
    before = explore.date - dt.timedelta(days=2)
    sent = send_reminders(before, acting_user=SYSTEM)
    assert [r.team for r in sent] == [a]
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message.rcpt_tos == ["lead@example.org"]
    body = message.content.decode()
    assert "Whole Child" in body and "December 2026" in body
    assert reverse("actionplans:update", args=[a.pk, "2026-12-01"]) in body
    # running again, even on the day of the meeting, sends nothing more
    assert (
        send_reminders(before, acting_user=SYSTEM) == []
        and send_reminders(explore.date, acting_user=SYSTEM) == []
    )
    assert len(smtp.messages) == 1
    assert Reminder.objects.count() == 1
    assert AuditEntry.objects.filter(action="actionplans.reminder.send").count() == 1


def test_the_remind_command_sends_through_smtp(teams, smtp, capsys):
    from django.core.management import call_command

    explore = Meeting.objects.get(rule__kind="explore", focus_month=dt.date(2027, 3, 1))
    call_command("cycles", "remind", "--today", (explore.date - dt.timedelta(days=1)).isoformat())
    assert "2 reminder(s) sent." in capsys.readouterr().out
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["lead@example.org", "slt@example.org"]


@time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
def test_missing_and_overdue_updates_show_on_the_cycle_page(teams, login, world):
    a, b = teams
    submit_update(a, dt.date(2026, 9, 1), RATED, acting_user=world.users["team_lead"])
    page = login(world.users["pm"]).get(reverse("meetings:year") + "?year=2026-2027").content
    page = page.decode()
    september = page[page.index("September 2026") : page.index("October 2026")]
    assert "1 overdue" in september and "Opportunity Gap" in september
    may = page[page.index("May 2027") :]
    assert "Due before Explore" in may and "missing" not in may


def test_only_the_team_sends_its_update(teams, login, world):
    a, _ = teams
    url = reverse("actionplans:update", args=[a.pk, "2026-11-01"])
    data = {**RATED}
    assert login(world.users["team_member"]).post(url, data).status_code == 302
    update = StatusUpdate.objects.get(team=a)
    assert update.submitted_by == world.users["team_member"] and update.scope == "at_risk"
    assert login(world.users["slt"]).post(url, data).status_code == 403  # not on the team
    assert login(world.users["principal_a"]).get(url).status_code == 403
    bad = login(world.users["team_lead"]).post(url, {**RATED, "timeline": "fine"})
    assert bad.status_code == 400
    assert StatusUpdate.objects.get(team=a).timeline == "on_track"
    with pytest.raises(PermissionDenied):
        submit_update(a, dt.date(2026, 11, 1), RATED, acting_user=world.users["board"])


def test_year_end_carries_open_actions_into_next_year(teams, login, world):
    a, _ = teams
    plan = ActionPlan.objects.create(team=a, school_year="2026-2027", objective="Attendance")
    PlanAction.objects.create(plan=plan, name="Hire", status="done")
    PlanAction.objects.create(plan=plan, name="Train", status="in_progress", milestone=True)
    PlanAction.objects.create(plan=plan, name="Survey", status="delayed")
    client = login(world.users["team_lead"])
    url = reverse("actionplans:close_year", args=[a.pk])
    # not before the year's last month: in December the page does not offer it, and the
    # action refuses
    with time_machine.travel(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)):
        page = client.get(reverse("actionplans:team", args=[a.pk])).content.decode()
        assert "can be closed, with its year-end evaluation, from 1 May 2027" in page
        with pytest.raises(ValidationError, match="from 1 May 2027"):
            close_year(plan, "Too early.", acting_user=world.users["team_lead"])
    late = time_machine.travel(dt.datetime(2027, 5, 10, 12, tzinfo=dt.UTC))
    late.start()
    client = login(world.users["team_lead"])  # a new session: December's has expired
    client.post(url, {"year": "2026-2027", "evaluation": ""})
    assert not ActionPlan.objects.filter(school_year="2027-2028").exists()
    client.post(url, {"year": "2026-2027", "evaluation": "Half done."})
    nxt = ActionPlan.objects.get(team=a, school_year="2027-2028")
    assert nxt.carried_from == plan
    assert sorted(nxt.actions.values_list("name", "status")) == [
        ("Survey", "in_progress"),
        ("Train", "in_progress"),
    ]
    plan.refresh_from_db()
    assert plan.evaluation == "Half done." and plan.evaluated_at
    with pytest.raises(Exception, match="closed already"):
        close_year(plan, "again", acting_user=world.users["team_lead"])
    assert login(world.users["team_member"]).post(url, {"year": "2026-2027"}).status_code == 403
    late.stop()


def test_the_office_sets_up_a_team_and_its_lead_starts_the_plan(world, login):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    pm = login(world.users["pm"])
    response = pm.post(
        reverse("actionplans:team_new"),
        {
            "priority": priority.pk,
            "name": "Whole Child",
            "lead": world.users["team_lead"].pk,
            "members": [world.users["team_member"].pk],
        },
    )
    team = ActionTeam.objects.get()
    assert response["Location"] == reverse("actionplans:team", args=[team.pk])
    assert list(team.members.all()) == [world.users["team_member"]]
    assert AuditEntry.objects.filter(action="actionplans.team.create").count() == 1
    lead = login(world.users["team_lead"])
    assert lead.get(reverse("actionplans:team_new")).status_code == 403
    lead.post(reverse("actionplans:start_plan", args=[team.pk]), {"objective": "Attendance"})
    plan = ActionPlan.objects.get(team=team)
    assert plan.school_year == world.year.name and plan.objective == "Attendance"
    lead.post(
        reverse("actionplans:add_action", args=[team.pk]),
        {"name": "Call families", "owner": world.users["team_lead"].pk, "status": "in_progress"},
    )
    assert plan.actions.get().name == "Call families"
    member = login(world.users["team_member"])
    assert member.post(reverse("actionplans:start_plan", args=[team.pk])).status_code == 403


def test_renaming_a_team_records_the_old_name_before_and_the_new_after(world, login):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    team = ActionTeam.objects.create(priority=priority, name="Whole Child")
    response = login(world.users["pm"]).post(
        reverse("actionplans:team_edit", args=[team.pk]),
        {"priority": priority.pk, "name": "Whole Child Team", "lead": "", "members": []},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="actionplans.team.update")
    assert (entry.before["name"], entry.after["name"]) == ("Whole Child", "Whole Child Team")


@time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
def test_home_shows_next_meetings_and_the_update_a_lead_owes(teams, login, world):
    a, _ = teams
    page = login(world.users["team_lead"]).get("/").content.decode()
    assert "Your next meetings" in page
    assert "Whole Child: December update" in page
    assert reverse("actionplans:update", args=[a.pk, "2026-12-01"]) in page
    submit_update(a, dt.date(2026, 12, 1), RATED, acting_user=world.users["team_lead"])
    assert "Status update due" not in login(world.users["team_lead"]).get("/").content.decode()
    assert "Your next meetings" not in login(world.users["teacher_a"]).get("/").content.decode()


def test_reminders_from_the_web_and_a_mail_server_that_is_down(teams, login, world, settings):
    explore = Meeting.objects.get(rule__kind="explore", focus_month=dt.date(2027, 3, 1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    with time_machine.travel(dt.datetime.combine(explore.date, dt.time(18), tzinfo=dt.UTC)):
        client = login(world.users["pm"])  # signed in on that day
        response = client.post(reverse("meetings:remind"), follow=True)
        assert "No reminder could be sent" in response.content.decode()
        assert not Reminder.objects.exists()  # nothing recorded as sent
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        response = client.post(reverse("meetings:remind"), follow=True)
        assert "2 reminder(s) sent" in response.content.decode()
        assert login(world.users["team_lead"]).post(reverse("meetings:remind")).status_code == 403
