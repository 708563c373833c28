"""What follows from an evaluation: plans of support (one in progress at a time, check-ins while
it runs, closed once), non-renewal of a probationary teacher's contract (notice by the day
before 1 June, the reasons within 14 days of asking), disagreements, grievances and appeals
(an appeal only of the rating that ended non-probationary status, on its two grounds, filed
within 15 days and decided within 45), and HR's list of deadlines passed.

Every clock is checked against dates worked out by hand; every write by anyone but the
teacher's principal and HR partners is refused and changes nothing; every page read by someone
other than the teacher leaves an audit entry; the teacher sees a non-renewal only once notice is
given. Time is frozen (time_machine) wherever "today" matters."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.demo.evaluation_consequences import build_demo_consequences
from districtpm.evaluation import actions, records
from districtpm.evaluation import consequences as cq
from districtpm.evaluation.models import (
    Appeal,
    CheckIn,
    Evaluation,
    Framework,
    NonRenewal,
    SupportPlan,
)
from districtpm.org.models import SchoolYear, Staff

D = dt.date
REFUSED = ["teacher_a", "evaluator_a", "principal_b", "pm", "slt", "board"]


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 19, tzinfo=dt.UTC)  # midday in Denver


@pytest.fixture
def travel(time_machine):
    """`travel(day)` freezes today at `day`; tests start on 1 March 2027 (the world's year runs
    from 17 August 2026 to 21 May 2027)."""

    def to(day: dt.date) -> None:
        time_machine.move_to(_noon(day), tick=False)

    to(D(2027, 3, 1))
    return to


@pytest.fixture
def leap(world):
    return actions.create_from_preset(world.year, acting_user=SYSTEM)


def _open(world, framework, key: str) -> Evaluation:
    school = world.school_b if key.endswith("_b") else world.school_a
    return records.open_evaluation(world.staff[key], school, framework, acting_user=SYSTEM)


@pytest.fixture
def tess(world, leap, travel):
    """Teacher A's evaluation this year (open; she is non-probationary unless a test says)."""
    return _open(world, leap, "teacher_a")


def _probationary(*staff: Staff, value: bool = True) -> None:
    # (update, not save: the world's staff objects predate their users' links)
    Staff.objects.filter(pk__in=[s.pk for s in staff]).update(probationary=value)


def _rate(e: Evaluation, rating: str) -> Evaluation:
    """Make the evaluation final with the framework's level for a state rating."""
    level = e.framework.levels.get(state_rating=rating)
    Evaluation.objects.filter(pk=e.pk).update(
        state="final", final_level=level, final_score=level.min_score + 5
    )
    e.refresh_from_db()
    return e


def _past(world, framework, key: str, start: int, rating: str) -> Evaluation:
    """A final rating of an earlier school year (one starting in August of `start`)."""
    year, _ = SchoolYear.objects.get_or_create(
        district=world.district,
        name=f"{start}-{start + 1}",
        defaults={"start_date": D(start, 8, 17), "end_date": D(start + 1, 5, 21)},
    )
    return Evaluation.objects.create(
        staff=world.staff[key],
        school=world.school_a,
        school_year=year,
        framework=framework,
        weight_set=framework.weight_sets.get(default=True),
        state="final",
        final_level=framework.levels.get(state_rating=rating),
        final_score=50,
    )


def _actions(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=f"evaluation.{prefix}")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- plans of support --------------------------------------------------------------------------


def test_a_plan_of_support_starts_has_check_ins_and_closes_each_step_audited(world, tess):
    principal, hr = world.users["principal_a"], world.users["hr"]
    plan = cq.start_support_plan(
        tess, "Clear goals daily", "Coaching", D(2027, 1, 11), D(2027, 4, 9), acting_user=principal
    )
    cq.add_check_in(plan, D(2027, 2, 1), "Going well.", acting_user=principal)
    cq.close_support_plan(plan, "met", "Met in February.", D(2027, 2, 26), acting_user=hr)
    plan.refresh_from_db()
    assert plan.outcome == "met" and plan.closed_on == D(2027, 2, 26)
    assert plan.created_by == principal and plan.check_ins.get().by == principal
    start, check_in, close = AuditEntry.objects.filter(
        action__startswith="evaluation.support_plan"
    ).order_by("pk")
    assert [start.action, check_in.action, close.action] == [
        "evaluation.support_plan.start",
        "evaluation.support_plan.check_in",
        "evaluation.support_plan.close",
    ]
    assert start.object_id == str(tess.pk) and start.actor == principal
    assert start.before is None and start.after["goals"] == "Clear goals daily"
    assert check_in.before is None and check_in.after["notes"] == "Going well."
    assert close.before["outcome"] == "" and close.after["outcome"] == "met"
    assert close.actor == hr


def test_one_plan_in_progress_at_a_time(world, tess):
    p = world.users["principal_a"]
    first = cq.start_support_plan(tess, "G", "S", D(2026, 9, 1), D(2026, 12, 1), acting_user=p)
    with pytest.raises(ValidationError, match="in progress already"):
        cq.start_support_plan(tess, "G2", "S2", D(2027, 1, 4), D(2027, 3, 1), acting_user=p)
    cq.close_support_plan(first, "partly", "Some goals met.", D(2026, 12, 1), acting_user=p)
    cq.start_support_plan(tess, "G2", "S2", D(2027, 1, 4), D(2027, 3, 1), acting_user=p)
    assert SupportPlan.objects.filter(evaluation=tess).count() == 2


def test_a_plans_dates_and_texts_are_checked(world, tess, travel):
    p = world.users["principal_a"]
    for ends in (D(2027, 1, 11), D(2027, 1, 10)):
        with pytest.raises(ValidationError, match="ends after the day it starts"):
            cq.start_support_plan(tess, "G", "S", D(2027, 1, 11), ends, acting_user=p)
    with pytest.raises(ValidationError) as refused:
        cq.start_support_plan(tess, " ", "", D(2027, 1, 11), D(2027, 4, 9), acting_user=p)
    assert refused.value.messages[:2] == [
        "Write the plan's goals.",
        "Say which supports the teacher will be given.",
    ]
    plan = cq.start_support_plan(tess, "G", "S", D(2027, 1, 11), D(2027, 4, 9), acting_user=p)
    runs = "from 11 January 2027 to 9 April 2027"
    with pytest.raises(ValidationError, match=runs):
        cq.add_check_in(plan, D(2027, 1, 10), "Before it started.", acting_user=p)
    travel(D(2027, 5, 1))
    with pytest.raises(ValidationError, match=runs):
        cq.add_check_in(plan, D(2027, 4, 10), "After it ended.", acting_user=p)
    travel(D(2027, 3, 1))
    with pytest.raises(ValidationError, match="cannot be later than today"):
        cq.add_check_in(plan, D(2027, 3, 2), "Tomorrow.", acting_user=p)
    with pytest.raises(ValidationError, match="Write the notes"):
        cq.add_check_in(plan, D(2027, 2, 15), "", acting_user=p)
    cq.add_check_in(plan, D(2027, 2, 15), "Halfway.", acting_user=p)
    with pytest.raises(ValidationError, match="check-in on 15 February 2027"):
        cq.close_support_plan(plan, "met", "Early.", D(2027, 2, 14), acting_user=p)
    with pytest.raises(ValidationError, match="met, partly met or not met"):
        cq.close_support_plan(plan, "", "No outcome.", D(2027, 2, 20), acting_user=p)
    with pytest.raises(ValidationError, match="Write a note"):
        cq.close_support_plan(plan, "met", " ", D(2027, 2, 20), acting_user=p)
    cq.close_support_plan(plan, "not_met", "Not met.", D(2027, 2, 20), acting_user=p)
    with pytest.raises(ValidationError, match="closed on 20 February 2027: no more check-ins"):
        cq.add_check_in(plan, D(2027, 2, 21), "Too late.", acting_user=p)
    with pytest.raises(ValidationError, match="already"):
        cq.close_support_plan(plan, "met", "Again.", D(2027, 2, 22), acting_user=p)
    assert CheckIn.objects.count() == 1
    assert _actions("support_plan") == [
        "evaluation.support_plan.start",
        "evaluation.support_plan.check_in",
        "evaluation.support_plan.close",
    ]


# --- non-renewal -------------------------------------------------------------------------------


def test_only_a_probationary_teachers_contract_is_non_renewed(world, leap, tess):
    p = world.users["principal_a"]
    with pytest.raises(ValidationError, match="Only a probationary teacher"):
        cq.propose_nonrenewal(tess, "Reasons.", D(2027, 2, 1), acting_user=p)
    _probationary(tess.staff)
    # three years effective in a row before this one earned her non-probationary status
    for start in (2023, 2024, 2025):
        _past(world, leap, "teacher_a", start, "effective")
    with pytest.raises(ValidationError, match="non-probationary in 2026-2027"):
        cq.propose_nonrenewal(tess, "Reasons.", D(2027, 2, 1), acting_user=p)
    Evaluation.objects.filter(staff=tess.staff, school_year__name="2024-2025").update(
        final_level=leap.levels.get(state_rating="partially_effective")
    )  # the run is broken: still probationary
    nr = cq.propose_nonrenewal(tess, "Reasons.", D(2027, 2, 1), acting_user=p)
    assert nr.notice_given_on is None and nr.created_by == p
    assert not NonRenewal.objects.visible_to(world.users["teacher_a"]).exists()


def test_the_nonrenewal_clock_against_dates_worked_out_by_hand(world, tess, travel):
    _probationary(tess.staff)
    p = world.users["principal_a"]
    travel(D(2027, 5, 27))
    nr = cq.propose_nonrenewal(tess, "Not effective.", D(2027, 3, 1), acting_user=p)
    clock = cq.nonrenewal_clock(nr, D(2027, 5, 12))
    assert clock.notice.due == D(2027, 5, 31)  # before 1 June: by 31 May
    assert clock.reasons is None and clock.overdue == []
    assert cq.nonrenewal_clock(nr, D(2027, 5, 31)).overdue == []
    late = cq.nonrenewal_clock(nr, D(2027, 6, 1))
    assert [d.step for d in late.overdue] == ["Notice of non-renewal"]
    assert late.notice.overdue_since == D(2027, 6, 1)
    cq.give_notice(nr, D(2027, 5, 3), acting_user=p)
    cq.reasons_requested(nr, D(2027, 5, 10), acting_user=p)
    nr.refresh_from_db()
    on_the_day = cq.nonrenewal_clock(nr, D(2027, 5, 24))
    assert on_the_day.reasons.due == D(2027, 5, 24)  # 14 days after asking
    assert on_the_day.overdue == []
    next_day = cq.nonrenewal_clock(nr, D(2027, 5, 25))
    assert [d.step for d in next_day.overdue] == ["Reasons for the non-renewal"]
    assert not next_day.notice.overdue and not next_day.notice.late
    cq.reasons_given(nr, D(2027, 5, 26), acting_user=p)
    nr.refresh_from_db()
    done = cq.nonrenewal_clock(nr, D(2027, 5, 27))
    assert done.overdue == [] and done.reasons.late
    assert _actions("nonrenewal") == [
        "evaluation.nonrenewal.propose",
        "evaluation.nonrenewal.notice",
        "evaluation.nonrenewal.reasons_requested",
        "evaluation.nonrenewal.reasons_given",
    ]
    notice = AuditEntry.objects.get(action="evaluation.nonrenewal.notice")
    assert notice.before["notice_given_on"] is None
    assert notice.after["notice_given_on"] == "2027-05-03"


def test_notice_is_refused_after_the_deadline(world, leap, tess, travel):
    _probationary(tess.staff, world.staff["teacher_a2"])
    p = world.users["principal_a"]
    travel(D(2027, 6, 2))
    nr = cq.propose_nonrenewal(tess, "Reasons.", D(2027, 5, 20), acting_user=p)
    with pytest.raises(ValidationError, match="had to be given by 31 May 2027"):
        cq.give_notice(nr, D(2027, 6, 1), acting_user=p)
    nr.refresh_from_db()
    assert nr.notice_given_on is None
    cq.give_notice(nr, D(2027, 5, 31), acting_user=p)  # the last day still counts
    tim = _open(world, leap, "teacher_a2")
    with pytest.raises(ValidationError, match="Too late for 2026-2027"):
        cq.propose_nonrenewal(tim, "Reasons.", D(2027, 6, 1), acting_user=p)


def test_the_steps_of_a_nonrenewal_come_in_order(world, tess):
    _probationary(tess.staff)
    p = world.users["principal_a"]
    nr = cq.propose_nonrenewal(tess, "Reasons.", D(2027, 2, 1), acting_user=p)
    with pytest.raises(ValidationError, match="once notice is given"):
        cq.reasons_requested(nr, D(2027, 2, 10), acting_user=p)
    with pytest.raises(ValidationError, match="has not asked"):
        cq.reasons_given(nr, D(2027, 2, 10), acting_user=p)
    with pytest.raises(ValidationError, match="on or after the proposal"):
        cq.give_notice(nr, D(2027, 1, 31), acting_user=p)
    with pytest.raises(ValidationError, match="cannot be later than today"):
        cq.give_notice(nr, D(2027, 3, 2), acting_user=p)
    with pytest.raises(ValidationError, match="in progress already"):
        cq.propose_nonrenewal(tess, "Again.", D(2027, 2, 2), acting_user=p)
    cq.give_notice(nr, D(2027, 2, 5), acting_user=p)
    with pytest.raises(ValidationError, match="given on 5 February 2027 already"):
        cq.give_notice(nr, D(2027, 2, 6), acting_user=p)
    with pytest.raises(ValidationError, match="Give the reason"):
        cq.withdraw(nr, D(2027, 2, 20), " ", acting_user=p)
    cq.withdraw(nr, D(2027, 2, 20), "Practice improved a great deal.", acting_user=p)
    assert AuditEntry.objects.get(action="evaluation.nonrenewal.withdraw").note == (
        "Practice improved a great deal."
    )
    with pytest.raises(ValidationError, match="withdrawn on 20 February 2027"):
        cq.reasons_requested(nr, D(2027, 2, 21), acting_user=p)
    # proposed again after withdrawal: the same record, from the start
    again = cq.propose_nonrenewal(tess, "New reasons.", D(2027, 2, 25), acting_user=p)
    assert again.pk == nr.pk and again.notice_given_on is None and again.withdrawn_on is None
    proposed = AuditEntry.objects.filter(action="evaluation.nonrenewal.propose").order_by("pk")
    assert proposed.last().before["withdrawn_on"] == "2027-02-20"
    cq.withdraw(again, D(2027, 2, 26), "Renewed after all.", acting_user=p)
    again.refresh_from_db()
    clock = cq.nonrenewal_clock(again, D(2027, 6, 15))
    assert clock.withdrawn and clock.overdue == []  # never noticed, but withdrawn


def test_a_framework_with_other_settings_moves_every_clock(world, leap, tess, travel):
    Framework.objects.filter(pk=leap.pk).update(
        nonrenewal_notice_month=5,
        nonrenewal_notice_day=15,
        reasons_within_days=10,
        appeal_filing_days=10,
        appeal_decision_days=30,
    )
    _probationary(tess.staff)
    p = world.users["principal_a"]
    travel(D(2027, 5, 16))
    nr = cq.propose_nonrenewal(tess, "Reasons.", D(2027, 3, 1), acting_user=p)
    assert cq.nonrenewal_clock(nr, D(2027, 5, 1)).notice.due == D(2027, 5, 14)
    with pytest.raises(ValidationError, match="had to be given by 14 May 2027"):
        cq.give_notice(nr, D(2027, 5, 15), acting_user=p)
    cq.give_notice(nr, D(2027, 5, 14), acting_user=p)
    cq.reasons_requested(nr, D(2027, 5, 15), acting_user=p)
    nr.refresh_from_db()
    clock = cq.nonrenewal_clock(nr, D(2027, 5, 26))
    assert clock.reasons.due == D(2027, 5, 25) and clock.reasons.overdue
    _rate(tess, "effective")
    with pytest.raises(ValidationError, match=r"to 17 May 2027 \(10 days\)"):
        cq.file_appeal(tess, "disagreement", D(2027, 5, 7), D(2027, 5, 18), "No.", acting_user=p)
    travel(D(2027, 6, 16))
    a = cq.file_appeal(tess, "disagreement", D(2027, 5, 7), D(2027, 5, 16), "No.", acting_user=p)
    clock = cq.appeal_clock(a, D(2027, 6, 16))
    assert clock.file_by.due == D(2027, 5, 17)
    assert clock.decide_by.due == D(2027, 6, 15) and clock.decide_by.overdue


# --- disagreements, grievances, appeals --------------------------------------------------------


@pytest.fixture
def lost(world, leap, tess, travel):
    """Tess, non-probationary, rated partially effective last year and ineffective this year:
    this year's rating ended her status. Today is 25 May 2027."""
    travel(D(2027, 5, 25))
    _past(world, leap, "teacher_a", 2025, "partially_effective")
    return _rate(tess, "ineffective")


NOTIFIED, FILED = D(2027, 5, 7), D(2027, 5, 20)  # an appeal's usual dates in these tests


def _file(
    e,
    kind="appeal",
    grounds=("data",),
    notified=NOTIFIED,
    filed=FILED,
    statement="The growth result is another teacher's class.",
    panel="",
    acting_user=SYSTEM,
):
    return cq.file_appeal(
        e, kind, notified, filed, statement, list(grounds), panel, acting_user=acting_user
    )


def test_an_appeal_of_the_rating_that_ended_status_on_its_grounds(world, lost):
    hr = world.users["hr"]
    assert cq.may_appeal(lost)
    a = _file(lost, grounds=["data"], panel="Two teachers, two administrators.", acting_user=hr)
    assert a.grounds == ["data"] and a.outcome == "" and a.created_by == hr
    entry = AuditEntry.objects.get(action="evaluation.appeal.file")
    assert entry.before is None and entry.after["grounds"] == ["data"]
    assert entry.object_id == str(lost.pk) and entry.actor == hr
    with pytest.raises(ValidationError, match="pending already"):
        _file(lost, grounds=["process"])
    clock = cq.appeal_clock(a, D(2027, 7, 4))
    assert clock.file_by.due == D(2027, 5, 22)  # 15 days after the rating was received
    assert clock.decide_by.due == D(2027, 7, 4)  # 45 days after filing
    assert clock.overdue == []
    assert [d.step for d in cq.appeal_clock(a, D(2027, 7, 5)).overdue] == ["Decision"]


@pytest.mark.parametrize(
    "grounds, message",
    [
        ([], "needs at least one of its two grounds"),
        (["process", "bias"], "Not a ground for appeal: bias"),
        (["other"], "Not a ground for appeal: other"),
    ],
)
def test_an_appeal_is_refused_without_its_grounds_or_with_others(world, lost, grounds, message):
    with pytest.raises(ValidationError, match=message):
        _file(lost, grounds=grounds)
    assert not Appeal.objects.exists()


def test_both_grounds_together_and_grounds_only_on_an_appeal(world, lost):
    with pytest.raises(ValidationError, match="only for an appeal"):
        _file(lost, kind="disagreement", grounds=["data"])
    assert _file(lost, grounds=["process", "data"]).grounds == ["process", "data"]


@pytest.mark.parametrize(
    "filed, allowed",
    [
        (D(2027, 5, 6), False),
        (D(2027, 5, 7), True),
        (D(2027, 5, 22), True),
        (D(2027, 5, 23), False),
    ],
)
def test_an_appeal_is_filed_within_its_window(world, lost, filed, allowed):
    if allowed:
        assert _file(lost, filed=filed).filed_on == filed
        return
    with pytest.raises(
        ValidationError,
        match="received the rating on 7 May 2027, so it is filed from that day to 22 May 2027",
    ):
        _file(lost, filed=filed)
    assert not Appeal.objects.exists()


def test_no_appeal_when_the_rating_did_not_end_status(world, leap, tess, travel):
    travel(D(2027, 5, 25))
    last = _past(world, leap, "teacher_a", 2025, "effective")
    _rate(tess, "ineffective")  # a first year below effective
    with pytest.raises(ValidationError, match="Only the rating that ended"):
        _file(tess)
    # a probationary teacher has no such status to lose, however she was rated
    Evaluation.objects.filter(pk=last.pk).update(
        final_level=leap.levels.get(state_rating="partially_effective")
    )
    _probationary(tess.staff)
    assert not cq.may_appeal(Evaluation.objects.select_related("staff").get(pk=tess.pk))
    with pytest.raises(ValidationError, match="Only the rating that ended"):
        _file(tess)
    # a disagreement is open on any final rating
    assert _file(tess, kind="disagreement", grounds=[]).kind == "disagreement"


def test_only_a_final_rating_is_disagreed_with(world, tess):
    with pytest.raises(ValidationError, match="this one is open"):
        _file(tess, kind="grievance", grounds=[], notified=D(2027, 2, 20), filed=D(2027, 2, 25))


def test_a_decision_is_written_and_recorded_once(world, lost):
    hr = world.users["hr"]
    a = _file(lost)
    with pytest.raises(ValidationError, match="Write the decision"):
        cq.record_decision(a, "upheld", D(2027, 5, 24), "  ", acting_user=hr)
    with pytest.raises(ValidationError, match="rating stands"):
        cq.record_decision(a, "", D(2027, 5, 24), "Decided.", acting_user=hr)
    with pytest.raises(ValidationError, match="decided after that"):
        cq.record_decision(a, "upheld", D(2027, 5, 19), "Decided.", acting_user=hr)
    cq.record_decision(a, "upheld", D(2027, 5, 24), "The process was followed.", acting_user=hr)
    with pytest.raises(ValidationError, match="already"):
        cq.record_decision(a, "changed", D(2027, 5, 25), "Changed.", acting_user=hr)
    entry = AuditEntry.objects.get(action="evaluation.appeal.decide")
    assert entry.before["outcome"] == "" and entry.after["outcome"] == "upheld"
    a.refresh_from_db()
    assert cq.appeal_clock(a, D(2027, 12, 1)).overdue == []


# --- who may write -----------------------------------------------------------------------------


@pytest.fixture
def record_(world, tess, travel):
    """Tess's record with one of each, made by the system on 20 May 2027: a plan of support in
    progress with a check-in, a non-renewal with notice given and the reasons asked for, and a
    pending disagreement with her final rating."""
    _probationary(tess.staff)
    travel(D(2027, 5, 20))
    plan = cq.start_support_plan(tess, "G", "S", D(2027, 1, 11), D(2027, 6, 11), acting_user=SYSTEM)
    cq.add_check_in(plan, D(2027, 2, 1), "First check-in.", acting_user=SYSTEM)
    nr = cq.propose_nonrenewal(
        tess, "Secret reasons until given.", D(2027, 4, 1), acting_user=SYSTEM
    )
    cq.give_notice(nr, D(2027, 4, 5), acting_user=SYSTEM)
    cq.reasons_requested(nr, D(2027, 4, 8), acting_user=SYSTEM)
    _rate(tess, "effective")
    appeal = _file(tess, kind="disagreement", grounds=[], filed=D(2027, 5, 12))
    return SimpleNamespace(
        e=tess, plan=plan, nr=NonRenewal.objects.get(pk=nr.pk), appeal=appeal, world=world
    )


WRITES = [
    lambda r, u: cq.start_support_plan(r.e, "G", "S", D(2027, 5, 1), D(2027, 6, 1), acting_user=u),
    lambda r, u: cq.add_check_in(r.plan, D(2027, 5, 2), "Notes.", acting_user=u),
    lambda r, u: cq.close_support_plan(r.plan, "met", "Met.", D(2027, 5, 2), acting_user=u),
    lambda r, u: cq.propose_nonrenewal(r.e, "Reasons.", D(2027, 5, 1), acting_user=u),
    lambda r, u: cq.give_notice(r.nr, D(2027, 5, 1), acting_user=u),
    lambda r, u: cq.reasons_requested(r.nr, D(2027, 5, 1), acting_user=u),
    lambda r, u: cq.reasons_given(r.nr, D(2027, 5, 10), acting_user=u),
    lambda r, u: cq.withdraw(r.nr, D(2027, 5, 10), "Renewed.", acting_user=u),
    lambda r, u: _file(r.e, kind="grievance", grounds=[], acting_user=u),
    lambda r, u: cq.name_panel(r.appeal, "Panel.", acting_user=u),
    lambda r, u: cq.record_decision(r.appeal, "upheld", D(2027, 5, 15), "Upheld.", acting_user=u),
]


def _everything() -> tuple:
    return (
        list(SupportPlan.objects.values()),
        list(CheckIn.objects.values()),
        list(NonRenewal.objects.values()),
        list(Appeal.objects.values()),
        AuditEntry.objects.exclude(action="evaluation.read").count(),
    )


@pytest.mark.parametrize("who", REFUSED)
def test_every_write_by_anyone_but_the_principal_and_hr_is_refused(world, record_, who):
    before = _everything()
    for write in WRITES:
        with pytest.raises(PermissionDenied):
            write(record_, world.users[who])
    assert _everything() == before


@pytest.mark.parametrize("who", ["principal_a", "hr"])
def test_the_principal_and_hr_make_each_write(world, record_, who):
    user = world.users[who]
    for write in WRITES:
        try:
            write(record_, user)
        except ValidationError:
            pass  # refused on its merits (a plan in progress already…), not for the user
    assert AuditEntry.objects.filter(actor=user).exclude(action="evaluation.read").count() >= 6


def _posts(r) -> list[tuple[str, dict[str, str]]]:
    e = r.e.pk
    return [
        (
            reverse("evaluation:support", args=[e]),
            {"goals": "G", "supports": "S", "starts_on": "2027-05-01", "ends_on": "2027-06-01"},
        ),
        (
            reverse("evaluation:support_check_in", args=[e, r.plan.pk]),
            {"check_in-held_on": "2027-05-02", "check_in-notes": "Notes."},
        ),
        (
            reverse("evaluation:support_close", args=[e, r.plan.pk]),
            {"close-outcome": "met", "close-note": "Met.", "close-closed_on": "2027-05-02"},
        ),
        (
            reverse("evaluation:nonrenewal", args=[e]),
            {"propose-reasons": "R.", "propose-proposed_on": "2027-05-01"},
        ),
        (reverse("evaluation:nonrenewal_notice", args=[e]), {"notice-on": "2027-05-01"}),
        (
            reverse("evaluation:nonrenewal_reasons_requested", args=[e]),
            {"reasons_requested-on": "2027-05-01"},
        ),
        (
            reverse("evaluation:nonrenewal_reasons_given", args=[e]),
            {"reasons_given-on": "2027-05-10"},
        ),
        (
            reverse("evaluation:nonrenewal_withdraw", args=[e]),
            {"on": "2027-05-10", "reason": "Renewed."},
        ),
        (
            reverse("evaluation:appeals", args=[e]),
            {
                "kind": "grievance",
                "notified_on": "2027-05-07",
                "filed_on": "2027-05-08",
                "statement": "S.",
            },
        ),
        (
            reverse("evaluation:appeal", args=[e, r.appeal.pk]),
            {
                "decision-outcome": "upheld",
                "decision-decided_on": "2027-05-15",
                "decision-decision": "Upheld.",
            },
        ),
        (reverse("evaluation:appeal_panel", args=[e, r.appeal.pk]), {"panel-panel": "Panel."}),
    ]


@pytest.mark.parametrize("who", REFUSED)
def test_every_write_page_refuses_them_and_nothing_changes(world, record_, login, who):
    client = login(world.users[who])
    # the teacher and her evaluator read the record, so are refused the write (403); the
    # others do not reach the record at all (404)
    expected = 403 if who in ("teacher_a", "evaluator_a") else 404
    before = _everything()
    for url, data in _posts(record_):
        assert client.post(url, data).status_code == expected, url
    withdraw = reverse("evaluation:nonrenewal_withdraw", args=[record_.e.pk])
    assert client.get(withdraw).status_code == expected
    assert _everything() == before


# --- who may read ------------------------------------------------------------------------------


def _pages(r) -> list[str]:
    e = r.e.pk
    return [
        reverse("evaluation:support", args=[e]),
        reverse("evaluation:support_plan", args=[e, r.plan.pk]),
        reverse("evaluation:nonrenewal", args=[e]),
        reverse("evaluation:appeals", args=[e]),
        reverse("evaluation:appeal", args=[e, r.appeal.pk]),
    ]


@pytest.mark.parametrize("who", ["principal_a", "hr", "evaluator_a"])
def test_each_read_by_someone_other_than_the_teacher_is_audited(world, record_, login, who):
    user = world.users[who]
    client = login(user)
    reads = AuditEntry.objects.filter(
        action="evaluation.read", actor=user, object_id=str(record_.e.pk)
    )
    for url in _pages(record_):
        count = reads.count()
        response = client.get(url)
        assert response.status_code == 200, url
        assert reads.count() == count + 1, url
        assert "Tess Ash" in response.content.decode()


@pytest.mark.parametrize("who", ["principal_b", "teacher_b", "pm", "slt", "board"])
def test_those_outside_the_record_read_none_of_its_pages(world, record_, login, who):
    client = login(world.users[who])
    for url in _pages(record_):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="evaluation.read").exists()


def test_the_teacher_reads_her_own_pages_writes_nothing_and_is_not_audited(world, record_, login):
    client = login(world.users["teacher_a"])
    for url in _pages(record_):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert 'method="post" action="/evaluation/' not in body, url
        assert "Withdraw the non-renewal" not in body
    page = client.get(reverse("evaluation:nonrenewal", args=[record_.e.pk])).content.decode()
    assert "5 April 2027" in page  # the notice
    assert "Secret reasons until given." not in page  # the reasons once they are given
    cq.reasons_given(record_.nr, D(2027, 4, 15), acting_user=SYSTEM)
    page = client.get(reverse("evaluation:nonrenewal", args=[record_.e.pk])).content.decode()
    assert "Secret reasons until given." in page
    assert not AuditEntry.objects.filter(action="evaluation.read").exists()


def test_the_teacher_gets_404_on_a_non_renewal_until_notice_is_given(world, tess, login):
    _probationary(tess.staff)
    teacher = login(world.users["teacher_a"])
    url = reverse("evaluation:nonrenewal", args=[tess.pk])
    support = reverse("evaluation:support", args=[tess.pk])
    assert teacher.get(url).status_code == 404  # none at all
    nr = cq.propose_nonrenewal(tess, "Reasons.", D(2027, 2, 1), acting_user=SYSTEM)
    assert teacher.get(url).status_code == 404  # proposed, not noticed: the same answer
    assert f'href="{url}"' not in teacher.get(support).content.decode()
    cq.give_notice(nr, D(2027, 2, 8), acting_user=SYSTEM)
    response = teacher.get(url)
    assert response.status_code == 200
    assert "8 February 2027" in response.content.decode()
    assert f'href="{url}"' in teacher.get(support).content.decode()


def test_anonymous_is_sent_to_sign_in(world, record_, client):
    for url in [*_pages(record_), reverse("evaluation:overdue")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the pages, as the principal ---------------------------------------------------------------


def test_the_principal_works_through_a_plan_of_support(world, tess, login):
    client = login(world.users["principal_a"])
    url = reverse("evaluation:support", args=[tess.pk])
    assert "Start a plan of support" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "goals": "Check understanding daily",
            "supports": "Coach",
            "starts_on": "2027-01-11",
            "ends_on": "2027-04-09",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "The plan of support has started." in body and "Check understanding daily" in body
    plan = SupportPlan.objects.get()
    check_in = reverse("evaluation:support_check_in", args=[tess.pk, plan.pk])
    refused = client.post(
        check_in, {"check_in-held_on": "2027-01-04", "check_in-notes": "Typed at length."}
    )
    body = refused.content.decode()
    assert refused.status_code == 200 and "while the plan runs" in body
    assert "Typed at length." in body  # what was typed is kept
    response = client.post(
        check_in, {"check_in-held_on": "2027-02-01", "check_in-notes": "Better."}, follow=True
    )
    assert "The check-in is recorded." in response.content.decode()
    response = client.post(
        reverse("evaluation:support_close", args=[tess.pk, plan.pk]),
        {"close-outcome": "met", "close-note": "Met.", "close-closed_on": "2027-02-26"},
        follow=True,
    )
    body = response.content.decode()
    assert "The plan of support is closed." in body and "Goals met, closed 26 February" in body
    assert "Record a check-in" not in body


def test_the_principal_works_through_a_non_renewal_and_withdraws_it_after_confirming(
    world, tess, login
):
    _probationary(tess.staff)
    client = login(world.users["principal_a"])
    url = reverse("evaluation:nonrenewal", args=[tess.pk])
    page = client.get(url).content.decode()
    assert "Propose non-renewal" in page and "31 May 2027" in page
    response = client.post(
        url, {"propose-reasons": "Not effective.", "propose-proposed_on": "2027-02-01"}, follow=True
    )
    body = response.content.decode()
    assert "The non-renewal is proposed." in body and "Record the notice" in body
    response = client.post(
        reverse("evaluation:nonrenewal_notice", args=[tess.pk]),
        {"notice-on": "2027-02-03"},
        follow=True,
    )
    body = response.content.decode()
    assert "Notice is recorded as given." in body and "Done on 3 February 2027" in body
    withdraw = reverse("evaluation:nonrenewal_withdraw", args=[tess.pk])
    assert "Withdraw the non-renewal of Tess Ash?" in client.get(withdraw).content.decode()
    refused = client.post(withdraw, {"on": "2027-02-10", "reason": ""})
    assert refused.status_code == 200
    assert NonRenewal.objects.get().withdrawn_on is None
    response = client.post(withdraw, {"on": "2027-02-10", "reason": "Renewed."}, follow=True)
    assert "The non-renewal is withdrawn" in response.content.decode()
    assert NonRenewal.objects.get().withdrawn_on == D(2027, 2, 10)


def test_hr_records_an_appeal_and_its_decision_through_the_pages(world, lost, login):
    client = login(world.users["hr"])
    url = reverse("evaluation:appeals", args=[lost.pk])
    assert "it may be appealed" in client.get(url).content.decode()
    data = {
        "kind": "appeal",
        "notified_on": "2027-05-07",
        "filed_on": "2027-05-20",
        "statement": "A class I did not teach was counted as mine.",
    }
    refused = client.post(url, data)
    body = refused.content.decode()
    assert "needs at least one of its two grounds" in body
    assert "A class I did not teach was counted as mine." in body
    response = client.post(url, {**data, "grounds": ["data"]}, follow=True)
    body = response.content.decode()
    assert "is recorded as filed" in body and "Data were wrongly attributed" in body
    assert "4 July 2027" in body and "Due in 40 days" in body
    appeal = Appeal.objects.get()
    response = client.post(
        reverse("evaluation:appeal", args=[lost.pk, appeal.pk]),
        {
            "decision-outcome": "upheld",
            "decision-decided_on": "2027-05-24",
            "decision-decision": "The roster was right.",
        },
        follow=True,
    )
    assert "The decision is recorded." in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.outcome == "upheld" and appeal.decision == "The roster was right."


# --- HR's list of deadlines passed -------------------------------------------------------------


@pytest.fixture
def overdue_world(world, leap, travel):
    """On 10 June 2027, four deadlines have passed without their step, among other steps that
    were taken in time, were withdrawn or are not due yet."""
    travel(D(2027, 6, 10))
    s = world.staff
    _probationary(s["teacher_a"], s["teacher_a2"], s["coach_a"], s["coach_b"])
    tess, tim, tara = (_open(world, leap, k) for k in ("teacher_a", "teacher_a2", "teacher_b"))
    cal, cora = _open(world, leap, "coach_a"), _open(world, leap, "coach_b")
    # Tess: notice never given (due 31 May); her plans are closed or still running
    cq.propose_nonrenewal(tess, "R.", D(2027, 5, 1), acting_user=SYSTEM)
    done = cq.start_support_plan(tess, "G", "S", D(2027, 1, 11), D(2027, 3, 10), acting_user=SYSTEM)
    cq.close_support_plan(done, "met", "Met.", D(2027, 3, 10), acting_user=SYSTEM)
    cq.start_support_plan(tess, "G", "S", D(2027, 5, 1), D(2027, 6, 30), acting_user=SYSTEM)
    # Tim: reasons asked for on 20 May, due 3 June, not given
    nr = cq.propose_nonrenewal(tim, "R.", D(2027, 5, 1), acting_user=SYSTEM)
    cq.give_notice(nr, D(2027, 5, 10), acting_user=SYSTEM)
    cq.reasons_requested(nr, D(2027, 5, 20), acting_user=SYSTEM)
    # Tara (school B): a plan that ended on 1 June still open; a disagreement filed on 20 April
    # (decision due 4 June) undecided, a grievance filed on 1 May (due 15 June) not due yet
    cq.start_support_plan(tara, "G", "S", D(2027, 3, 1), D(2027, 6, 1), acting_user=SYSTEM)
    _rate(tara, "partially_effective")
    _file(tara, kind="disagreement", grounds=[], notified=D(2027, 4, 15), filed=D(2027, 4, 20))
    _file(tara, kind="grievance", grounds=[], notified=D(2027, 4, 28), filed=D(2027, 5, 1))
    # Cal: withdrawn before notice; Cora (school B): reasons given in time; a decided appeal
    nr = cq.propose_nonrenewal(cal, "R.", D(2027, 5, 1), acting_user=SYSTEM)
    cq.withdraw(nr, D(2027, 5, 5), "Renewed.", acting_user=SYSTEM)
    nr = cq.propose_nonrenewal(cora, "R.", D(2027, 5, 1), acting_user=SYSTEM)
    cq.give_notice(nr, D(2027, 5, 10), acting_user=SYSTEM)
    cq.reasons_requested(nr, D(2027, 5, 20), acting_user=SYSTEM)
    cq.reasons_given(nr, D(2027, 5, 25), acting_user=SYSTEM)
    _rate(cora, "effective")
    a = _file(cora, kind="disagreement", grounds=[], notified=D(2027, 3, 1), filed=D(2027, 3, 2))
    cq.record_decision(a, "upheld", D(2027, 4, 1), "Upheld.", acting_user=SYSTEM)
    return SimpleNamespace(tess=tess, tim=tim, tara=tara)


def _listed(user) -> list[tuple[str, str, dt.date, dt.date]]:
    return [
        (str(o.teacher), o.what, o.due, o.since) for o in cq.overdue_for_hr(user, D(2027, 6, 10))
    ]


def test_the_overdue_list_has_exactly_the_deadlines_passed(world, overdue_world):
    assert _listed(world.users["hr"]) == [
        ("Tess Ash", "Notice of non-renewal not given", D(2027, 5, 31), D(2027, 6, 1)),
        ("Tara Beech", "Plan of support past its end and not closed", D(2027, 6, 1), D(2027, 6, 2)),
        ("Tim Acorn", "Reasons for the non-renewal not given", D(2027, 6, 3), D(2027, 6, 4)),
        (
            "Tara Beech",
            "Disagreement with the overall rating not decided",
            D(2027, 6, 4),
            D(2027, 6, 5),
        ),
    ]
    entry = AuditEntry.objects.get(action="evaluation.read_overdue")
    assert entry.actor == world.users["hr"]
    assert sorted(entry.after["evaluations"]) == sorted(
        [overdue_world.tess.pk, overdue_world.tim.pk, overdue_world.tara.pk]
    )
    # each points at its page
    urls = [o.url for o in cq.overdue_for_hr(world.users["hr"], D(2027, 6, 10))]
    assert urls[0] == reverse("evaluation:nonrenewal", args=[overdue_world.tess.pk])
    assert urls[1].startswith(reverse("evaluation:support", args=[overdue_world.tara.pk]))


def test_each_manager_sees_only_the_deadlines_of_the_evaluations_they_manage(world, overdue_world):
    assert [t for t, *_ in _listed(world.users["principal_a"])] == ["Tess Ash", "Tim Acorn"]
    assert [t for t, *_ in _listed(world.users["principal_b"])] == ["Tara Beech", "Tara Beech"]
    for who in ["teacher_a", "evaluator_a", "pm", "slt", "board"]:
        assert _listed(world.users[who]) == [], who
    # a day earlier, Tara's disagreement was not overdue yet
    assert len(cq.overdue_for_hr(world.users["principal_b"], D(2027, 6, 4))) == 1


def test_the_overdue_page(world, overdue_world, login):
    url = reverse("evaluation:overdue")
    body = login(world.users["hr"]).get(url).content.decode()
    assert body.count("Overdue</span>") == 4
    assert "Tess Ash" in body and "Notice of non-renewal not given" in body
    assert "1 June 2027 (10 days)" in body
    body = login(world.users["principal_b"]).get(url).content.decode()
    assert "Tara Beech" in body and "Tess Ash" not in body
    body = login(world.users["board"]).get(url).content.decode()
    assert "Nothing to show" in body and "Tess Ash" not in body
    body = login(world.users["teacher_a"]).get(url).content.decode()
    assert "Nothing to show" in body and "Tess Ash" not in body.split("<main")[1]
    assert login(world.users["norole"]).get(url).status_code == 403


def test_the_overdue_page_asks_as_many_queries_however_long_the_list(
    world, overdue_world, login, query_count
):
    client = login(world.users["hr"])
    url = reverse("evaluation:overdue")
    before = query_count.page(client, url)
    for key in ("coach_a", "coach_b"):
        e = Evaluation.objects.get(staff=world.staff[key])
        cq.start_support_plan(e, "G", "S", D(2027, 3, 1), D(2027, 5, 1), acting_user=SYSTEM)
    assert len(cq.overdue_for_hr(world.users["hr"], D(2027, 6, 10))) == 6
    assert query_count.page(client, url) == before


def test_the_overdue_page_when_nothing_is_overdue(world, tess, login):
    body = login(world.users["principal_a"]).get(reverse("evaluation:overdue")).content.decode()
    assert "Nothing is overdue" in body
    assert not AuditEntry.objects.filter(action="evaluation.read_overdue").exists()


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_builder_makes_one_of_each_in_progress(world, leap, travel):
    """Two closed years before this one with every teacher effective (so no rating ended a
    status: the builder makes one), Tim probationary, Tess projected below effective."""
    _probationary(world.staff["teacher_a2"])
    for start in (2024, 2025):
        year = SchoolYear.objects.create(
            district=world.district,
            name=f"{start}-{start + 1}",
            start_date=D(start, 8, 19),
            end_date=D(start + 1, 5, 23),
        )
        framework = actions.create_from_preset(year, acting_user=SYSTEM)
        for key in ("teacher_a", "teacher_a2", "teacher_b"):
            _rate(_open(world, framework, key), "effective")
    observation = leap.components.get(kind="observation")
    for key, score in [("teacher_a", 1.5), ("teacher_a2", 3.5), ("teacher_b", 3.5)]:
        e = _open(world, leap, key)
        records.score_component(e, observation, score, "Observed.", acting_user=SYSTEM)

    counts = build_demo_consequences()
    assert counts == {
        "support_plans": 1,
        "check_ins": 2,
        "nonrenewals": 1,
        "appeals": 1,
        "ratings_changed": 2,
    }
    today = D(2027, 3, 1)
    plan = SupportPlan.objects.get()
    assert plan.evaluation.staff == world.staff["teacher_a"] and plan.outcome == ""
    assert plan.starts_on <= today < plan.ends_on
    assert all(plan.starts_on <= c.held_on <= today for c in plan.check_ins.all())
    nr = NonRenewal.objects.get()
    assert nr.evaluation.staff == world.staff["teacher_a2"]
    assert nr.notice_given_on and nr.reasons_requested_on and nr.reasons_given_on is None
    clock = cq.nonrenewal_clock(nr, today)
    assert clock.reasons.due > today and clock.overdue == []
    appeal = Appeal.objects.select_related("evaluation__school_year").get()
    assert appeal.kind == "appeal" and appeal.outcome == "" and appeal.panel
    assert appeal.evaluation.school_year.name == "2025-2026" and len(appeal.grounds) == 1
    assert cq.may_appeal(appeal.evaluation) and cq.appeal_clock(appeal, today).overdue == []
    # the two ratings made below effective agree with their scores
    for e in Evaluation.objects.filter(staff=appeal.evaluation.staff, state="final").select_related(
        "final_level"
    ):
        assert e.final_level.state_rating == "partially_effective"
        outcome = records.result(e)
        assert outcome.final and outcome.level == e.final_level
        assert outcome.score == pytest.approx(e.final_score)
    assert cq.overdue_for_hr(world.users["hr"], today) == []
    made = AuditEntry.objects.filter(
        actor_username="system", action__regex=r"^evaluation\.(support_plan|nonrenewal|appeal)\."
    )
    assert made.count() == 7  # a plan, two check-ins, a proposal, a notice, a request, an appeal
