"""Every change to designations' steps, checked, in one transaction, audited; and the
reminders sent to principals before a step is due."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from districtpm.audit.log import record, recorded_change, snapshot
from districtpm.core import plaintext
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM, require
from districtpm.improvement.models import StepDone, StepReminder, StepRule
from districtpm.org.models import Designation, SchoolYear

log = logging.getLogger(__name__)


def save_step_rule(
    rule: StepRule,
    *,
    name: str,
    due_on: dt.date,
    remind_days: int = 14,
    acting_user: Any,
) -> StepRule:
    """Add or change a step a kind of designation requires in a year."""
    with recorded_change(
        rule,
        acting_user=acting_user,
        action="improvement.step_rule.save",
        message="Your role does not allow setting designations' steps.",
    ):
        rule.name, rule.due_on, rule.remind_days = name.strip(), due_on, remind_days
        year = rule.school_year
        if not (year.start_date <= due_on <= year.end_date + dt.timedelta(days=92)):
            raise ValidationError(
                f"A step of {year} falls due between {year.start_date:%d %b %Y} and the summer "
                "after it ends."
            )
    return rule


@transaction.atomic
def remove_step_rule(rule: StepRule, *, acting_user: Any) -> None:
    require(acting_user, rule, "delete", "Your role does not allow setting designations' steps.")
    if rule.done.exists():
        raise ValidationError(
            "Some schools have completed this step; change its date or name instead."
        )
    record(
        actor=acting_user, action="improvement.step_rule.delete", obj=rule, before=snapshot(rule)
    )
    rule.delete()


# The steps districts in seed 004's position set (ESSA action plan in the state portal by
# 15 May; the school's MTSS self-assessment complete by 30 June), in our words.
USUAL_STEPS = [
    ("Action plan entered in the state portal", 5, 15),
    ("MTSS self-assessment complete", 6, 30),
]


@transaction.atomic
def add_usual_steps(year: SchoolYear, *, acting_user: Any) -> list[StepRule]:
    """The usual steps for every kind of designation in a year (those not there already)."""
    require(
        acting_user, StepRule, "change", "Your role does not allow setting designations' steps."
    )
    made = []
    for kind in (Designation.Kind.CSI, Designation.Kind.TSI, Designation.Kind.ATSI):
        for name, month, day in USUAL_STEPS:
            if StepRule.objects.filter(school_year=year, kind=kind, name=name).exists():
                continue
            rule = StepRule(school_year=year, kind=kind)
            made.append(
                save_step_rule(
                    rule,
                    name=name,
                    due_on=dt.date(year.end_date.year, month, day),
                    acting_user=acting_user,
                )
            )
    return made


@transaction.atomic
def complete_step(
    designation: Designation, rule: StepRule, *, done_on: dt.date, note: str = "", acting_user: Any
) -> StepDone:
    """Record that a designated school has done one of its steps."""
    done = StepDone(designation=designation, rule=rule)
    require(acting_user, done, message="Only the school's principal records its steps.")
    if rule.school_year_id != designation.school_year_id or rule.kind != designation.kind:
        raise ValidationError("That step is not one this designation requires.")
    if StepDone.objects.filter(designation=designation, rule=rule).exists():
        raise ValidationError("That step is recorded as done already.")
    if done_on > timezone.localdate():
        raise ValidationError("A step cannot be done in the future.")
    if done_on < rule.school_year.start_date:
        raise ValidationError(f"A step of {rule.school_year} is done in that year or after it.")
    done.done_on, done.note = done_on, note.strip()[:500]
    done.done_by = acting_user if getattr(acting_user, "pk", None) else None
    done.full_clean(exclude=["designation", "rule", "done_by"])
    try:
        with transaction.atomic():
            done.save()
    except IntegrityError:
        raise ValidationError("That step is recorded as done already.") from None
    record(actor=acting_user, action="improvement.step.done", obj=done, after=snapshot(done))
    return done


@transaction.atomic
def undo_step(done: StepDone, *, reason: str, acting_user: Any) -> None:
    require(acting_user, done, "delete", "Only the school's principal changes its steps.")
    if not reason.strip():
        raise ValidationError("Give the reason the step is not done after all.")
    record(
        actor=acting_user,
        action="improvement.step.undo",
        obj=done,
        before=snapshot(done),
        note=reason.strip(),
    )
    done.delete()


def principals_of(school_id: int) -> list[Any]:
    """A school's active principals with an email address: whom its reminders and notices go
    to."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role=Role.PRINCIPAL,
            role_assignments__school_id=school_id,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def send_step_reminders(today: dt.date | None = None, *, acting_user: Any) -> list[StepReminder]:
    """One email to a designated school's principals for each step not done whose reminder day
    has come and whose due date has not passed. A step is reminded once, however often this
    runs (the daily command); a failed send records nothing, so the next run tries again."""
    require(acting_user, StepRule, "change", "Your role does not send reminders.")
    today = today or timezone.localdate()
    sent = []
    rules = [r for r in StepRule.objects.filter(due_on__gte=today) if r.reminds_on() <= today]
    for rule in rules:
        designations = (
            Designation.objects.filter(school_year_id=rule.school_year_id, kind=rule.kind)
            .exclude(steps_done__rule=rule)
            .exclude(pk__in=StepReminder.objects.filter(rule=rule).values("designation_id"))
            .select_related("school", "school_year")
        )
        for designation in designations:
            people = principals_of(designation.school_id)
            if not people:
                continue
            # Claimed first, in its own transaction: a second run at the same moment finds it
            # taken and sends nothing; a failed send gives the claim back, so the next run
            # tries again, and the rest of this run goes on.
            with transaction.atomic():
                reminder, created = StepReminder.objects.get_or_create(
                    designation=designation,
                    rule=rule,
                    defaults={"sent_to": ", ".join(u.email for u in people)[:500]},
                )
            if not created:
                continue
            link = (
                settings.DISTRICTPM_BASE_URL
                + reverse("improvement:designations")
                + f"?year={designation.school_year.name}"
            )
            try:
                send_mail(
                    subject=plaintext.one_line(
                        f"{designation.school.name}: “{rule.name}” is due {rule.due_on:%-d %B}"
                    ),
                    message=plaintext.clean(
                        f"Hello,\n\n{designation.school.name} is designated for "
                        f"{designation.get_kind_display()} in {designation.school_year}. One of the "
                        f"steps that requires, “{rule.name}”, is due on {rule.due_on:%A %-d %B %Y} "
                        "and is not recorded as done yet.\n\n"
                        f"Record it, or see every step, here:\n{link}\n\nDistrict PM"
                    ),
                    from_email=None,
                    recipient_list=[u.email for u in people],
                )
            except (OSError, smtplib.SMTPException, BadHeaderError) as exc:
                reminder.delete()
                log.warning("Reminder for %s, %s not sent: %s", designation.school, rule.name, exc)
                continue
            record(
                actor=acting_user,
                action="improvement.step.remind",
                obj=reminder,
                after={"school": designation.school.name, "step": rule.name},
                source="system" if acting_user is SYSTEM else "web",
            )
            if created:
                sent.append(reminder)
    return sent


@transaction.atomic
def write_problem_statement(
    school: Any,
    metric: Any,
    school_year: str,
    group_dim: str,
    group_value: str,
    *,
    desired: float | None,
    use_district_target: bool = False,
    acting_user: Any,
) -> Any:
    """Write a problem statement from the engine's figures for a group the user may read."""
    from districtpm.improvement import problems
    from districtpm.improvement.models import ProblemStatement

    statement = ProblemStatement(school=school)
    require(acting_user, statement, message="Only the school's team writes its problem statements.")
    f = problems.figures(acting_user, metric, school, school_year, group_dim, group_value)
    if use_district_target:
        desired = problems.district_target(acting_user, metric, school_year)
        if desired is None:
            raise ValidationError(
                f"The plan has no district target on {metric.name} for {school_year}."
            )
    if desired is None:
        raise ValidationError(
            "Give the desired state: the value the team wants the group to reach."
        )
    statement.metric, statement.school_year, statement.period = metric, school_year, f.period
    statement.group_dim, statement.group_value = group_dim, group_value
    statement.current_value, statement.current_n = f.value, f.n
    statement.school_value, statement.district_value = f.school_value, f.district_value
    statement.trend = [[y, v] for y, v in f.trend]
    statement.desired_value, statement.desired_from_goal = desired, use_district_target
    statement.text = problems.write(f, desired, from_goal=use_district_target)
    statement.written_by = acting_user if getattr(acting_user, "pk", None) else None
    statement.full_clean(exclude=["school", "metric", "written_by"])
    statement.save()
    record(
        actor=acting_user,
        action="improvement.problem.write",
        obj=statement,
        after={"text": statement.text},
    )
    return statement


def self_assessment_ratings(school: Any, user: Any) -> list[Any]:
    """The final ratings of the school's latest final self-assessment that the user may read,
    the evidence a cause is verified against."""
    from districtpm.core.scoping import restrict
    from districtpm.rubrics.models import Assessment, FinalRating

    def scoped(qs):  # the system (the demo builder) reads every assessment
        return qs if user is SYSTEM else restrict(qs, user)

    latest = (
        scoped(Assessment.objects.all())
        .filter(school=school, status=Assessment.Status.FINAL)
        .order_by("-school_year__start_date")
        .first()
    )
    if latest is None:
        return []
    return list(
        scoped(FinalRating.objects.filter(assessment=latest)).select_related(
            "indicator__domain",
            "level",
            "assessment__school_year",
            "assessment__version__framework",
        )
    )


@transaction.atomic
def propose_cause(problem: Any, hypothesis: str, *, acting_user: Any) -> Any:
    from districtpm.improvement.models import RootCause

    cause = RootCause(problem=problem)
    with recorded_change(
        cause,
        acting_user=acting_user,
        action="improvement.cause.propose",
        message="Only the school's team proposes causes.",
    ):
        cause.hypothesis = hypothesis.strip()[:500]
        if not cause.hypothesis:
            raise ValidationError("Say what the team thinks causes the problem.")
    return cause


@transaction.atomic
def decide_cause(
    cause: Any,
    status: str,
    *,
    indicator_rating: Any = None,
    metric: Any = None,
    evidence: str = "",
    acting_user: Any,
) -> Any:
    """Verify or reject a cause. Verifying needs evidence: an indicator of the school's
    self-assessment, a metric or a note. The indicator's rating is kept as it read then."""
    from districtpm.improvement.models import RootCause

    if status not in (RootCause.Status.VERIFIED, RootCause.Status.REJECTED):
        raise ValidationError("A cause is verified or rejected.")
    evidence = evidence.strip()[:2000]
    if indicator_rating is not None:
        readable = {r.pk for r in self_assessment_ratings(cause.problem.school, acting_user)}
        if acting_user is not SYSTEM and indicator_rating.pk not in readable:
            raise ValidationError("Choose an indicator of the school's latest self-assessment.")
    if status == RootCause.Status.VERIFIED and not (indicator_rating or metric or evidence):
        raise ValidationError(
            "Verifying a cause needs evidence: an indicator of the self-assessment, a metric or "
            "a note."
        )
    with recorded_change(
        cause,
        acting_user=acting_user,
        action="improvement.cause.decide",
        message="Only the school's team decides its causes.",
    ):
        cause.status, cause.metric, cause.evidence = status, metric, evidence
        cause.indicator_rating = indicator_rating
        cause.indicator_note = (
            f"{indicator_rating.indicator.name}: {indicator_rating.level.name} "
            f"({indicator_rating.assessment.version.framework.name}, "
            f"{indicator_rating.assessment.school_year})"[:400]
            if indicator_rating
            else ""
        )
        cause.decided_by = acting_user if getattr(acting_user, "pk", None) else None
        cause.decided_at = timezone.now()
    return cause


MAX_HIGH_LEVERAGE = 4


@transaction.atomic
def add_high_leverage_action(
    school: Any, year: SchoolYear, text: str, *, indicator_rating: Any = None, acting_user: Any
) -> Any:
    """Record one of the school's (at most four) high-leverage actions for the year."""
    from districtpm.improvement.models import HighLeverageAction

    action = HighLeverageAction(school=school, school_year=year)
    require(acting_user, action, message="Only the school's team records its actions.")
    # One writer at a time per school, so two at once cannot make a fifth.
    type(school).objects.select_for_update().filter(pk=school.pk).first()
    if (
        HighLeverageAction.objects.filter(school=school, school_year=year).count()
        >= MAX_HIGH_LEVERAGE
    ):
        raise ValidationError(
            f"A team chooses two to four high-leverage actions; {school} has four."
        )
    if indicator_rating is not None:
        readable = {r.pk for r in self_assessment_ratings(school, acting_user)}
        if indicator_rating.pk not in readable:
            raise ValidationError("Choose an indicator of the school's latest self-assessment.")
    action.text = text.strip()[:300]
    if not action.text:
        raise ValidationError("Say what the action is.")
    action.indicator_rating = indicator_rating
    action.added_by = acting_user if getattr(acting_user, "pk", None) else None
    action.save()
    record(
        actor=acting_user,
        action="improvement.high_leverage.add",
        obj=action,
        after={"text": action.text},
    )
    return action


@transaction.atomic
def remove_high_leverage_action(action: Any, *, acting_user: Any) -> None:
    require(acting_user, action, "delete", "Only the school's team changes its actions.")
    record(
        actor=acting_user,
        action="improvement.high_leverage.remove",
        obj=action,
        before={"text": action.text},
    )
    action.delete()
