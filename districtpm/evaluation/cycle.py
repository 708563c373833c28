"""The year of an evaluation, written step by step: the principal assigns evaluators,
evaluators observe (indicator scores, time-stamped notes, an action step) and hold the
mid-year and end-of-year conversations, the teacher reflects beforehand and acknowledges
afterwards, and a follow-up email goes to the teacher from a template. Each action is
atomic, checks its permission first and leaves one audit row."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.db import transaction
from django.utils import timezone

from districtpm.audit.log import record, snapshot
from districtpm.core.plaintext import clean, one_line
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM, access_for, require
from districtpm.evaluation import guides, risks, status
from districtpm.evaluation.models import (
    Component,
    Conversation,
    Evaluation,
    FollowUp,
    Framework,
    Indicator,
    Observation,
    ObservationNote,
    ObservationScore,
)
from districtpm.evaluation.records import SCORERS, _open, _user

log = logging.getLogger(__name__)
TEACHER_ONLY = "Only the teacher writes their reflection and acknowledges a conversation."


# ------------------------------------------------------------------ caseloads


@transaction.atomic
def assign_evaluator(staff: Any, school_year: Any, evaluator: Any, *, acting_user: Any) -> None:
    """Put a teacher on an evaluator's caseload for the year (replacing any other evaluator):
    by the principal of the teacher's school (their evaluation's that year, else their main
    post), never for themselves, and not once the year's evaluations are closed. The evaluator
    is an evaluator or a principal at that school."""
    from districtpm.accounts.models import CaseloadEntry

    # the school the teacher belongs to: their evaluation's that year, else their main post
    evaluation = Evaluation.objects.filter(staff=staff, school_year=school_year).first()
    school_id = (
        evaluation.school_id
        if evaluation
        else staff.assignments.filter(primary=True).values_list("school_id", flat=True).first()
    )
    if acting_user is not SYSTEM:
        if school_id not in set(access_for(acting_user).schools_for(Role.PRINCIPAL)):
            raise PermissionDenied("Only the teacher's principal assigns their evaluator.")
        if staff.user_id == acting_user.pk:
            raise PermissionDenied("Your own evaluator is chosen by your supervisor, not by you.")
    if Framework.objects.filter(school_year=school_year, closed=True).exists():
        raise ValidationError(
            f"The {school_year} evaluations are closed: caseloads stay as they were."
        )
    if evaluator is not None:
        theirs = access_for(evaluator)
        reaches = set(theirs.schools_for(Role.EVALUATOR)) | set(theirs.schools_for(Role.PRINCIPAL))
        if school_id not in reaches or evaluator.pk == staff.user_id:
            raise ValidationError(
                f"{evaluator.get_full_name() or evaluator} cannot evaluate {staff}."
            )
    entries = CaseloadEntry.objects.filter(staff=staff, school_year=school_year)
    before = sorted(entries.values_list("evaluator__username", flat=True))
    entries.delete()
    if evaluator is not None:
        CaseloadEntry.objects.create(evaluator=evaluator, staff=staff, school_year=school_year)
    record(
        actor=acting_user,
        action="evaluation.caseload",
        obj=staff,
        before={"evaluators": before, "school_year": school_year.name},
        after={
            "evaluators": [evaluator.username] if evaluator else [],
            "school_year": school_year.name,
        },
    )


# ------------------------------------------------------------------ observations


def _in_year(evaluation: Evaluation, day: dt.date, what: str) -> None:
    year = evaluation.school_year
    if not year.start_date <= day <= year.end_date:
        raise ValidationError(f"{what} falls inside {year} ({year.start_date} – {year.end_date}).")
    if day > timezone.localdate():
        raise ValidationError(f"{what} cannot be in the future.")


def observed_indicators(evaluation: Evaluation) -> list[Indicator]:
    """The indicators an observation scores: those of the framework's observation components."""
    return list(
        Indicator.objects.filter(
            component__framework=evaluation.framework,
            component__kind=Component.Kind.OBSERVATION,
        ).select_related("component")
    )


@transaction.atomic
def record_observation(
    evaluation: Evaluation,
    observed_on: dt.date,
    scores: Mapping[int, float],
    *,
    minutes: int = 30,
    action_step: str = "",
    acting_user: Any,
) -> Observation:
    """An observation with its indicator scores (indicator id → score; an indicator left out
    was not seen). Notes come as it goes (add_note)."""
    require(acting_user, evaluation, message=SCORERS)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _open(evaluation)
    _in_year(evaluation, observed_on, "The observation")
    indicators = {i.pk: i for i in observed_indicators(evaluation)}
    problems = []
    for pk, score in scores.items():
        indicator = indicators.get(pk)
        if indicator is None:
            problems.append("Score only the observation's own indicators.")
            continue
        c = indicator.component
        if not c.scale_min <= score <= c.scale_max:
            problems.append(
                f"{indicator}: scored from {c.scale_min:g} to {c.scale_max:g}; {score:g} is not."
            )
    if not 1 <= minutes <= 480:
        problems.append("An observation lasts from 1 to 480 minutes.")
    if problems:
        raise ValidationError(problems)
    observation = Observation.objects.create(
        evaluation=evaluation,
        observer=_user(acting_user),
        observed_on=observed_on,
        minutes=minutes,
        action_step=clean(action_step)[:2000],
    )
    ObservationScore.objects.bulk_create(
        ObservationScore(observation=observation, indicator_id=pk, score=score)
        for pk, score in scores.items()
    )
    record(
        actor=acting_user,
        action="evaluation.observation",
        obj=evaluation,
        after={
            "observation": observation.pk,
            "observed_on": str(observed_on),
            "scores": {indicators[pk].code or str(pk): score for pk, score in scores.items()},
            "action_step": observation.action_step,
        },
    )
    return observation


@transaction.atomic
def add_note(
    observation: Observation, text: str, indicator: Indicator | None = None, *, acting_user: Any
) -> ObservationNote:
    """A note stamped with the moment it is written, tagged to an indicator if given."""
    require(acting_user, observation.evaluation, message=SCORERS)
    _open(observation.evaluation)
    text = clean(text).strip()
    if not text:
        raise ValidationError("Write the note first.")
    if indicator is not None and indicator.component.framework_id != (
        observation.evaluation.framework_id
    ):
        raise ValidationError("Tag the note with one of the framework's indicators.")
    note = ObservationNote.objects.create(
        observation=observation, indicator=indicator, text=text[:2000]
    )
    record(
        actor=acting_user,
        action="evaluation.observation.note",
        obj=observation.evaluation,
        after={
            "observation": observation.pk,
            "indicator": indicator and indicator.code,
            "text": note.text,
        },
    )
    return note


@transaction.atomic
def share_observation(observation: Observation, *, acting_user: Any) -> Observation:
    """Show the observation to the teacher."""
    require(acting_user, observation.evaluation, message=SCORERS)
    if observation.shared_at is None:
        observation.shared_at = timezone.now()
        observation.save(update_fields=["shared_at"])
        record(
            actor=acting_user,
            action="evaluation.observation.share",
            obj=observation.evaluation,
            after={"observation": observation.pk},
        )
    return observation


# ------------------------------------------------------------------ conversations


def _conversation(evaluation: Evaluation, kind: str) -> Conversation:
    if kind not in Conversation.Kind.values:
        raise ValidationError("A conversation is the mid-year or the end-of-year one.")
    conversation, _ = Conversation.objects.select_for_update().get_or_create(
        evaluation=evaluation, kind=kind
    )
    return conversation


def _the_teacher(evaluation: Evaluation, acting_user: Any) -> None:
    if acting_user is SYSTEM:
        return
    if not getattr(acting_user, "pk", None) or evaluation.staff.user_id != acting_user.pk:
        raise PermissionDenied(TEACHER_ONLY)


@transaction.atomic
def write_reflection(
    evaluation: Evaluation, kind: str, text: str, *, acting_user: Any
) -> Conversation:
    """The teacher's reflection before a conversation (until it is held)."""
    _the_teacher(evaluation, acting_user)
    _open(evaluation)
    conversation = _conversation(evaluation, kind)
    if conversation.held_on:
        raise ValidationError("The conversation has been held: the reflection is closed.")
    before = snapshot(conversation)
    conversation.reflection = clean(text).strip()[:4000]
    conversation.reflection_at = timezone.now()
    conversation.save()
    record(
        actor=acting_user,
        action="evaluation.conversation.reflection",
        obj=evaluation,
        before=before,
        after=snapshot(conversation),
    )
    return conversation


@transaction.atomic
def hold_conversation(
    evaluation: Evaluation,
    kind: str,
    held_on: dt.date,
    notes: Mapping[str, str],
    *,
    acting_user: Any,
) -> Conversation:
    """Record a conversation as held, with the notes of each of its guide's sections.
    Changing the notes after the teacher acknowledged them asks for a new acknowledgement."""
    require(acting_user, evaluation, message=SCORERS)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _open(evaluation)
    _in_year(evaluation, held_on, "The conversation")
    conversation = _conversation(evaluation, kind)
    keys = [s.key for s in guides.GUIDES[kind]]
    cleaned = {k: clean(notes.get(k, "")).strip()[:4000] for k in keys}
    if not any(cleaned.values()):
        raise ValidationError("Write the notes of at least one section.")
    before = snapshot(conversation)
    changed = cleaned != conversation.notes or held_on != conversation.held_on
    conversation.notes, conversation.held_on = cleaned, held_on
    conversation.held_by = _user(acting_user)
    if changed and conversation.acknowledged_at:
        conversation.acknowledged_at = None  # they acknowledged other notes
        conversation.teacher_comment = ""
    conversation.save()
    record(
        actor=acting_user,
        action="evaluation.conversation",
        obj=evaluation,
        before=before,
        after=snapshot(conversation),
    )
    return conversation


@transaction.atomic
def acknowledge(conversation: Conversation, comment: str = "", *, acting_user: Any) -> Conversation:
    """The teacher says the conversation took place, with a comment if they wish. It is not
    agreement."""
    evaluation = conversation.evaluation
    _the_teacher(evaluation, acting_user)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.held_on:
        raise ValidationError("The conversation has not been recorded as held yet.")
    if conversation.acknowledged_at:
        raise ValidationError("You have acknowledged this conversation already.")
    before = snapshot(conversation)
    conversation.acknowledged_at = timezone.now()
    conversation.teacher_comment = clean(comment).strip()[:4000]
    conversation.save()
    record(
        actor=acting_user,
        action="evaluation.conversation.acknowledge",
        obj=evaluation,
        before=before,
        after=snapshot(conversation),
    )
    return conversation


# ------------------------------------------------------------------ follow-up emails


def recipient(evaluation: Evaluation) -> str:
    staff = evaluation.staff
    return staff.email or (staff.user.email if staff.user_id and staff.user else "")


def email_context(
    evaluation: Evaluation, *, sender: Any, next_steps: str = "", today: dt.date | None = None
) -> dict[str, object]:
    """What a follow-up template is filled with, from the record."""
    # what the teacher is told comes from what is shared with them
    standing = risks.standing_of(evaluation, today=today, shared_only=True)
    last = evaluation.conversations.exclude(held_on=None).order_by("-held_on").first()
    dates = status.year_dates(evaluation.school_year.end_date, evaluation.framework.settings())
    level = evaluation.final_level or risks.records.result(evaluation, shared_only=True).level
    return {
        "first_name": evaluation.staff.first_name,
        "school_year": evaluation.school_year.name,
        "conversation": last.get_kind_display().lower() if last else "conversation",
        "held_on": f"{last.held_on:%-d %B}" if last else "",
        "projected": level.name.lower() if level else "not known yet",
        "reasons": "\n".join(f"- {r.reason}" for r in standing.standing.risks),
        "notice_by": f"{dates.nonrenewal_notice_by:%-d %B %Y}",
        "next_steps": clean(next_steps).strip() or "(the next steps we agreed)",
        "sender": (sender.get_full_name() or sender.get_username()) if sender else "",
    }


def template_for(evaluation: Evaluation, *, today: dt.date | None = None) -> str:
    """The template that fits the teacher's standing: the gravest risk's, or the general one."""
    standing = risks.standing_of(evaluation, today=today, shared_only=True)
    codes = [r.code for r in standing.standing.risks]
    for code, key in [
        ("losing_status", "at_risk_status"),
        ("below_effective", "at_risk_rating"),
        ("nonrenewal_window", "at_risk_nonrenewal"),
    ]:
        if code in codes:
            return key
    return "after_conversation"


def send_followup(
    evaluation: Evaluation,
    template: str,
    subject: str,
    body: str,
    *,
    acting_user: Any,
    today: dt.date | None = None,
) -> FollowUp:
    """Send the (previewed, perhaps edited) email to the teacher and keep it on the record.
    A failed send keeps nothing and says why."""
    require(acting_user, evaluation, message=SCORERS)
    if template not in guides.EMAILS:
        raise ValidationError("Choose one of the email templates.")
    to = recipient(evaluation)
    if not to:
        raise ValidationError(f"{evaluation.staff} has no email address on record.")
    subject = one_line(subject)[:200]
    body = clean(body).strip()[:10000]
    if not subject or not body:
        raise ValidationError("The email needs a subject and a message.")
    sender = _user(acting_user)
    message = EmailMessage(
        subject, body, to=[to], reply_to=[sender.email] if sender and sender.email else None
    )
    try:
        # sent before anything is written and outside a transaction: a slow mail server holds
        # no lock, and an email that did not go leaves no record that it did
        message.send()
    except (BadHeaderError, OSError) as exc:
        log.warning("Follow-up email for evaluation %s not sent: %s", evaluation.pk, exc)
        raise ValidationError(
            "The email could not be sent; nothing was recorded. Try again."
        ) from exc
    codes = [r.code for r in risks.standing_of(evaluation, today=today).standing.risks]
    with transaction.atomic():
        followup = FollowUp.objects.create(
            evaluation=evaluation,
            template=template,
            to=to,
            subject=subject,
            body=body,
            risks=codes,
            sent_at=timezone.now(),
            sent_by=sender,
        )
        record(
            actor=acting_user,
            action="evaluation.followup",
            obj=evaluation,
            after={"to": to, "subject": subject, "template": template, "risks": codes},
        )
    return followup
