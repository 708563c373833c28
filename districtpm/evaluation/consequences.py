"""What follows from an evaluation: a plan of support, the non-renewal of a probationary
teacher's contract, and a teacher's disagreement with a rating, grievance or appeal.

Every step is one atomic action. It checks first that the acting user manages the evaluation
(its school's principal, HR partners: rules.py), then the step's rules and dates — the dates the
law leaves to the district come from the year's framework (`Framework.settings()`) — and writes
one audit row with the state before and after. The audit row is filed under the evaluation,
whose entries the audit log shows in detail only to those who read the evaluation (as scores
are). A day recorded as done (a notice given, a check-in held) cannot lie in the future.

The clocks (`nonrenewal_clock`, `appeal_clock`) and HR's list of deadlines passed
(`overdue_for_hr`) only read the stored dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import require
from districtpm.evaluation import risks, status
from districtpm.evaluation.models import Appeal, CheckIn, Evaluation, NonRenewal, SupportPlan

MANAGERS = (
    "Only the teacher's principal and HR partners record plans of support, non-renewals "
    "and appeals."
)


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


def _day(value: dt.date) -> str:
    return f"{value:%-d %B %Y}"


def _text(value: str | None, missing: str, limit: int, problems: list[str]) -> str:
    text = (value or "").strip()
    if not text:
        problems.append(missing)
    return text[:limit]


def _not_future(day: dt.date, what: str, problems: list[str]) -> None:
    today = timezone.localdate()
    if day > today:
        problems.append(f"{what} cannot be later than today ({_day(today)}).")


def _check(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _state(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, **snapshot(obj)}


def _record(
    action: str,
    evaluation: Evaluation,
    before: dict[str, Any] | None,
    obj: Any,
    acting_user: Any,
    note: str = "",
) -> None:
    record(
        actor=acting_user,
        action=f"evaluation.{action}",
        obj=evaluation,
        before=before,
        after=_state(obj),
        note=note,
    )


def _settings(evaluation: Evaluation) -> status.Settings:
    return evaluation.framework.settings()


def notice_by(evaluation: Evaluation) -> dt.date:
    """The last day a notice of non-renewal may be given in the evaluation's year."""
    dates = status.year_dates(evaluation.school_year.end_date, _settings(evaluation))
    return dates.nonrenewal_notice_by


# --- plans of support --------------------------------------------------------------------------


def open_plan(evaluation: Evaluation) -> SupportPlan | None:
    return evaluation.support_plans.filter(outcome=SupportPlan.Outcome.OPEN).first()


@transaction.atomic
def start_support_plan(
    evaluation: Evaluation,
    goals: str,
    supports: str,
    starts_on: dt.date,
    ends_on: dt.date,
    *,
    acting_user: Any,
) -> SupportPlan:
    """Start a plan of support: its goals, the supports given and the dates it runs. An
    evaluation has one plan in progress at a time."""
    require(acting_user, evaluation, action="manage", message=MANAGERS)
    evaluation = (
        Evaluation.objects.select_for_update().select_related("staff").get(pk=evaluation.pk)
    )
    problems: list[str] = []
    goals = _text(goals, "Write the plan's goals.", 4000, problems)
    supports = _text(supports, "Say which supports the teacher will be given.", 4000, problems)
    if ends_on <= starts_on:
        problems.append("A plan of support ends after the day it starts.")
    current = open_plan(evaluation)
    if current is not None:
        problems.append(
            f"{evaluation.staff} has a plan of support in progress already (from "
            f"{_day(current.starts_on)}): close it before starting another."
        )
    _check(problems)
    plan = SupportPlan.objects.create(
        evaluation=evaluation,
        goals=goals,
        supports=supports,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=_user(acting_user),
    )
    _record("support_plan.start", evaluation, None, plan, acting_user)
    return plan


def _locked_plan(plan: SupportPlan) -> SupportPlan:
    return (
        SupportPlan.objects.select_for_update().select_related("evaluation__staff").get(pk=plan.pk)
    )


@transaction.atomic
def add_check_in(plan: SupportPlan, held_on: dt.date, notes: str, *, acting_user: Any) -> CheckIn:
    """A check-in held while the plan runs, on a plan still in progress."""
    require(acting_user, plan.evaluation, action="manage", message=MANAGERS)
    plan = _locked_plan(plan)
    problems: list[str] = []
    notes = _text(notes, "Write the notes of the check-in.", 4000, problems)
    if plan.outcome != SupportPlan.Outcome.OPEN:
        problems.append(
            f"The plan of support was closed on {_day(plan.closed_on)}: no more check-ins."
        )
    elif not plan.starts_on <= held_on <= plan.ends_on:
        problems.append(
            f"A check-in is held while the plan runs, from {_day(plan.starts_on)} to "
            f"{_day(plan.ends_on)}."
        )
    _not_future(held_on, "The day of the check-in", problems)
    _check(problems)
    check_in = CheckIn.objects.create(
        plan=plan, held_on=held_on, notes=notes, by=_user(acting_user)
    )
    _record("support_plan.check_in", plan.evaluation, None, check_in, acting_user)
    return check_in


CLOSING_OUTCOMES = [o for o in SupportPlan.Outcome if o != SupportPlan.Outcome.OPEN]


@transaction.atomic
def close_support_plan(
    plan: SupportPlan, outcome: str, note: str, closed_on: dt.date, *, acting_user: Any
) -> SupportPlan:
    """Close a plan of support with how it ended and a note saying why."""
    require(acting_user, plan.evaluation, action="manage", message=MANAGERS)
    plan = _locked_plan(plan)
    problems: list[str] = []
    note = _text(note, "Write a note on how the plan ended.", 4000, problems)
    if plan.outcome != SupportPlan.Outcome.OPEN:
        problems.append(f"The plan of support was closed on {_day(plan.closed_on)} already.")
    if outcome not in CLOSING_OUTCOMES:
        problems.append("Say whether the plan's goals were met, partly met or not met.")
    if closed_on < plan.starts_on:
        problems.append(f"The plan started on {_day(plan.starts_on)}: it closes after that.")
    last = plan.check_ins.order_by("-held_on").first()
    if last is not None and closed_on < last.held_on:
        problems.append(
            f"The plan has a check-in on {_day(last.held_on)}: close it on that day or later."
        )
    _not_future(closed_on, "The day the plan closed", problems)
    _check(problems)
    before = _state(plan)
    plan.outcome, plan.outcome_note, plan.closed_on = outcome, note, closed_on
    plan.save()
    _record("support_plan.close", plan.evaluation, before, plan, acting_user)
    return plan


# --- non-renewal -------------------------------------------------------------------------------


def is_probationary(evaluation: Evaluation) -> bool:
    """Whether the teacher holds probationary status in the evaluation's year (from the final
    ratings of the years before)."""
    return risks.standing_of(evaluation).standing.status == status.PROBATIONARY


def _locked_nonrenewal(nr: NonRenewal) -> NonRenewal:
    return (
        NonRenewal.objects.select_for_update()
        .select_related("evaluation__staff", "evaluation__school_year", "evaluation__framework")
        .get(pk=nr.pk)
    )


def _not_withdrawn(nr: NonRenewal, problems: list[str]) -> None:
    if nr.withdrawn_on is not None:
        problems.append(f"The non-renewal was withdrawn on {_day(nr.withdrawn_on)}.")


@transaction.atomic
def propose_nonrenewal(
    evaluation: Evaluation, reasons: str, proposed_on: dt.date, *, acting_user: Any
) -> NonRenewal:
    """Propose not renewing a probationary teacher's contract for next year, with the reasons,
    in time for notice to be given by the year's deadline. A non-renewal that was withdrawn may
    be proposed again: the same record starts over (the audit row keeps the earlier one)."""
    require(acting_user, evaluation, action="manage", message=MANAGERS)
    evaluation = (
        Evaluation.objects.select_for_update()
        .select_related("staff", "school_year", "framework")
        .get(pk=evaluation.pk)
    )
    problems: list[str] = []
    reasons = _text(reasons, "Write the reasons for the non-renewal.", 4000, problems)
    existing = NonRenewal.objects.filter(evaluation=evaluation).first()
    if existing is not None and existing.withdrawn_on is None:
        problems.append(
            f"A non-renewal of {evaluation.staff} for {evaluation.school_year} is in progress "
            "already."
        )
    if not is_probationary(evaluation):
        problems.append(
            f"Only a probationary teacher's contract is non-renewed; {evaluation.staff} is "
            f"non-probationary in {evaluation.school_year}."
        )
    deadline = notice_by(evaluation)
    if proposed_on > deadline:
        problems.append(
            f"Too late for {evaluation.school_year}: notice of non-renewal had to be given by "
            f"{_day(deadline)}."
        )
    if proposed_on < evaluation.school_year.start_date:
        problems.append(
            f"A non-renewal is proposed during the school year, from "
            f"{_day(evaluation.school_year.start_date)}."
        )
    _not_future(proposed_on, "The day of the proposal", problems)
    _check(problems)
    nr = existing or NonRenewal(evaluation=evaluation)
    before = _state(nr) if existing else None
    nr.reasons, nr.proposed_on, nr.created_by = reasons, proposed_on, _user(acting_user)
    nr.notice_given_on = nr.reasons_requested_on = nr.reasons_given_on = None
    nr.withdrawn_on = None
    nr.save()
    note = "proposed again after being withdrawn" if existing else ""
    _record("nonrenewal.propose", evaluation, before, nr, acting_user, note)
    return nr


@transaction.atomic
def give_notice(nr: NonRenewal, on: dt.date, *, acting_user: Any) -> NonRenewal:
    """Record that the teacher was given notice of non-renewal: by the year's deadline, never
    after it. From now on the teacher sees the non-renewal."""
    require(acting_user, nr.evaluation, action="manage", message=MANAGERS)
    nr = _locked_nonrenewal(nr)
    problems: list[str] = []
    _not_withdrawn(nr, problems)
    if nr.notice_given_on is not None:
        problems.append(f"Notice was given on {_day(nr.notice_given_on)} already.")
    deadline = notice_by(nr.evaluation)
    if on > deadline:
        problems.append(
            f"Too late: notice of non-renewal had to be given by {_day(deadline)}. It can no "
            "longer be given for this year."
        )
    if on < nr.proposed_on:
        problems.append(f"Notice comes on or after the proposal ({_day(nr.proposed_on)}).")
    _not_future(on, "The day notice was given", problems)
    _check(problems)
    before = _state(nr)
    nr.notice_given_on = on
    nr.save()
    _record("nonrenewal.notice", nr.evaluation, before, nr, acting_user)
    return nr


@transaction.atomic
def reasons_requested(nr: NonRenewal, on: dt.date, *, acting_user: Any) -> NonRenewal:
    """Record that the teacher asked for the reasons: the clock for giving them starts."""
    require(acting_user, nr.evaluation, action="manage", message=MANAGERS)
    nr = _locked_nonrenewal(nr)
    problems: list[str] = []
    _not_withdrawn(nr, problems)
    if nr.notice_given_on is None:
        problems.append("The teacher asks for the reasons once notice is given; it is not yet.")
    elif on < nr.notice_given_on:
        problems.append(
            f"The teacher asks for the reasons after notice ({_day(nr.notice_given_on)})."
        )
    if nr.reasons_requested_on is not None:
        problems.append(f"The teacher asked for the reasons on {_day(nr.reasons_requested_on)}.")
    _not_future(on, "The day the teacher asked", problems)
    _check(problems)
    before = _state(nr)
    nr.reasons_requested_on = on
    nr.save()
    _record("nonrenewal.reasons_requested", nr.evaluation, before, nr, acting_user)
    return nr


@transaction.atomic
def reasons_given(nr: NonRenewal, on: dt.date, *, acting_user: Any) -> NonRenewal:
    """Record that the reasons were given to the teacher (late, if past their due date: the
    clock says so)."""
    require(acting_user, nr.evaluation, action="manage", message=MANAGERS)
    nr = _locked_nonrenewal(nr)
    problems: list[str] = []
    _not_withdrawn(nr, problems)
    if nr.reasons_requested_on is None:
        problems.append("The teacher has not asked for the reasons.")
    elif on < nr.reasons_requested_on:
        problems.append(
            f"The reasons are given after the teacher asked ({_day(nr.reasons_requested_on)})."
        )
    if nr.reasons_given_on is not None:
        problems.append(f"The reasons were given on {_day(nr.reasons_given_on)} already.")
    _not_future(on, "The day the reasons were given", problems)
    _check(problems)
    before = _state(nr)
    nr.reasons_given_on = on
    nr.save()
    _record("nonrenewal.reasons_given", nr.evaluation, before, nr, acting_user)
    return nr


@transaction.atomic
def withdraw(nr: NonRenewal, on: dt.date, reason: str, *, acting_user: Any) -> NonRenewal:
    """Withdraw a non-renewal: the contract is renewed after all. The reason is kept in the
    audit log."""
    require(acting_user, nr.evaluation, action="manage", message=MANAGERS)
    nr = _locked_nonrenewal(nr)
    problems: list[str] = []
    reason = _text(reason, "Give the reason for withdrawing it.", 500, problems)
    _not_withdrawn(nr, problems)
    if on < nr.proposed_on:
        problems.append(f"It was proposed on {_day(nr.proposed_on)}: withdraw it after that.")
    _not_future(on, "The day it was withdrawn", problems)
    _check(problems)
    before = _state(nr)
    nr.withdrawn_on = on
    nr.save()
    _record("nonrenewal.withdraw", nr.evaluation, before, nr, acting_user, reason)
    return nr


# --- clocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A step, the day it is due by, and the day it was done if it was."""

    step: str
    due: dt.date
    done_on: dt.date | None
    overdue: bool  # the day passed without the step (and the matter is still live)

    @property
    def late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due

    @property
    def overdue_since(self) -> dt.date:
        return self.due + dt.timedelta(days=1)

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days


def _deadline(
    step: str, due: dt.date, done_on: dt.date | None, today: dt.date, live: bool
) -> Deadline:
    return Deadline(step, due, done_on, overdue=live and done_on is None and today > due)


@dataclass(frozen=True)
class NonRenewalClock:
    notice: Deadline
    reasons: Deadline | None  # once the teacher has asked for them
    withdrawn: bool

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in (self.notice, self.reasons) if d is not None and d.overdue]


def nonrenewal_clock(nr: NonRenewal, today: dt.date) -> NonRenewalClock:
    """The notice deadline and, once asked for, when the reasons are due; which have passed
    without their step. A withdrawn non-renewal has nothing overdue."""
    live = nr.withdrawn_on is None
    notice = _deadline(
        "Notice of non-renewal", notice_by(nr.evaluation), nr.notice_given_on, today, live
    )
    reasons = None
    if nr.reasons_requested_on is not None:
        due = status.reasons_due(nr.reasons_requested_on, _settings(nr.evaluation))
        reasons = _deadline("Reasons for the non-renewal", due, nr.reasons_given_on, today, live)
    return NonRenewalClock(notice, reasons, withdrawn=not live)


@dataclass(frozen=True)
class AppealClock:
    file_by: Deadline
    decide_by: Deadline

    @property
    def overdue(self) -> list[Deadline]:
        return [d for d in (self.file_by, self.decide_by) if d.overdue]


def _decide_by(appeal: Appeal, settings: status.Settings) -> dt.date:
    # counted from the day it was filed (the filing window was checked when it was filed)
    return status.appeal_dates(appeal.filed_on, appeal.filed_on, settings).decide_by


def appeal_clock(appeal: Appeal, today: dt.date) -> AppealClock:
    """The filing window (met: an appeal is filed inside it) and when the decision is due."""
    settings = _settings(appeal.evaluation)
    file_by = status.appeal_dates(appeal.notified_on, settings=settings).file_by
    pending = appeal.outcome == Appeal.Outcome.PENDING
    return AppealClock(
        _deadline("Filing", file_by, appeal.filed_on, today, False),
        _deadline("Decision", _decide_by(appeal, settings), appeal.decided_on, today, pending),
    )


# --- disagreements, grievances, appeals --------------------------------------------------------


def history_through(evaluation: Evaluation) -> status.History:
    """The teacher's status history from their final ratings up to and including the
    evaluation's year (risks.py reads the years before it the same way)."""
    years = [
        status.Year(start.year, rating)
        for start, rating in Evaluation.objects.filter(
            staff_id=evaluation.staff_id,
            state=Evaluation.State.FINAL,
            school_year__start_date__lte=evaluation.school_year.start_date,
        )
        .values_list("school_year__start_date", "final_level__state_rating")
        .order_by("school_year__start_date")
    ]
    starting = status.PROBATIONARY if evaluation.staff.probationary else status.NON_PROBATIONARY
    return status.history(years, starting=starting)


def may_appeal(evaluation: Evaluation) -> bool:
    """Whether the evaluation's final rating ended the teacher's non-probationary status."""
    return evaluation.state == Evaluation.State.FINAL and status.may_appeal(
        history_through(evaluation), evaluation.school_year.start_date.year
    )


GROUNDS = {g.value for g in Appeal.Ground}


@transaction.atomic
def file_appeal(
    evaluation: Evaluation,
    kind: str,
    notified_on: dt.date,
    filed_on: dt.date,
    statement: str,
    grounds: list[str] | tuple[str, ...] = (),
    panel: str = "",
    *,
    acting_user: Any,
) -> Appeal:
    """Record a teacher's disagreement, grievance or appeal of a final rating, filed within
    the district's window of the day the teacher received the rating. An appeal (of the loss
    of non-probationary status) is open only on the rating that ended the status, and on one
    or both of the two grounds the law allows, no others."""
    require(acting_user, evaluation, action="manage", message=MANAGERS)
    evaluation = (
        Evaluation.objects.select_for_update()
        .select_related("staff", "school_year", "framework")
        .get(pk=evaluation.pk)
    )
    problems: list[str] = []
    statement = _text(statement, "Write the teacher's statement.", 8000, problems)
    grounds = list(dict.fromkeys(grounds or ()))
    if evaluation.state != Evaluation.State.FINAL:
        problems.append("Only a final rating is disagreed with or appealed; this one is open.")
    if kind not in Appeal.Kind.values:
        problems.append("Say whether it is a disagreement, a grievance or an appeal.")
    unknown = [g for g in grounds if g not in GROUNDS]
    if unknown:
        problems.append("Not a ground for appeal: " + ", ".join(map(str, unknown)) + ".")
    if kind == Appeal.Kind.APPEAL:
        if not grounds:
            problems.append(
                "An appeal needs at least one of its two grounds: the process was not "
                "followed in a way that changed the rating, or data were wrongly attributed "
                "to the teacher."
            )
        if evaluation.state == Evaluation.State.FINAL and not may_appeal(evaluation):
            problems.append(
                "Only the rating that ended the teacher's non-probationary status may be "
                f"appealed, and the {evaluation.school_year} rating did not. A disagreement or "
                "a grievance may be filed instead."
            )
    elif grounds:
        problems.append(
            "Grounds are given only for an appeal of the loss of non-probationary status."
        )
    settings = _settings(evaluation)
    try:
        status.appeal_dates(notified_on, filed_on, settings)
    except ValueError:
        file_by = status.appeal_dates(notified_on, settings=settings).file_by
        problems.append(
            f"The teacher received the rating on {_day(notified_on)}, so it is filed from "
            f"that day to {_day(file_by)} ({settings.appeal_filing_days} days); "
            f"{_day(filed_on)} is outside that."
        )
    _not_future(filed_on, "The day it was filed", problems)
    if (
        kind in Appeal.Kind.values
        and evaluation.appeals.filter(kind=kind, outcome=Appeal.Outcome.PENDING).exists()
    ):
        problems.append(f"A {Appeal.Kind(kind).label.lower()} of this rating is pending already.")
    _check(problems)
    appeal = Appeal.objects.create(
        evaluation=evaluation,
        kind=kind,
        notified_on=notified_on,
        filed_on=filed_on,
        grounds=grounds,
        statement=statement,
        panel=(panel or "").strip()[:2000],
        created_by=_user(acting_user),
    )
    _record("appeal.file", evaluation, None, appeal, acting_user)
    return appeal


def _locked_appeal(appeal: Appeal) -> Appeal:
    return (
        Appeal.objects.select_for_update()
        .select_related("evaluation__staff", "evaluation__framework")
        .get(pk=appeal.pk)
    )


@transaction.atomic
def name_panel(appeal: Appeal, panel: str, *, acting_user: Any) -> Appeal:
    """Name (or rename) who hears a pending appeal."""
    require(acting_user, appeal.evaluation, action="manage", message=MANAGERS)
    appeal = _locked_appeal(appeal)
    problems: list[str] = []
    panel = _text(panel, "Name the panel's members.", 2000, problems)
    if appeal.outcome != Appeal.Outcome.PENDING:
        problems.append(f"It was decided on {_day(appeal.decided_on)}: the panel is settled.")
    _check(problems)
    before = _state(appeal)
    appeal.panel = panel
    appeal.save()
    _record("appeal.panel", appeal.evaluation, before, appeal, acting_user)
    return appeal


DECISIONS = [o for o in Appeal.Outcome if o != Appeal.Outcome.PENDING]


@transaction.atomic
def record_decision(
    appeal: Appeal, outcome: str, decided_on: dt.date, decision: str, *, acting_user: Any
) -> Appeal:
    """Record the decision, in writing with its reasons. A rating changed on appeal is then
    changed on the evaluation itself (reopened, with the decision as the reason)."""
    require(acting_user, appeal.evaluation, action="manage", message=MANAGERS)
    appeal = _locked_appeal(appeal)
    problems: list[str] = []
    decision = _text(decision, "Write the decision, with its reasons.", 8000, problems)
    if appeal.outcome != Appeal.Outcome.PENDING:
        problems.append(f"It was decided on {_day(appeal.decided_on)} already.")
    if outcome not in DECISIONS:
        problems.append("Say whether the rating stands, was changed, or the teacher withdrew.")
    if decided_on < appeal.filed_on:
        problems.append(f"It was filed on {_day(appeal.filed_on)}: it is decided after that.")
    _not_future(decided_on, "The day of the decision", problems)
    _check(problems)
    before = _state(appeal)
    appeal.outcome, appeal.decided_on, appeal.decision = outcome, decided_on, decision
    appeal.save()
    _record("appeal.decide", appeal.evaluation, before, appeal, acting_user)
    return appeal


# --- HR's list of deadlines passed -------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A deadline passed without its step, on an evaluation the user manages."""

    evaluation: Evaluation
    what: str
    due: dt.date
    url_name: str
    url_args: tuple[int, ...] = field(default=())

    @property
    def teacher(self) -> Any:
        return self.evaluation.staff

    @property
    def since(self) -> dt.date:
        """The first day it was overdue."""
        return self.due + dt.timedelta(days=1)

    def days(self, today: dt.date) -> int:
        return (today - self.due).days

    @property
    def url(self) -> str:
        return reverse(f"evaluation:{self.url_name}", args=self.url_args)


def overdue_for_hr(user: Any, today: dt.date | None = None) -> list[Overdue]:
    """Every deadline passed without its step, across the evaluations the user manages:
    notices not given by the deadline of a proposed non-renewal, reasons not given by their
    due date, appeals undecided past their decision date, plans of support past their end
    still open. The longest overdue first. Reading the list is audited, like the list of
    teachers at risk."""
    today = today or timezone.localdate()
    managed = Evaluation.objects.restrict(user, "manage").values("pk")
    related = (
        "evaluation__staff",
        "evaluation__school",
        "evaluation__school_year",
        "evaluation__framework",
    )
    found: list[Overdue] = []
    live = NonRenewal.objects.filter(evaluation__in=managed, withdrawn_on__isnull=True)
    for nr in live.filter(notice_given_on__isnull=True).select_related(*related):
        clock = nonrenewal_clock(nr, today)
        if clock.notice.overdue:
            found.append(
                Overdue(
                    nr.evaluation,
                    "Notice of non-renewal not given",
                    clock.notice.due,
                    "nonrenewal",
                    (nr.evaluation_id,),
                )
            )
    for nr in live.filter(
        reasons_requested_on__isnull=False, reasons_given_on__isnull=True
    ).select_related(*related):
        clock = nonrenewal_clock(nr, today)
        if clock.reasons is not None and clock.reasons.overdue:
            found.append(
                Overdue(
                    nr.evaluation,
                    "Reasons for the non-renewal not given",
                    clock.reasons.due,
                    "nonrenewal",
                    (nr.evaluation_id,),
                )
            )
    for appeal in Appeal.objects.filter(
        evaluation__in=managed, outcome=Appeal.Outcome.PENDING
    ).select_related(*related):
        due = _decide_by(appeal, _settings(appeal.evaluation))
        if today > due:
            found.append(
                Overdue(
                    appeal.evaluation,
                    f"{appeal.get_kind_display()} not decided",
                    due,
                    "appeal",
                    (appeal.evaluation_id, appeal.pk),
                )
            )
    for plan in SupportPlan.objects.filter(
        evaluation__in=managed, outcome=SupportPlan.Outcome.OPEN, ends_on__lt=today
    ).select_related(*related):
        found.append(
            Overdue(
                plan.evaluation,
                "Plan of support past its end and not closed",
                plan.ends_on,
                "support_plan",
                (plan.evaluation_id, plan.pk),
            )
        )
    found.sort(key=lambda o: (o.due, o.teacher.last_name, o.teacher.first_name, o.what))
    others = sorted(
        {o.evaluation.pk for o in found if o.teacher.user_id != getattr(user, "pk", None)}
    )
    if others:
        record(
            actor=user,
            action="evaluation.read_overdue",
            after={"evaluations": others},
            note="personnel records: deadlines passed",
        )
    return found
