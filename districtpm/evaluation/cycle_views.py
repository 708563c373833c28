"""The year's pages: the windows, caseloads, observations, conversations and follow-up emails.
Every page reads its evaluation through records.read (404 outside the user's access, the read
audited); every write goes through cycle.py or yearplan.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from districtpm.accounts.models import CaseloadEntry
from districtpm.core import intake
from districtpm.core.access import requires
from districtpm.core.roles import Role
from districtpm.core.scoping import access_for, allowed
from districtpm.evaluation import cycle, documents, guides, importing, records, yearplan
from districtpm.evaluation.forms import (
    AcknowledgeForm,
    ConversationForm,
    FollowUpForm,
    NoteForm,
    ObservationForm,
    ReflectionForm,
    SendForm,
    WindowsForm,
)
from districtpm.evaluation.models import (
    Component,
    Conversation,
    Evaluation,
    Framework,
    Observation,
)
from districtpm.evaluation.views import _evaluation, _year
from districtpm.org.models import Staff


def _errors(request: HttpRequest, exc: ValidationError, lead: str = "") -> None:
    messages.error(request, (lead + " " if lead else "") + " ".join(exc.messages))


# ------------------------------------------------------------------ the year's windows


@requires("evaluation.view")
def year(request: HttpRequest) -> HttpResponse:
    school_year = _year(request)
    framework = Framework.objects.filter(school_year=school_year).first() if school_year else None
    can_set = framework is not None and allowed(request.user, framework) and not framework.closed
    windows = yearplan.windows(framework)
    form = None
    if can_set:
        kinds = list(yearplan.ORDER)
        initial = {}
        proposed = yearplan.windows_for(school_year, framework.settings())
        for k in kinds:
            w = windows.get(k)
            opens, closes = (w.opens, w.closes) if w else proposed[k]
            initial[f"{k.value}_opens"], initial[f"{k.value}_closes"] = opens, closes
        form = WindowsForm(request.POST or None, kinds=kinds, initial=initial)
        if request.method == "POST":
            try:
                if request.POST.get("from_calendar"):
                    yearplan.plan_year(framework, acting_user=request.user)
                elif form.is_valid():
                    yearplan.set_windows(framework, form.spans(), acting_user=request.user)
                else:
                    raise ValidationError("Give every window a first and a last day.")
            except ValidationError as exc:
                _errors(request, exc, "Nothing was changed.")
            else:
                messages.success(request, "The evaluation windows are set.")
                return redirect(reverse("evaluation:year") + f"?year={school_year.name}")
    elif request.method == "POST":
        raise PermissionDenied("Only the district admin and HR partners set the windows.")
    return render(
        request,
        "evaluation/year.html",
        {
            "year": school_year,
            "framework": framework,
            "windows": [windows[k] for k in yearplan.ORDER if k in windows],
            "form": form,
            "due_latest": yearplan.ratings_due(school_year, framework.settings())
            if framework
            else None,
        },
    )


# ------------------------------------------------------------------ caseloads


def _principal_schools(request: HttpRequest) -> list[int]:
    access = access_for(request.user)
    if Role.PRINCIPAL not in access.roles:
        raise PermissionDenied("Caseloads are assigned by the school's principal.")
    return list(access.schools_for(Role.PRINCIPAL))


@requires("evaluation.view")
def caseloads(request: HttpRequest) -> HttpResponse:
    """The principal's teachers and who evaluates each this year."""
    schools = _principal_schools(request)
    school_year = _year(request)
    teachers = (
        Staff.objects.filter(
            assignments__school_id__in=schools,
            assignments__position__evaluated=True,
            assignments__primary=True,
            active=True,
        )
        .exclude(user=request.user)  # one's own evaluator is not one's to choose
        .distinct()
        .order_by("last_name", "first_name")
    )
    users = (
        get_user_model()
        .objects.filter(
            Q(role_assignments__role=Role.EVALUATOR) | Q(role_assignments__role=Role.PRINCIPAL),
            role_assignments__school_id__in=schools,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    if request.method == "POST":
        staff_id, chosen = request.POST.get("staff", ""), request.POST.get("evaluator", "")
        if not staff_id.isdigit() or (chosen and not chosen.isdigit()):
            raise Http404("No such teacher or evaluator.")
        staff = get_object_or_404(teachers, pk=staff_id)
        evaluator = get_object_or_404(users, pk=chosen) if chosen else None
        try:
            cycle.assign_evaluator(staff, school_year, evaluator, acting_user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(
                request,
                f"{staff}: evaluated by {evaluator.get_full_name() or evaluator}."
                if evaluator
                else f"{staff} has no evaluator now.",
            )
        return redirect(reverse("evaluation:caseloads") + f"?year={school_year.name}")
    assigned = {
        e.staff_id: e.evaluator_id
        for e in CaseloadEntry.objects.filter(school_year=school_year, staff__in=teachers)
    }
    rows = [(t, assigned.get(t.pk)) for t in teachers]
    return render(
        request,
        "evaluation/caseloads.html",
        {
            "year": school_year,
            "rows": rows,
            "evaluators": list(users),
            "unassigned": sum(1 for _, e in rows if e is None),
        },
    )


# ------------------------------------------------------------------ observations


def _can_score(request: HttpRequest, e: Evaluation) -> bool:
    return allowed(request.user, e) and e.state == Evaluation.State.OPEN


@requires("evaluation.view")
def observation_new(request: HttpRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if not _can_score(request, e):
        raise PermissionDenied(records.SCORERS)
    indicators = cycle.observed_indicators(e)
    form = ObservationForm(request.POST or None, indicators=indicators)
    if request.method == "POST" and form.is_valid():
        try:
            o = cycle.record_observation(
                e,
                form.cleaned_data["observed_on"],
                form.scores(),
                minutes=form.cleaned_data["minutes"],
                action_step=form.cleaned_data["action_step"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc, "Not saved.")
        else:
            messages.success(request, "Observation saved. Add notes, then share it.")
            return redirect("evaluation:observation", e.pk, o.pk)
    return render(request, "evaluation/observation_new.html", {"e": e, "form": form})


def _observation(request: HttpRequest, e: Evaluation, obs: int) -> Observation:
    try:
        return (
            Observation.objects.visible_to(request.user)
            .select_related("observer")
            .get(pk=obs, evaluation=e)
        )
    except Observation.DoesNotExist as exc:
        raise Http404("No such observation, or it is not shared yet.") from exc


@requires("evaluation.view")
def observation(request: HttpRequest, pk: int, obs: int) -> HttpResponse:
    e = _evaluation(request, pk)
    o = _observation(request, e, obs)
    indicators = cycle.observed_indicators(e)
    return render(
        request,
        "evaluation/observation.html",
        {
            "e": e,
            "o": o,
            "scores": o.scores.select_related("indicator"),
            "notes": o.notes.select_related("indicator"),
            "can_score": _can_score(request, e),
            "note_form": NoteForm(indicators=indicators),
        },
    )


@requires("evaluation.view")
@require_POST
def observation_note(request: HttpRequest, pk: int, obs: int) -> HttpResponse:
    e = _evaluation(request, pk)
    o = _observation(request, e, obs)
    indicators = cycle.observed_indicators(e)
    form = NoteForm(request.POST, indicators=indicators)
    if not form.is_valid():
        messages.error(request, "Write the note (up to 2,000 characters).")
    else:
        chosen = next((i for i in indicators if i.pk == form.cleaned_data["indicator"]), None)
        try:
            cycle.add_note(o, form.cleaned_data["text"], chosen, acting_user=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Note added.")
    return redirect("evaluation:observation", e.pk, o.pk)


@requires("evaluation.view")
@require_POST
def observation_share(request: HttpRequest, pk: int, obs: int) -> HttpResponse:
    e = _evaluation(request, pk)
    o = _observation(request, e, obs)
    cycle.share_observation(o, acting_user=request.user)
    messages.success(request, "Shared: the teacher can read the observation now.")
    return redirect("evaluation:observation", e.pk, o.pk)


# ------------------------------------------------------------------ conversations


def _kind(kind: str) -> str:
    if kind not in Conversation.Kind.values:
        raise Http404("No such conversation.")
    return kind


@requires("evaluation.view")
def conversation(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    e = _evaluation(request, pk)
    kind = _kind(kind)
    c = e.conversations.filter(kind=kind).first()
    sections = guides.GUIDES[kind]
    is_teacher = e.staff.user_id == request.user.pk
    can_score = _can_score(request, e)
    initial = {f"s_{s.key}": (c.notes.get(s.key, "") if c else "") for s in sections}
    initial["held_on"] = c.held_on if c else None
    return render(
        request,
        "evaluation/conversation.html",
        {
            "e": e,
            "c": c,
            "kind": kind,
            "label": Conversation.Kind(kind).label,
            "sections": [(s, c.notes.get(s.key, "") if c else "") for s in sections],
            "prompt": guides.REFLECTION_PROMPTS[kind],
            "is_teacher": is_teacher,
            "can_score": can_score,
            "reflection_form": ReflectionForm(initial={"reflection": c.reflection if c else ""}),
            "hold_form": ConversationForm(sections=sections, initial=initial),
            "ack_form": AcknowledgeForm(),
        },
    )


@requires("evaluation.view")
@require_POST
def conversation_reflection(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    e = _evaluation(request, pk)
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your reflection (up to 4,000 characters).")
    else:
        try:
            cycle.write_reflection(
                e, _kind(kind), form.cleaned_data["reflection"], acting_user=request.user
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Your reflection is saved; your evaluator can read it.")
    return redirect("evaluation:conversation", e.pk, kind)


@requires("evaluation.view")
@require_POST
def conversation_hold(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    e = _evaluation(request, pk)
    form = ConversationForm(request.POST, sections=guides.GUIDES[_kind(kind)])
    if not form.is_valid():
        messages.error(request, "Give the date the conversation was held.")
    else:
        try:
            cycle.hold_conversation(
                e, kind, form.cleaned_data["held_on"], form.notes(), acting_user=request.user
            )
        except ValidationError as exc:
            _errors(request, exc, "Not saved.")
        else:
            messages.success(request, "Conversation recorded. The teacher can acknowledge it.")
            return redirect(reverse("evaluation:followup", args=[e.pk]) + f"?after={kind}")
    return redirect("evaluation:conversation", e.pk, kind)


@requires("evaluation.view")
@require_POST
def conversation_acknowledge(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    e = _evaluation(request, pk)
    c = get_object_or_404(Conversation, evaluation=e, kind=_kind(kind))
    form = AcknowledgeForm(request.POST)
    form.is_valid()
    try:
        cycle.acknowledge(c, form.cleaned_data.get("comment", ""), acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Acknowledged. Thank you.")
    return redirect("evaluation:conversation", e.pk, kind)


# ------------------------------------------------------------------ follow-up emails


@requires("evaluation.view")
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose a template and fill in the next steps, preview and edit the email, send it."""
    e = _evaluation(request, pk)
    if not allowed(request.user, e):
        raise PermissionDenied(records.SCORERS)
    suggested = cycle.template_for(e)
    choose = FollowUpForm(request.POST or None, initial={"template": suggested})
    choose.fields["template"].choices = [(t.key, t.name) for t in guides.EMAILS.values()]
    preview = None
    if request.method == "POST" and "send" in request.POST:
        send = SendForm(request.POST)
        if send.is_valid():
            try:
                cycle.send_followup(
                    e,
                    send.cleaned_data["template"],
                    send.cleaned_data["subject"],
                    send.cleaned_data["body"],
                    acting_user=request.user,
                )
            except ValidationError as exc:
                _errors(request, exc)
                preview = send
            else:
                messages.success(request, f"Email sent to {cycle.recipient(e)}.")
                return redirect(reverse("evaluation:evaluation", args=[e.pk]) + "#followups")
        else:
            messages.error(request, "The email needs a subject and a message.")
            preview = send
    elif request.method == "POST" and choose.is_valid():
        key = choose.cleaned_data["template"]
        subject, body = guides.render_email(
            key,
            cycle.email_context(
                e, sender=request.user, next_steps=choose.cleaned_data["next_steps"]
            ),
        )
        preview = SendForm(initial={"template": key, "subject": subject, "body": body})
    return render(
        request,
        "evaluation/followup.html",
        {
            "e": e,
            "choose": choose,
            "preview": preview,
            "to": cycle.recipient(e),
            "suggested": guides.EMAILS[suggested],
            "sent": e.followups.select_related("sent_by"),
        },
    )


@requires("evaluation.view")
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The evaluation's record as a PDF: what the reader sees on its page, no more."""
    e = _evaluation(request, pk)
    observations = list(
        Observation.objects.visible_to(request.user)
        .filter(evaluation=e)
        .prefetch_related("scores__indicator", "notes__indicator")
    )
    data = documents.record_pdf(e, observations, for_teacher=e.staff.user_id == request.user.pk)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{documents.file_stem(e)}.pdf"'
    return response


# ------------------------------------------------------------------ survey and growth results


@requires("evaluation.view")
def results_import(request: HttpRequest) -> HttpResponse:
    """HR imports a component's results for the year from a CSV: all of it, or none of it
    with every bad row shown."""
    if Role.HR_PARTNER not in access_for(request.user).roles:
        raise PermissionDenied("Only HR partners import survey and growth results.")
    school_year = _year(request)
    components = list(
        Component.objects.filter(
            framework__school_year=school_year, kind__in=importing.IMPORTED_KINDS
        ).select_related("framework")
    )
    problems: list = []
    done = None
    if request.method == "POST":
        component = next(
            (c for c in components if str(c.pk) == request.POST.get("component")), None
        )
        upload = request.FILES.get("file")
        if component is None or upload is None:
            messages.error(request, "Choose the component and the CSV file.")
        else:
            shown = intake.display_name(upload.name)
            try:
                intake.check_size(upload.size, name=shown)
                done = importing.import_results(
                    upload.read(), component, name=shown, acting_user=request.user
                )
            except intake.InputRefused as exc:
                problems = [intake.RowError(shown, None, str(exc))]
            except intake.ImportFailed as failure:
                problems = list(failure.outcome.errors)
            else:
                messages.success(request, f"{component.name}: {done.summary()}")
                return redirect(reverse("evaluation:results_import") + f"?year={school_year.name}")
    return render(
        request,
        "evaluation/results_import.html",
        {
            "year": school_year,
            "components": components,
            "problems": problems,
            "columns": importing.COLUMNS,
            "optional": importing.OPTIONAL,
        },
    )
