"""The pages of what follows an evaluation: its plans of support, a non-renewal, disagreements,
grievances and appeals, and HR's list of deadlines passed.

The evaluation is read through records.read (404 outside one's access; a read by anyone but the
teacher audited) and its plans, non-renewal and appeals through the scope rules, so the teacher
reads their own record's pages — a non-renewal only once notice is given — and writes nothing.
Every write is the principal's or HR's (403 to anyone else who reads the record) and goes
through an action in consequences.py. A form refused keeps what was typed: the page is shown
again with the message and the form as sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from districtpm.core.access import requires
from districtpm.core.scoping import allowed
from districtpm.evaluation import consequences, records
from districtpm.evaluation.consequence_forms import (
    AppealForm,
    CheckInForm,
    ClosePlanForm,
    DecisionForm,
    PanelForm,
    ProposeForm,
    StepForm,
    SupportPlanForm,
    WithdrawForm,
)
from districtpm.evaluation.models import Appeal, Evaluation, NonRenewal, SupportPlan

FORM_ERRORS = "Some of the form needs another look: see the notes beside the fields."


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    return records.read(
        Evaluation.objects.select_related("school", "school_year", "framework", "final_level"),
        request.user,
        pk=pk,
    )


def _manages(request: HttpRequest, e: Evaluation) -> bool:
    return allowed(request.user, e, "manage")


def _must_manage(request: HttpRequest, e: Evaluation) -> None:
    if not _manages(request, e):
        raise PermissionDenied(consequences.MANAGERS)


def _is_teacher(request: HttpRequest, e: Evaluation) -> bool:
    return e.staff.user_id == request.user.pk


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _submit(
    request: HttpRequest,
    form: Any,
    act: Callable[[dict[str, Any]], Any],
    again: Callable[[], HttpResponse],
    done: Callable[[Any], tuple[str, tuple[Any, ...]]],
    *,
    invalid: str = FORM_ERRORS,
) -> HttpResponse:
    """One posted form: `act` on its cleaned data, then `done(result)` gives the message and
    where to go; a bad form or a refused action shows its message and `again()`, the page with
    what was typed."""
    if not form.is_valid():
        messages.error(request, invalid)
        return again()
    try:
        result = act(form.cleaned_data)
    except ValidationError as exc:
        _refused(request, exc)
        return again()
    message, target = done(result)
    messages.success(request, message)
    return redirect(*target)


def _page(
    request: HttpRequest, template: str, e: Evaluation, section: str, **context: Any
) -> HttpResponse:
    manages = context.pop("manages", None)
    if manages is None:
        manages = _manages(request, e)
    show_nonrenewal = (
        manages or NonRenewal.objects.visible_to(request.user).filter(evaluation=e).exists()
    )
    return render(
        request,
        f"evaluation/consequences/{template}",
        {
            "e": e,
            "manages": manages,
            "today": timezone.localdate(),
            "section": section,
            "show_nonrenewal": show_nonrenewal,
            "is_teacher": _is_teacher(request, e),
            **context,
        },
    )


def _clock_row(d: consequences.Deadline, today: dt.date, stopped: str = "") -> dict[str, Any]:
    """A deadline as a row of a clock: its state in words (never colour only)."""
    if d.done_on is not None:
        state = f"Done on {d.done_on:%-d %B %Y}"
        if d.late:
            days = (d.done_on - d.due).days
            state += f", {days} day{'s' if days != 1 else ''} late"
    elif d.overdue:  # the page puts the word "Overdue" before it
        days = (today - d.due).days
        state = f"since {d.overdue_since:%-d %B %Y} ({days} day{'s' if days != 1 else ''})"
    elif stopped:
        state = stopped
    else:
        left = d.days_left(today)
        state = "Due today" if left == 0 else f"Due in {left} day{'s' if left != 1 else ''}"
    return {"step": d.step, "due": d.due, "state": state, "overdue": d.overdue, "late": d.late}


# --- plans of support --------------------------------------------------------------------------


def _plans_page(
    request: HttpRequest, e: Evaluation, form: forms.Form | None = None
) -> HttpResponse:
    plans = (
        SupportPlan.objects.visible_to(request.user)
        .filter(evaluation=e)
        .prefetch_related("check_ins")
        .order_by("-starts_on", "-pk")
    )
    return _page(
        request,
        "support.html",
        e,
        "support",
        plans=plans,
        form=form or SupportPlanForm(initial={"starts_on": timezone.localdate()}),
        has_open=any(p.outcome == SupportPlan.Outcome.OPEN for p in plans),
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def support(request: HttpRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if request.method != "POST":
        return _plans_page(request, e)
    _must_manage(request, e)
    form = SupportPlanForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: consequences.start_support_plan(e, **data, acting_user=request.user),
        lambda: _plans_page(request, e, form),
        lambda plan: (
            "The plan of support has started.",
            ("evaluation:support_plan", e.pk, plan.pk),
        ),
    )


def _plan_page(
    request: HttpRequest,
    e: Evaluation,
    plan: SupportPlan,
    check_in_form: forms.Form | None = None,
    close_form: forms.Form | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    in_progress = plan.outcome == SupportPlan.Outcome.OPEN
    return _page(
        request,
        "support_plan.html",
        e,
        "support",
        plan=plan,
        check_ins=plan.check_ins.select_related("by"),
        in_progress=in_progress,
        past_end=in_progress and today > plan.ends_on,
        check_in_form=check_in_form
        or CheckInForm(prefix="check_in", initial={"held_on": min(today, plan.ends_on)}),
        close_form=close_form or ClosePlanForm(prefix="close", initial={"closed_on": today}),
    )


def _plan(request: HttpRequest, e: Evaluation, plan: int, action: str = "view") -> SupportPlan:
    return get_object_or_404(
        SupportPlan.objects.restrict(request.user, action), pk=plan, evaluation=e
    )


@requires("evaluation.view")
def support_plan(request: HttpRequest, pk: int, plan: int) -> HttpResponse:
    e = _evaluation(request, pk)
    return _plan_page(request, e, _plan(request, e, plan))


@requires("evaluation.view")
@require_POST
def support_check_in(request: HttpRequest, pk: int, plan: int) -> HttpResponse:
    e = _evaluation(request, pk)
    _must_manage(request, e)
    p = _plan(request, e, plan, "change")
    form = CheckInForm(request.POST, prefix="check_in")
    return _submit(
        request,
        form,
        lambda data: consequences.add_check_in(p, **data, acting_user=request.user),
        lambda: _plan_page(request, e, p, check_in_form=form),
        lambda _: ("The check-in is recorded.", ("evaluation:support_plan", e.pk, p.pk)),
    )


@requires("evaluation.view")
@require_POST
def support_close(request: HttpRequest, pk: int, plan: int) -> HttpResponse:
    e = _evaluation(request, pk)
    _must_manage(request, e)
    p = _plan(request, e, plan, "change")
    form = ClosePlanForm(request.POST, prefix="close")
    return _submit(
        request,
        form,
        lambda data: consequences.close_support_plan(p, **data, acting_user=request.user),
        lambda: _plan_page(request, e, p, close_form=form),
        lambda _: ("The plan of support is closed.", ("evaluation:support_plan", e.pk, p.pk)),
    )


# --- non-renewal -------------------------------------------------------------------------------

STEPS = {
    # step: (the action, the button's words, what the message says once done)
    "notice": (consequences.give_notice, "Record the notice", "Notice is recorded as given."),
    "reasons_requested": (
        consequences.reasons_requested,
        "Record the request",
        "The teacher's request for the reasons is recorded; the clock for giving them runs.",
    ),
    "reasons_given": (
        consequences.reasons_given,
        "Record the reasons as given",
        "The reasons are recorded as given.",
    ),
}


def _nonrenewal(request: HttpRequest, e: Evaluation) -> NonRenewal | None:
    nr = NonRenewal.objects.visible_to(request.user).filter(evaluation=e).first()
    if nr is None and _is_teacher(request, e):
        # the same answer whether there is none or notice is not given yet
        raise Http404("No such page, or it is outside your access.")
    return nr


def _next_step(nr: NonRenewal | None) -> str | None:
    if nr is None or nr.withdrawn_on is not None:
        return None
    if nr.notice_given_on is None:
        return "notice"
    if nr.reasons_requested_on is None:
        return "reasons_requested"
    if nr.reasons_given_on is None:
        return "reasons_given"
    return None


def _nonrenewal_page(
    request: HttpRequest,
    e: Evaluation,
    nr: NonRenewal | None,
    form: forms.Form | None = None,
    step_form: forms.Form | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    manages = _manages(request, e)
    rows: list[dict[str, Any]] = []
    clock = None
    if nr is not None:
        clock = consequences.nonrenewal_clock(nr, today)
        stopped = "Not needed: withdrawn" if clock.withdrawn else ""
        rows.append(_clock_row(clock.notice, today, stopped))
        if clock.reasons is not None:
            rows.append(_clock_row(clock.reasons, today, stopped))
    step = _next_step(nr)
    may_propose = manages and (nr is None or nr.withdrawn_on is not None)
    probationary = consequences.is_probationary(e)
    return _page(
        request,
        "nonrenewal.html",
        e,
        "nonrenewal",
        manages=manages,
        nr=nr,
        clock=clock,
        rows=rows,
        notice_by=consequences.notice_by(e),
        reasons_days=e.framework.reasons_within_days,
        probationary=probationary,
        may_propose=may_propose and probationary,
        form=form or ProposeForm(prefix="propose", initial={"proposed_on": today}),
        step=step if manages else None,
        step_label=STEPS[step][1] if step else "",
        step_form=step_form or (StepForm(prefix=step, initial={"on": today}) if step else None),
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def nonrenewal(request: HttpRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if request.method != "POST":
        return _nonrenewal_page(request, e, _nonrenewal(request, e))
    _must_manage(request, e)
    nr = NonRenewal.objects.restrict(request.user, "change").filter(evaluation=e).first()
    form = ProposeForm(request.POST, prefix="propose")
    return _submit(
        request,
        form,
        lambda data: consequences.propose_nonrenewal(e, **data, acting_user=request.user),
        lambda: _nonrenewal_page(request, e, nr, form=form),
        lambda _: (
            "The non-renewal is proposed. The teacher sees it once notice is recorded.",
            ("evaluation:nonrenewal", e.pk),
        ),
    )


@requires("evaluation.view")
@require_POST
def nonrenewal_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    e = _evaluation(request, pk)
    _must_manage(request, e)
    nr = get_object_or_404(NonRenewal.objects.restrict(request.user, "change"), evaluation=e)
    action, _label, done = STEPS[step]
    form = StepForm(request.POST, prefix=step)
    return _submit(
        request,
        form,
        lambda data: action(nr, data["on"], acting_user=request.user),
        lambda: _nonrenewal_page(request, e, nr, step_form=form),
        lambda _: (done, ("evaluation:nonrenewal", e.pk)),
        invalid="Give the day as a date.",
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def nonrenewal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdrawing asks for a confirmation first: a page of its own with the reason."""
    e = _evaluation(request, pk)
    _must_manage(request, e)
    nr = get_object_or_404(NonRenewal.objects.restrict(request.user, "change"), evaluation=e)
    if nr.withdrawn_on is not None:
        messages.info(request, f"It was withdrawn on {nr.withdrawn_on:%-d %B %Y} already.")
        return redirect("evaluation:nonrenewal", e.pk)
    form = WithdrawForm(initial={"on": timezone.localdate()})
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            messages.error(request, FORM_ERRORS)
        else:
            try:
                consequences.withdraw(nr, **form.cleaned_data, acting_user=request.user)
            except ValidationError as exc:
                _refused(request, exc)
            else:
                messages.success(request, "The non-renewal is withdrawn; the reason is kept.")
                return redirect("evaluation:nonrenewal", e.pk)
    return _page(request, "withdraw.html", e, "nonrenewal", manages=True, nr=nr, form=form)


# --- disagreements, grievances, appeals --------------------------------------------------------


def _appeals_page(
    request: HttpRequest, e: Evaluation, form: forms.Form | None = None
) -> HttpResponse:
    today = timezone.localdate()
    appeals = list(
        Appeal.objects.visible_to(request.user)
        .filter(evaluation=e)
        .select_related("evaluation__framework")
        .order_by("-filed_on", "-pk")
    )
    for a in appeals:
        a.clock = consequences.appeal_clock(a, today)
        a.decide_row = _clock_row(a.clock.decide_by, today)
    final = e.state == Evaluation.State.FINAL
    return _page(
        request,
        "appeals.html",
        e,
        "appeals",
        appeals=appeals,
        final=final,
        may_appeal=final and consequences.may_appeal(e),
        settings=e.framework.settings(),
        form=form or AppealForm(initial={"filed_on": today}),
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def appeals(request: HttpRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if request.method != "POST":
        return _appeals_page(request, e)
    _must_manage(request, e)
    form = AppealForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: consequences.file_appeal(e, **data, acting_user=request.user),
        lambda: _appeals_page(request, e, form),
        lambda appeal: (
            f"The {appeal.get_kind_display().lower()} is recorded as filed.",
            ("evaluation:appeal", e.pk, appeal.pk),
        ),
    )


def _appeal_page(
    request: HttpRequest,
    e: Evaluation,
    a: Appeal,
    form: forms.Form | None = None,
    panel_form: forms.Form | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    clock = consequences.appeal_clock(a, today)
    grounds = dict(Appeal.Ground.choices)
    return _page(
        request,
        "appeal.html",
        e,
        "appeals",
        a=a,
        grounds=[grounds.get(g, g) for g in a.grounds],
        rows=[_clock_row(clock.file_by, today), _clock_row(clock.decide_by, today)],
        pending=a.outcome == Appeal.Outcome.PENDING,
        form=form or DecisionForm(prefix="decision", initial={"decided_on": today}),
        panel_form=panel_form or PanelForm(prefix="panel", initial={"panel": a.panel}),
    )


def _appeal(request: HttpRequest, e: Evaluation, appeal: int, action: str = "view") -> Appeal:
    return get_object_or_404(
        Appeal.objects.restrict(request.user, action).select_related("evaluation__framework"),
        pk=appeal,
        evaluation=e,
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, pk: int, appeal: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if request.method != "POST":
        return _appeal_page(request, e, _appeal(request, e, appeal))
    _must_manage(request, e)
    a = _appeal(request, e, appeal, "change")
    form = DecisionForm(request.POST, prefix="decision")
    return _submit(
        request,
        form,
        lambda data: consequences.record_decision(a, **data, acting_user=request.user),
        lambda: _appeal_page(request, e, a, form=form),
        lambda _: ("The decision is recorded.", ("evaluation:appeal", e.pk, a.pk)),
    )


@requires("evaluation.view")
@require_POST
def appeal_panel(request: HttpRequest, pk: int, appeal: int) -> HttpResponse:
    e = _evaluation(request, pk)
    _must_manage(request, e)
    a = _appeal(request, e, appeal, "change")
    form = PanelForm(request.POST, prefix="panel")
    return _submit(
        request,
        form,
        lambda data: consequences.name_panel(a, data["panel"], acting_user=request.user),
        lambda: _appeal_page(request, e, a, panel_form=form),
        lambda _: ("The panel is named.", ("evaluation:appeal", e.pk, a.pk)),
    )


# --- HR's list ---------------------------------------------------------------------------------


@requires("evaluation.view")
def overdue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    items = consequences.overdue_for_hr(request.user, today)
    return render(
        request,
        "evaluation/consequences/overdue.html",
        {
            "items": [{"o": o, "days": o.days(today)} for o in items],
            "today": today,
            "manages_any": bool(items)
            or Evaluation.objects.restrict(request.user, "manage").exists(),
        },
    )
