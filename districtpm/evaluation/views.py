"""Educator evaluation pages: the section's home (one's evaluations, teachers at risk, the
ratings by school), an evaluation, the framework. Records are read through records.read and
the scope rules, every read of someone else's record audited; writes go through the actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from districtpm.audit.log import record
from districtpm.core.access import requires
from districtpm.core.scoping import access_for, allowed
from districtpm.evaluation import (
    actions,
    aggregates,
    checklists,
    consequences,
    records,
    risks,
    status,
)
from districtpm.evaluation.forms import FinaliseForm, ReasonForm, ScoreForm
from districtpm.evaluation.models import (
    Component,
    Conversation,
    Evaluation,
    Framework,
    NonRenewal,
    Observation,
)
from districtpm.org.models import SchoolYear


def _year(request: HttpRequest) -> SchoolYear | None:
    name = request.GET.get("year") or ""
    return SchoolYear.objects.filter(name=name).first() or SchoolYear.objects.current()


@requires("evaluation.view")
def home(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    user = request.user
    rows = (
        Evaluation.objects.visible_to(user)
        .filter(school_year=year)
        .select_related("staff", "school", "final_level", "framework", "weight_set")
        .prefetch_related(*records.PREFETCH)
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for e in page.object_list:
        e.result = records.result(e, shared_only=e.staff.user_id == user.pk)
    others = [e.pk for e in page.object_list if e.staff.user_id != user.pk]
    if others:
        record(
            actor=user,
            action="evaluation.read_list",
            after={"evaluations": others, "school_year": year.name if year else ""},
            note="personnel records: list",
        )
    access = access_for(user)
    flagged = risks.at_risk(user, year) if year and page.object_list else []
    today = timezone.localdate()
    lists = checklists.checklists(user, year, {a.evaluation.pk for a in flagged}) if year else []
    manages = Evaluation.objects.restrict(user, "manage").exists()
    overdue = consequences.overdue_for_hr(user, today) if manages else []
    return render(
        request,
        "evaluation/home.html",
        {
            "checklists": [(c, c.next()) for c in lists],
            "overdue": overdue,
            "today": today,
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "page": page,
            "at_risk": Paginator(flagged, 25).get_page(request.GET.get("risks")),
            "ratings": aggregates.ratings_by_school(year)
            if year and access.can("evaluation.ratings")
            else None,
            "rating_names": [status.RATINGS[r] for r in aggregates.ORDER],
            "frameworks": Framework.objects.filter(school_year=year) if year else [],
        },
    )


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    return records.read(
        Evaluation.objects.select_related("school", "school_year", "framework", "weight_set"),
        request.user,
        pk=pk,
    )


def _scored(request: HttpRequest, pk: int) -> Evaluation:
    """An evaluation the user scores (403 for a reader who does not, before anything else)."""
    e = _evaluation(request, pk)
    if not allowed(request.user, e):
        raise PermissionDenied(records.SCORERS)
    return e


@requires("evaluation.view")
def evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    can_score = allowed(request.user, e)
    scores = {s.component_id: s for s in e.scores.select_related("scored_by")}
    weights = {w.component_id: w.percent for w in e.weight_set.weights.all()}
    components = []
    for c in e.framework.components.all():
        s = scores.get(c.pk)
        components.append(
            {
                "c": c,
                "weight": weights.get(c.pk, 0),
                "score": s,
                "form": ScoreForm(
                    prefix=f"c{c.pk}",
                    initial={"score": s.score, "rationale": s.rationale} if s else None,
                ),
            }
        )
    is_teacher = e.staff.user_id == request.user.pk
    conversations = {c.kind: c for c in e.conversations.all()}
    return render(
        request,
        "evaluation/evaluation.html",
        {
            "e": e,
            "result": records.result(e, shared_only=is_teacher),
            "observations": Observation.objects.visible_to(request.user)
            .filter(evaluation=e)
            .select_related("observer")
            .prefetch_related("scores"),
            "conversations": [
                (kind, label, conversations.get(kind)) for kind, label in Conversation.Kind.choices
            ],
            "followups": e.followups.select_related("sent_by"),
            "is_teacher": is_teacher,
            "section": "evaluation",
            "show_nonrenewal": allowed(request.user, e, "manage")
            or NonRenewal.objects.visible_to(request.user).filter(evaluation=e).exists(),
            "standing": risks.standing_of(e, shared_only=is_teacher),
            "components": components,
            "can_score": can_score and e.state == Evaluation.State.OPEN,
            "can_reopen": can_score and e.state == Evaluation.State.FINAL,
            "finalise_form": FinaliseForm(initial={"rationale": e.rationale}),
            "reason_form": ReasonForm(),
        },
    )


@requires("evaluation.view")
@require_POST
def score(request: HttpRequest, pk: int, component: int) -> HttpResponse:
    e = _scored(request, pk)
    c = get_object_or_404(Component, pk=component, framework=e.framework)
    form = ScoreForm(request.POST, prefix=f"c{c.pk}")
    if not form.is_valid():
        messages.error(request, f"{c.name}: give the score as a number.")
    else:
        try:
            records.score_component(
                e,
                c,
                form.cleaned_data["score"],
                form.cleaned_data["rationale"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{c.name} scored.")
    return redirect("evaluation:evaluation", e.pk)


@requires("evaluation.view")
@require_POST
def finalise(request: HttpRequest, pk: int) -> HttpResponse:
    e = _scored(request, pk)
    try:
        records.finalise(e, request.POST.get("rationale", ""), acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "Not final yet. " + " ".join(exc.messages))
    else:
        messages.success(request, "The evaluation is final.")
    return redirect("evaluation:evaluation", e.pk)


@requires("evaluation.view")
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    e = _scored(request, pk)
    try:
        records.reopen(e, request.POST.get("reason", ""), acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The evaluation is open again; the reason is in the audit log.")
    return redirect("evaluation:evaluation", e.pk)


@requires("evaluation.view")
def framework(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    can_set = allowed(request.user, Framework)
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied(actions.SETTERS)
        try:
            actions.create_from_preset(year, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The {year} framework is set up from the preset.")
        return redirect(f"/evaluation/framework/?year={year.name}")
    frameworks = (
        Framework.objects.filter(school_year=year).prefetch_related(
            "components__indicators", "weight_sets__weights__component", "levels"
        )
        if year
        else []
    )
    return render(
        request,
        "evaluation/framework.html",
        {
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "frameworks": frameworks,
            "can_set": can_set,
        },
    )
