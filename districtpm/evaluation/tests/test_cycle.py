"""The evaluation year: windows from the calendar, caseloads assigned by the principal,
observations with time-stamped notes that the teacher sees once shared, conversations the
teacher reflects on and acknowledges, and follow-up emails through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from districtpm.accounts.models import CaseloadEntry
from districtpm.actionplans.tests.test_action_teams import free_port, smtp  # noqa: F401
from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, checklists, cycle, guides, records, yearplan
from districtpm.evaluation.models import Conversation, Evaluation, FollowUp, Observation, Window

K = Window.Kind
DENVER = ZoneInfo("America/Denver")  # the test settings' TIME_ZONE
pytestmark = pytest.mark.django_db


@pytest.fixture
def leap(world):
    return actions.create_from_preset(world.year, acting_user=SYSTEM)


@pytest.fixture
def ev(world, leap):
    made = records.open_evaluation(
        world.staff["teacher_a"], world.school_a, leap, acting_user=SYSTEM
    )
    return Evaluation.objects.get(pk=made.pk)  # with the teacher's user, linked after world.staff


@pytest.fixture
def on_day():
    with time_machine.travel(
        dt.datetime(2027, 1, 20, 15, 0, tzinfo=DENVER), tick=True
    ) as traveller:
        yield traveller


def _indicators(e):
    return {i.code: i for i in cycle.observed_indicators(e)}


# ------------------------------------------------------------------ windows


def test_windows_fall_on_school_days_in_order_with_ratings_due_two_weeks_before_the_end(
    world, leap
):
    spans = yearplan.windows_for(world.year, leap.settings())
    closed = world.year.closed_days()
    for kind in yearplan.ORDER:
        for day in spans[kind]:
            assert day.weekday() < 5 and day not in closed, (kind, day)
    starts = [spans[k][0] for k in yearplan.ORDER]
    assert starts == sorted(starts)
    # the last day of classes is Friday 21 May 2027: ratings due by Friday 7 May
    assert spans[K.RATINGS_DUE] == (dt.date(2027, 5, 7), dt.date(2027, 5, 7))
    assert spans[K.GOALS][0] == dt.date(2026, 8, 17)
    assert spans[K.MID_YEAR][0] < spans[K.MID_YEAR][1] < spans[K.OBSERVATION_2][0]
    # the fall break (23–27 November) never holds an edge
    made = yearplan.plan_year(leap, acting_user=world.users["hr"])
    assert [w.kind for w in made] == list(yearplan.ORDER)
    assert AuditEntry.objects.filter(action="evaluation.windows").count() == 1


def test_windows_are_refused_out_of_order_late_or_by_a_principal(world, leap):
    spans = yearplan.windows_for(world.year, leap.settings())
    late = dict(spans, ratings_due=(dt.date(2027, 5, 14), dt.date(2027, 5, 14)))
    with pytest.raises(ValidationError, match="two weeks before"):
        yearplan.set_windows(leap, late, acting_user=world.users["hr"])
    swapped = dict(spans, mid_year=spans[K.GOALS], goals=spans[K.MID_YEAR])
    with pytest.raises(ValidationError, match="opens before"):
        yearplan.set_windows(leap, swapped, acting_user=world.users["hr"])
    with pytest.raises(PermissionDenied):
        yearplan.plan_year(leap, acting_user=world.users["principal_a"])
    assert not Window.objects.exists()


def test_a_district_moves_the_ratings_date_with_its_own_setting(world, leap):
    assert yearplan.ratings_due(world.year, leap.settings()) == dt.date(2027, 5, 7)
    leap.nonrenewal_notice_month, leap.nonrenewal_notice_day = 5, 15
    leap.save()
    dates = cycle.status.year_dates(world.year.end_date, leap.settings())
    assert dates.nonrenewal_notice_by == dt.date(2027, 5, 14)


# ------------------------------------------------------------------ caseloads


def test_the_principal_assigns_the_evaluator_and_others_may_not(world, ev):
    teacher = world.staff["teacher_a2"]
    cycle.assign_evaluator(
        teacher, world.year, world.users["evaluator_a"], acting_user=world.users["principal_a"]
    )
    assert CaseloadEntry.objects.filter(
        staff=teacher, evaluator=world.users["evaluator_a"]
    ).exists()
    for who in ["principal_b", "evaluator_a", "hr", "teacher_a"]:
        with pytest.raises(PermissionDenied):
            cycle.assign_evaluator(teacher, world.year, None, acting_user=world.users[who])
    # school B's evaluator does not evaluate at school A
    with pytest.raises(ValidationError):
        cycle.assign_evaluator(
            teacher, world.year, world.users["evaluator_b"], acting_user=world.users["principal_a"]
        )
    assert (
        CaseloadEntry.objects.get(staff=teacher, school_year=world.year).evaluator
        == (world.users["evaluator_a"])
    )
    assert AuditEntry.objects.filter(action="evaluation.caseload").count() == 1


# ------------------------------------------------------------------ observations


def test_an_observation_scores_indicators_and_projects_the_component(world, ev, on_day):
    i = _indicators(ev)
    evaluator = world.users["evaluator_a"]
    o = cycle.record_observation(
        ev, dt.date(2027, 1, 19), {i["I.1"].pk: 3, i["I.3"].pk: 2}, acting_user=evaluator
    )
    cycle.record_observation(ev, dt.date(2027, 1, 20), {i["I.1"].pk: 4}, acting_user=evaluator)
    observation = next(c for c in ev.framework.components.all() if c.kind == "observation")
    assert records.observed_means(ev) == {observation.pk: 3.0}
    projected = records.result(ev)
    assert observation not in projected.missing and projected.score is not None
    # the teacher's own view counts only what is shared with them
    assert observation in records.result(ev, shared_only=True).missing
    cycle.share_observation(o, acting_user=evaluator)
    assert records.observed_means(ev, shared_only=True) == {observation.pk: 2.5}
    # an observation's mean is a projection: finalising needs the component's own score
    with pytest.raises(ValidationError, match="Not scored yet: Observation of practice"):
        records.finalise(ev, "Why", acting_user=evaluator)


def test_observation_scores_off_the_scale_or_of_other_indicators_are_refused(world, ev, on_day):
    i = _indicators(ev)
    professionalism = ev.framework.components.get(kind="professionalism").indicators.first()
    evaluator = world.users["evaluator_a"]
    with pytest.raises(ValidationError) as refused:
        cycle.record_observation(
            ev, dt.date(2027, 1, 19), {i["I.1"].pk: 5, professionalism.pk: 3}, acting_user=evaluator
        )
    assert len(refused.value.messages) == 2
    with pytest.raises(ValidationError, match="future"):
        cycle.record_observation(ev, dt.date(2027, 2, 1), {}, acting_user=evaluator)
    for who in ["teacher_a", "principal_b", "hr", "pm"]:
        with pytest.raises(PermissionDenied):
            cycle.record_observation(ev, dt.date(2027, 1, 19), {}, acting_user=world.users[who])
    assert not Observation.objects.exists()


def test_notes_are_stamped_with_their_time_and_the_teacher_sees_them_once_shared(
    world, ev, on_day, client
):
    i = _indicators(ev)
    evaluator = world.users["evaluator_a"]
    o = cycle.record_observation(ev, dt.date(2027, 1, 20), {}, acting_user=evaluator)
    on_day.move_to(dt.datetime(2027, 1, 20, 15, 7, tzinfo=DENVER))
    first = cycle.add_note(o, "Students explain their reasoning.", i["I.6"], acting_user=evaluator)
    on_day.move_to(dt.datetime(2027, 1, 20, 15, 19, tzinfo=DENVER))
    second = cycle.add_note(o, "Exit ticket checks the goal.", acting_user=evaluator)
    assert first.at.astimezone(DENVER).strftime("%H:%M") == "15:07"
    assert second.at.astimezone(DENVER).strftime("%H:%M") == "15:19"
    assert list(o.notes.all()) == [first, second]
    with pytest.raises(ValidationError):
        cycle.add_note(o, "   ", acting_user=evaluator)

    client.force_login(world.users["teacher_a"])
    url = f"/evaluation/{ev.pk}/observations/{o.pk}/"
    assert client.get(url).status_code == 404
    assert "Students explain" not in client.get(f"/evaluation/{ev.pk}/").content.decode()
    cycle.share_observation(o, acting_user=evaluator)
    page = client.get(url).content.decode()
    assert "Students explain their reasoning." in page and "15:07" in page
    # the teacher reads but does not write
    assert client.post(f"{url}notes/", {"text": "mine"}).status_code == 403
    assert o.notes.count() == 2


# ------------------------------------------------------------------ conversations


def test_the_teacher_reflects_the_evaluator_holds_the_teacher_acknowledges(world, ev, on_day):
    teacher, evaluator = world.users["teacher_a"], world.users["evaluator_a"]
    with pytest.raises(PermissionDenied):
        cycle.write_reflection(ev, "mid_year", "Not mine", acting_user=evaluator)
    cycle.write_reflection(ev, "mid_year", "Routines are working.", acting_user=teacher)
    with pytest.raises(PermissionDenied):
        cycle.hold_conversation(
            ev, "mid_year", dt.date(2027, 1, 20), {"open": "x"}, acting_user=teacher
        )
    with pytest.raises(ValidationError, match="at least one section"):
        cycle.hold_conversation(ev, "mid_year", dt.date(2027, 1, 20), {}, acting_user=evaluator)
    c = cycle.hold_conversation(
        ev,
        "mid_year",
        dt.date(2027, 1, 20),
        {"practice": "Strong routines.", "next": "Push questioning.", "bogus": "dropped"},
        acting_user=evaluator,
    )
    assert set(c.notes) == {s.key for s in guides.MID_YEAR} and "bogus" not in c.notes
    with pytest.raises(ValidationError, match="closed"):
        cycle.write_reflection(ev, "mid_year", "Late", acting_user=teacher)
    with pytest.raises(PermissionDenied):
        cycle.acknowledge(c, acting_user=evaluator)
    cycle.acknowledge(c, "I see it differently on questioning.", acting_user=teacher)
    c.refresh_from_db()
    assert c.acknowledged_at and c.teacher_comment.startswith("I see it")
    with pytest.raises(ValidationError, match="already"):
        cycle.acknowledge(c, acting_user=teacher)
    # new notes, new acknowledgement
    cycle.hold_conversation(
        ev,
        "mid_year",
        dt.date(2027, 1, 20),
        {"next": "Push questioning daily."},
        acting_user=evaluator,
    )
    c.refresh_from_db()
    assert c.acknowledged_at is None
    actions_logged = set(
        AuditEntry.objects.filter(action__startswith="evaluation.conversation").values_list(
            "action", flat=True
        )
    )
    assert actions_logged == {
        "evaluation.conversation",
        "evaluation.conversation.reflection",
        "evaluation.conversation.acknowledge",
    }


def test_a_conversation_is_not_acknowledged_before_it_is_held(world, ev):
    c = Conversation.objects.create(evaluation=ev, kind="end_of_year")
    with pytest.raises(ValidationError, match="not been recorded as held"):
        cycle.acknowledge(c, acting_user=world.users["teacher_a"])


# ------------------------------------------------------------------ follow-up emails


def test_a_follow_up_is_filled_from_the_record_edited_and_sent_through_smtp(
    world,
    ev,
    on_day,
    smtp,  # noqa: F811
):
    evaluator = world.users["evaluator_a"]
    evaluator.email = "evaluator@example.org"
    evaluator.first_name, evaluator.last_name = "Eve", "Valdez"
    evaluator.save()
    cycle.hold_conversation(
        ev, "mid_year", dt.date(2027, 1, 20), {"next": "Questioning."}, acting_user=evaluator
    )
    key = cycle.template_for(ev)
    subject, body = guides.render_email(
        key,
        cycle.email_context(ev, sender=evaluator, next_steps="Plan two questions <b>daily</b>."),
    )
    assert body.startswith("Dear Tess,") and "mid-year conversation on 20 January" in body
    assert "<b>daily</b>" in body  # plain text, not HTML: nothing escaped or dropped
    assert body.rstrip().endswith("Eve Valdez")
    followup = cycle.send_followup(
        ev, key, subject + "\nBcc: x@evil.example", body + "\n\nEdited.", acting_user=evaluator
    )
    assert len(smtp.messages) == 1
    sent = smtp.messages[0]
    assert sent.rcpt_tos == ["teacher_a@example.org"]
    message = email.message_from_bytes(sent.content, policy=email.policy.default)
    assert message["Bcc"] is None and "x@evil.example" not in sent.rcpt_tos  # one line
    assert message["Subject"].startswith("Our mid-year conversation")
    assert "Edited." in message.get_content()
    assert message["Reply-To"] == "evaluator@example.org"
    assert followup.to == "teacher_a@example.org" and "\n" not in followup.subject
    assert AuditEntry.objects.filter(action="evaluation.followup").count() == 1
    with pytest.raises(PermissionDenied):
        cycle.send_followup(ev, key, "s", "b", acting_user=world.users["teacher_a"])


def test_a_failed_send_records_nothing(world, ev, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    with pytest.raises(ValidationError, match="could not be sent"):
        cycle.send_followup(
            ev, "after_conversation", "Subject", "Body", acting_user=world.users["evaluator_a"]
        )
    assert not FollowUp.objects.exists()
    assert not AuditEntry.objects.filter(action="evaluation.followup").exists()


def test_the_template_follows_the_gravest_risk(world, ev, on_day):
    assert cycle.template_for(ev, today=dt.date(2027, 1, 20)) == "after_conversation"
    records.score_component(
        ev, ev.framework.components.get(kind="professionalism"), 1, "Low", acting_user=SYSTEM
    )
    assert cycle.template_for(ev, today=dt.date(2027, 1, 20)) == "at_risk_rating"


# ------------------------------------------------------------------ checklists


def test_checklists_count_what_is_done_for_each_part(world, ev, on_day):
    yearplan.plan_year(ev.framework, acting_user=SYSTEM)
    evaluator, teacher = world.users["evaluator_a"], world.users["teacher_a"]
    lists = {c.part: c for c in checklists.checklists(evaluator, world.year, set())}
    assert set(lists) == {"Evaluator"}
    held = {i.label: (i.done, i.total) for i in lists["Evaluator"].items}
    assert held["Mid-year conversation held"] == (0, 1)
    cycle.hold_conversation(
        ev, "mid_year", dt.date(2027, 1, 20), {"open": "Hello"}, acting_user=evaluator
    )
    lists = {c.part: c for c in checklists.checklists(evaluator, world.year, {ev.pk})}
    held = {i.label: (i.done, i.total) for i in lists["Evaluator"].items}
    assert held["Mid-year conversation held"] == (1, 1)
    assert held["Follow-up email to each teacher at risk"] == (0, 1)
    mine = checklists.checklists(teacher, world.year, set())
    assert [c.part for c in mine] == ["Teacher"]
    steps = {i.label: i.complete for i in mine[0].items}
    assert steps["Acknowledge the mid-year conversation"] is False
    assert mine[0].next().label == "Your reflection before the mid-year conversation"
    leader = {
        c.part: c for c in checklists.checklists(world.users["principal_a"], world.year, set())
    }
    assert {i.label: (i.done, i.total) for i in leader["School leader"].items}[
        "Every teacher has an evaluator"
    ] == (1, 1)
