"""Designations' steps: done, due and overdue around a frozen date; one reminder per due step
through a real SMTP server; who sees and records what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.actionplans.tests.test_action_teams import smtp  # noqa: F401  (fixture)
from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions, progress
from districtpm.improvement.models import StepReminder, StepRule
from districtpm.org.models import Designation


@pytest.fixture
def designated(world):
    """School A targeted (TSI), school B comprehensive (CSI), with the usual steps and one more
    for TSI due in March."""
    tsi = Designation.objects.create(school=world.school_a, school_year=world.year, kind="tsi")
    csi = Designation.objects.create(school=world.school_b, school_year=world.year, kind="csi")
    actions.add_usual_steps(world.year, acting_user=SYSTEM)
    march = actions.save_step_rule(
        StepRule(school_year=world.year, kind="tsi"),
        name="Problem statements reviewed with the network",
        due_on=dt.date(2027, 3, 12),
        remind_days=10,
        acting_user=SYSTEM,
    )
    for key in ["principal_a", "principal_b"]:
        user = world.users[key]
        user.email = f"{key}@example.org"
        user.save()
    return {"tsi": tsi, "csi": csi, "march": march}


def _states(year, today, designation):
    rows = progress.designated(Designation.objects.filter(pk=designation.pk), year.pk, today)
    return {s.rule.name: s.state for s in rows[0].steps}


def test_done_due_and_overdue_around_a_frozen_date(world, designated, login):
    tsi, march = designated["tsi"], designated["march"]
    before = dt.date(2027, 3, 12)  # the March step's own due date: still due
    assert _states(world.year, before, tsi) == {
        "Problem statements reviewed with the network": "due",
        "Action plan entered in the state portal": "due",
        "MTSS self-assessment complete": "due",
    }
    after = dt.date(2027, 3, 13)
    assert (
        _states(world.year, after, tsi)["Problem statements reviewed with the network"] == "overdue"
    )
    with time_machine.travel(dt.datetime(2027, 5, 16, 9, 0), tick=False):
        plan_rule = StepRule.objects.get(kind="tsi", name__startswith="Action plan")
        actions.complete_step(
            tsi, plan_rule, done_on=dt.date(2027, 5, 14), acting_user=world.users["principal_a"]
        )
        states = _states(world.year, dt.date(2027, 5, 16), tsi)
        assert states == {
            "Problem statements reviewed with the network": "overdue",
            "Action plan entered in the state portal": "done",
            "MTSS self-assessment complete": "due",
        }
        page = login(world.users["pm"]).get(reverse("improvement:designations")).content.decode()
        assert (
            "<strong>2</strong> designated schools" in page
            and "1 step done, 2 due, <strong>2 overdue</strong>" in page
        )
        # The PM office may record any school's step; the form is there for the open ones.
        assert page.count('action="/school-improvement/designations/') == 4
        overdue_only = login(world.users["pm"]).get(
            reverse("improvement:designations") + "?state=overdue"
        )
        assert world.school_a.name in overdue_only.content.decode()
    assert march.pk and AuditEntry.objects.filter(action="improvement.step.done").count() == 1


def test_exactly_one_reminder_per_due_step(world, designated, smtp):  # noqa: F811
    # 2 March: the March step's reminder day (10 days before) has come; May and June's not yet.
    sent = actions.send_step_reminders(dt.date(2027, 3, 2), acting_user=SYSTEM)
    assert [(r.designation.school, r.rule.name) for r in sent] == [
        (world.school_a, "Problem statements reviewed with the network")
    ]
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["principal_a@example.org"]
    body = smtp.messages[0].content.decode()
    assert "is due on Friday 12 March 2027" in body
    # Running again, the next day, sends nothing more.
    assert actions.send_step_reminders(dt.date(2027, 3, 3), acting_user=SYSTEM) == []
    assert len(smtp.messages) == 1
    # 1 May: both schools' action plans (due 15 May) are reminded, once each; the March step,
    # overdue now, is not reminded again.
    sent = actions.send_step_reminders(dt.date(2027, 5, 1), acting_user=SYSTEM)
    assert sorted(r.designation.school.name for r in sent) == sorted(
        [world.school_a.name, world.school_b.name]
    )
    assert {r.rule.name for r in sent} == {"Action plan entered in the state portal"}
    assert actions.send_step_reminders(dt.date(2027, 5, 2), acting_user=SYSTEM) == []
    assert len(smtp.messages) == 3 and StepReminder.objects.count() == 3
    # A step done before its reminder day is never reminded.
    with time_machine.travel(dt.datetime(2027, 6, 1, 9, 0), tick=False):
        june = StepRule.objects.get(kind="csi", name__startswith="MTSS")
        actions.complete_step(
            designated["csi"],
            june,
            done_on=dt.date(2027, 6, 1),
            acting_user=world.users["principal_b"],
        )
    sent = actions.send_step_reminders(dt.date(2027, 6, 20), acting_user=SYSTEM)
    assert [(r.designation.school, r.rule.kind) for r in sent] == [(world.school_a, "tsi")]
    assert AuditEntry.objects.filter(action="improvement.step.remind").count() == 4


def test_who_sees_and_records_steps(world, designated, login):
    url = reverse("improvement:designations")
    a, b = world.school_a.name, world.school_b.name
    for role, sees in [
        ("pm", {a, b}),
        ("slt", {a, b}),
        ("network_1", {a}),
        ("principal_b", {b}),
        ("evaluator_a", {a}),
    ]:
        page = login(world.users[role]).get(url + f"?year={world.year.name}").content.decode()
        assert {n for n in (a, b) if n in page} == sees, role
    for refused in ["teacher_a", "board", "hr", "team_lead"]:
        assert login(world.users[refused]).get(url).status_code == 403, refused
    rule = StepRule.objects.get(kind="tsi", name__startswith="Action plan")
    with time_machine.travel(dt.datetime(2027, 5, 1, 9, 0), tick=False):
        for who in ["principal_b", "evaluator_a", "network_1", "slt"]:
            with pytest.raises(PermissionDenied):
                actions.complete_step(
                    designated["tsi"],
                    rule,
                    done_on=dt.date(2027, 5, 1),
                    acting_user=world.users[who],
                )
        with pytest.raises(ValidationError, match="future"):
            actions.complete_step(
                designated["tsi"],
                rule,
                done_on=dt.date(2027, 5, 2),
                acting_user=world.users["principal_a"],
            )
        csi_rule = StepRule.objects.get(kind="csi", name__startswith="Action plan")
        with pytest.raises(ValidationError, match="not one this designation requires"):
            actions.complete_step(
                designated["tsi"],
                csi_rule,
                done_on=dt.date(2027, 5, 1),
                acting_user=world.users["principal_a"],
            )
        client = login(world.users["principal_b"])
        response = client.post(
            reverse("improvement:complete", args=[designated["tsi"].pk, rule.pk]),
            {"done_on": "2027-05-01"},
        )
        assert response.status_code == 404  # another school's designation is not found
    assert login(world.users["principal_a"]).get(reverse("improvement:steps")).status_code == 403


def test_step_rules_are_set_by_the_pm_office(world, designated, login):
    client = login(world.users["pm"])
    response = client.post(
        reverse("improvement:steps"),
        {
            "year": world.year.name,
            "kind": "atsi",
            "name": "Family meeting held",
            "due_on": "2027-02-01",
            "remind_days": "7",
        },
    )
    assert response.status_code == 302
    assert StepRule.objects.filter(kind="atsi", name="Family meeting held").exists()
    page = client.post(
        reverse("improvement:steps"),
        {
            "year": world.year.name,
            "kind": "atsi",
            "name": "Late",
            "due_on": "2028-02-01",
            "remind_days": "7",
        },
    ).content.decode()
    assert "falls due between" in page and not StepRule.objects.filter(name="Late").exists()


def test_a_failed_send_is_tried_again_and_does_not_stop_the_run(world, designated, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    assert actions.send_step_reminders(dt.date(2027, 5, 1), acting_user=SYSTEM) == []
    assert not StepReminder.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = actions.send_step_reminders(dt.date(2027, 5, 1), acting_user=SYSTEM)
    assert len(sent) == 2
