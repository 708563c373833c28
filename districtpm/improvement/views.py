"""Designated schools and their steps: read through the scope rules, written through actions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.scoping import access_for, allowed, parents_reached
from districtpm.improvement import actions, progress, rules
from districtpm.improvement.forms import ReasonForm, StepRuleForm
from districtpm.improvement.models import SchoolPlan, StepDone, StepRule
from districtpm.org.models import Designation, Network, SchoolYear


def _year(request: HttpRequest) -> SchoolYear | None:
    name = request.GET.get("year") or request.POST.get("year") or ""
    return SchoolYear.objects.filter(name=name).first() or SchoolYear.objects.current()


def _designations(request: HttpRequest):
    condition = rules.designated_schools(access_for(request.user))
    if condition is None:
        return Designation.objects.none()
    if not condition:
        return Designation.objects.all()
    from districtpm.org.models import School

    return Designation.objects.filter(school__in=School.objects.filter(condition).values("id"))


@requires("improvement.view")
def designations(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    today = timezone.localdate()
    visible = _designations(request)
    network = request.GET.get("network", "")
    if _int(network):
        visible = visible.filter(school__network_id=_int(network))
    state = request.GET.get("state", "")
    schools = progress.designated(visible, year.pk, today) if year else []
    if state in progress.LABELS:
        schools = [s for s in schools if s.count(state)]
    plans = dict(
        SchoolPlan.objects.visible_to(request.user)
        .filter(school_year=year)
        .values_list("school_id", "pk")
    )
    for s in schools:
        s.plan_id = plans.get(s.designation.school_id)
    networks = Network.objects.filter(id__in=_designations(request).values("school__network_id"))
    completing = rules.completing(access_for(request.user))
    can_complete_ids = (
        set(_designations(request).filter(completing).values_list("pk", flat=True))
        if completing is not None
        else set()
    )
    return render(
        request,
        "improvement/designations.html",
        {
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "today": today,
            "schools": schools,
            "totals": progress.totals(schools),
            "networks": networks,
            "network": network,
            "state": state,
            "states": progress.LABELS,
            "can_complete": can_complete_ids,
            "can_rules": allowed(request.user, StepRule),
            "rules_count": StepRule.objects.filter(school_year=year).count() if year else 0,
        },
    )


@requires("improvement.view")
@require_POST
def complete(request: HttpRequest, designation: int, rule: int) -> HttpResponse:
    d = get_object_or_404(_designations(request).select_related("school"), pk=designation)
    r = get_object_or_404(StepRule, pk=rule)
    try:
        done_on = dt.date.fromisoformat(request.POST.get("done_on") or "")
    except ValueError:
        messages.error(request, f"{d.school.name}: give the date “{r.name}” was done.")
        return redirect(f"/school-improvement/?year={d.school_year.name}")
    try:
        actions.complete_step(
            d, r, done_on=done_on, note=request.POST.get("note", ""), acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{d.school.name}: “{r.name}” recorded as done.")
    return redirect(f"/school-improvement/?year={d.school_year.name}")


@requires("improvement.view")
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    done = get_visible_or_404(
        StepDone.objects.select_related("rule", "designation__school"), request.user, pk=pk
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.undo_step(done, reason=form.cleaned_data["reason"], acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "The step is open again; the reason is in the audit log.")
            return redirect("improvement:designations")
    if not allowed(request.user, done, "delete"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only the school's principal changes its steps.")
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"{done.designation.school.name}: “{done.rule.name}” not done after all",
            "cancel": "/school-improvement/",
        },
    )


@requires("improvement.rules")
def step_rules(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if year is None:
        messages.error(request, "Add a school year first (Organisation, school years).")
        return redirect("improvement:designations")
    form = StepRuleForm(request.POST or None)
    if request.method == "POST" and request.POST.get("usual"):
        made = actions.add_usual_steps(year, acting_user=request.user)
        messages.success(request, f"{len(made)} step{'s' * (len(made) != 1)} added.")
        return redirect(f"/school-improvement/steps/?year={year.name}")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = StepRule.objects.filter(
            school_year=year, kind=data["kind"], name=data["name"].strip()
        ).first()
        rule = existing or StepRule(school_year=year, kind=data["kind"])
        try:
            actions.save_step_rule(
                rule,
                name=data["name"],
                due_on=data["due_on"],
                remind_days=data["remind_days"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Step saved.")
            return redirect(f"/school-improvement/steps/?year={year.name}")
    return render(
        request,
        "improvement/steps.html",
        {
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "rules": StepRule.objects.filter(school_year=year) if year else [],
            "form": form,
        },
    )


@requires("improvement.rules")
def import_designations(request: HttpRequest) -> HttpResponse:
    from districtpm.core.intake import ImportFailed, InputRefused
    from districtpm.improvement.importing import import_designations as run

    errors: list = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["Choose a CSV file."]
        else:
            try:
                done = run(upload.read(), name=upload.name, acting_user=request.user)
            except ImportFailed as exc:
                errors = [str(e) for e in exc.outcome.errors]
            except InputRefused as exc:
                errors = [str(exc)]
            else:
                messages.success(request, done.summary())
                return redirect("improvement:designations")
    return render(request, "improvement/import.html", {"errors": errors})


@requires("improvement.rules")
@require_POST
def remove_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_visible_or_404(StepRule.objects.select_related("school_year"), request.user, pk=pk)
    try:
        actions.remove_step_rule(rule, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Step removed.")
    return redirect(f"/school-improvement/steps/?year={rule.school_year.name}")


def _group_choices() -> list[tuple[str, str]]:
    from districtpm.improvement.problems import GROUP_NAMES, group_name
    from districtpm.metrics.models import MetricValue

    pairs = set(MetricValue.objects.values_list("group_dim", "group_value").distinct())
    ordered = sorted(
        pairs, key=lambda p: (list(GROUP_NAMES).index(p) if p in GROUP_NAMES else 99, p)
    )
    return [(f"{d}:{v}", group_name(d, v).capitalize()) for d, v in ordered]


@requires("improvement.view")
def problems(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    from districtpm.improvement import problems as data
    from districtpm.improvement.models import ProblemStatement

    rows = ProblemStatement.objects.visible_to(request.user).select_related("school", "metric")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    hidden = data.withheld(list(page.object_list))
    for statement in page.object_list:
        statement.withheld = statement.pk in hidden
    return render(
        request,
        "improvement/problems.html",
        {"page": page, "can_write": parents_reached(ProblemStatement, request.user).exists()},
    )


@requires("improvement.view")
def problem_new(request: HttpRequest) -> HttpResponse:
    from districtpm.improvement.forms import ProblemForm
    from districtpm.improvement.models import ProblemStatement
    from districtpm.metrics.models import Metric, MetricValue

    schools = parents_reached(ProblemStatement, request.user)
    if not schools.exists():
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only a school's leadership team writes its problem statements.")
    years = sorted(
        set(MetricValue.objects.values_list("school_year", flat=True).distinct()), reverse=True
    )
    form = ProblemForm(
        request.POST or None,
        schools=schools,
        metrics=Metric.objects.filter(active=True).order_by("name"),
        years=years,
        groups=_group_choices(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dim, _, value = data["group"].partition(":")
        try:
            statement = actions.write_problem_statement(
                data["school"],
                data["metric"],
                data["school_year"],
                dim,
                value,
                desired=data.get("desired"),
                use_district_target=data["use_district_target"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            return redirect("improvement:problem", statement.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": "Write a problem statement from data",
            "cancel": "/school-improvement/problems/",
        },
    )


@requires("improvement.view")
def problem(request: HttpRequest, pk: int) -> HttpResponse:
    from districtpm.improvement import problems as data
    from districtpm.improvement.models import ProblemStatement

    statement = get_visible_or_404(
        ProblemStatement.objects.select_related("school", "metric", "written_by"),
        request.user,
        pk=pk,
    )
    from districtpm.improvement.models import RootCause
    from districtpm.metrics.models import Metric

    causes = list(statement.causes.select_related("metric", "decided_by"))
    can_work = allowed(request.user, RootCause(problem=statement))
    ratings = actions.self_assessment_ratings(statement.school, request.user) if can_work else []
    withheld = statement.pk in data.withheld([statement])
    newer = None if withheld else data.is_stale(statement, request.user)
    return render(
        request,
        "improvement/problem.html",
        {
            "s": statement,
            "withheld": withheld,
            "causes": causes,
            "can_work": can_work,
            "ratings": ratings,
            "metrics": Metric.objects.filter(active=True).order_by("name") if can_work else [],
            "newer_value": statement.metric.format_value(newer.value) if newer else "",
            "group": data.group_name(statement.group_dim, statement.group_value),
            "newer": newer,
            "trend": [(y, statement.metric.format_value(v)) for y, v in statement.trend],
            "current": statement.metric.format_value(statement.current_value),
            "desired": statement.metric.format_value(statement.desired_value),
        },
    )


@requires("improvement.view")
@require_POST
def cause_new(request: HttpRequest, pk: int) -> HttpResponse:
    from districtpm.improvement.models import ProblemStatement

    statement = get_visible_or_404(ProblemStatement.objects, request.user, pk=pk)
    try:
        actions.propose_cause(
            statement, request.POST.get("hypothesis", ""), acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("improvement:problem", statement.pk)


@requires("improvement.view")
@require_POST
def cause_decide(request: HttpRequest, pk: int) -> HttpResponse:
    from districtpm.improvement.models import RootCause
    from districtpm.metrics.models import Metric
    from districtpm.rubrics.models import FinalRating

    cause = get_visible_or_404(
        RootCause.objects.select_related("problem__school"), request.user, pk=pk
    )
    rating_id = request.POST.get("indicator_rating", "")
    rating = FinalRating.objects.filter(pk=_int(rating_id)).first() if _int(rating_id) else None
    metric = Metric.objects.filter(pk=request.POST.get("metric", "")).first()
    try:
        actions.decide_cause(
            cause,
            request.POST.get("status", ""),
            indicator_rating=rating,
            metric=metric,
            evidence=request.POST.get("evidence", ""),
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Cause {cause.get_status_display().lower()}.")
    return redirect("improvement:problem", cause.problem_id)


@requires("improvement.view")
def prepare(request: HttpRequest, school: int) -> HttpResponse:
    """A school's preparation for the workshop: its two to four high-leverage actions."""
    from districtpm.improvement.models import HighLeverageAction
    from districtpm.org.models import School
    from districtpm.rubrics.models import FinalRating

    condition = rules.designated_schools(access_for(request.user))
    if condition is None:
        raise Http404("No such school, or it is outside your access.")
    target = get_object_or_404(School.objects.filter(condition), pk=school)
    year = _year(request)
    can_work = allowed(request.user, HighLeverageAction(school=target, school_year=year))
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied("Only the school's team records its actions.")
        if request.POST.get("remove"):
            action = get_visible_or_404(
                HighLeverageAction.objects, request.user, pk=_int(request.POST["remove"])
            )
            actions.remove_high_leverage_action(action, acting_user=request.user)
        else:
            rating_id = _int(request.POST.get("indicator_rating"))
            rating = FinalRating.objects.filter(pk=rating_id).first() if rating_id else None
            try:
                actions.add_high_leverage_action(
                    target,
                    year,
                    request.POST.get("text", ""),
                    indicator_rating=rating,
                    acting_user=request.user,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect(f"/school-improvement/schools/{target.pk}/prepare/?year={year.name}")
    chosen = (
        HighLeverageAction.objects.visible_to(request.user)
        .filter(school=target, school_year=year)
        .select_related("indicator_rating__indicator", "indicator_rating__level")
    )
    return render(
        request,
        "improvement/prepare.html",
        {
            "school": target,
            "year": year,
            "chosen": chosen,
            "can_work": can_work,
            "ratings": actions.self_assessment_ratings(target, request.user) if can_work else [],
            "max": actions.MAX_HIGH_LEVERAGE,
        },
    )


def _int(value: str | None) -> int:
    """A whole number from a form or a query string; 0 for anything else ("²" is a digit to
    str.isdigit, not to int)."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else 0
