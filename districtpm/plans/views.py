"""Strategic plan pages: the plan with its priorities and goals, a goal, creating goals."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.scoping import allowed
from districtpm.metrics import charts
from districtpm.org.models import Network, School, SchoolYear
from districtpm.plans import actions, progress, scorecard, spreadsheet
from districtpm.plans.answers import answers_for
from districtpm.plans.forms import GoalForm, PlanForm, TargetFormSet
from districtpm.plans.models import Commentary, Goal, Plan, Target


def _current_plan(user) -> Plan | None:
    return Plan.objects.visible_to(user).first()


@requires("plan.view")
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    plan = _current_plan(user)
    can_change = allowed(user, Plan)
    if plan is None:
        return render(request, "plans/empty.html", {"can_change": can_change})
    goals = list(
        Goal.objects.visible_to(user)
        .filter(plan=plan)
        .select_related("metric", "priority")
        .prefetch_related("targets")
    )
    status = progress.statuses(goals)
    priorities = plan.priorities.prefetch_related("initiatives__actions")
    by_priority: dict[int | None, list] = {}
    for g in goals:
        g.status = status.get(g.pk)
        by_priority.setdefault(g.priority_id, []).append(g)
    for p in priorities:
        p.goal_list = by_priority.get(p.pk, [])
    initiatives = [i for p in priorities for i in p.initiatives.all()]
    answered = answers_for(user, [i.pk for i in initiatives])
    for i in initiatives:
        i.answers = answered.get(i.pk, [])
    return render(
        request,
        "plans/home.html",
        {
            "plan": plan,
            "priorities": priorities,
            "unassigned": by_priority.get(None, []),
            "can_change": can_change,
            "period": progress.expected_period(),
        },
    )


@requires("plan.view")
def goal(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(
        Goal.objects.select_related("metric", "priority", "plan").prefetch_related(
            Prefetch("targets", queryset=Target.objects.order_by("school_year"))
        ),
        request.user,
        pk=pk,
    )
    years = sorted(
        {y.name for y in SchoolYear.objects.all()} | set(obj.targets_by_year) | {obj.baseline_year}
    )
    years = [y for y in years if obj.baseline_year <= y <= obj.goal_year]
    rows = progress.history(obj, years)
    ended = set(progress.completed_periods())
    for r in rows:
        # this year's result so far is partial: marked in the table and the chart, never a status
        r["partial"] = r["actual"] is not None and r["period"] not in ended
    status = progress.statuses([obj]).get(obj.pk)
    forecasts = _forecasts(obj, rows)
    chart_rows = [
        {
            "period": r["period"],
            "label": "Actual so far (year in progress)" if r["partial"] else "Actual",
            "value": r["actual"],
            "n": None,
        }
        for r in rows
    ] + [
        {"period": r["period"], "label": "Target trajectory", "value": r["target"], "n": None}
        for r in rows
    ]
    return render(
        request,
        "plans/goal.html",
        {
            "goal": obj,
            "rows": rows,
            "status": status,
            "forecasts": forecasts,
            "goal_year_forecast": any(f.school_year == obj.goal_year for f in forecasts),
            "leading": _leading_links(obj),
            "history": obj.status_history.all(),
            "spec": charts.trend_spec(obj.metric, chart_rows, obj.statement),
            "can_change": allowed(request.user, Plan),
            **_commentary_context(request, obj),
        },
    )


class CommentaryForm(forms.ModelForm):
    class Meta:
        model = Commentary
        fields = ["what_happened", "why", "what_next"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}
        help_texts = {
            "what_happened": "What the number did this month, in a sentence or two.",
            "why": "What explains it: the work done, what got in the way.",
            "what_next": "What the team will do next, and what it needs.",
        }


def _commentary_context(request: HttpRequest, goal: Goal, form=None) -> dict:
    """This month's commentary form for its writers; the commentaries the user may read."""
    month = timezone.localdate().replace(day=1)
    mine = Commentary.objects.filter(goal=goal, month=month).first()
    may_write = allowed(request.user, mine or Commentary(goal=goal, month=month))
    return {
        "month": month,
        "commentaries": Commentary.objects.visible_to(request.user)
        .filter(goal=goal)
        .select_related("written_by", "reviewed_by"),
        "commentary_form": (form or CommentaryForm(instance=mine)) if may_write else None,
        "may_approve": allowed(request.user, Commentary, "approve"),
    }


@requires("plan.view")
@require_POST
def commentary(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_visible_or_404(Goal.objects, request.user, pk=pk)
    form = CommentaryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what happened before saving the commentary.")
        return redirect("plans:goal", pk)
    submit = request.POST.get("submit") == "yes"
    actions.save_commentary(
        goal, timezone.localdate(), form.cleaned_data, submit=submit, acting_user=request.user
    )
    messages.success(
        request, "Commentary sent for approval." if submit else "Commentary saved as a draft."
    )
    return redirect(reverse("plans:goal", args=[pk]) + "#commentary")


@requires("plan.view")
@require_POST
def review(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    goal = get_visible_or_404(Goal.objects, request.user, pk=pk)
    found = get_visible_or_404(Commentary.objects.filter(goal=goal), request.user, pk=item)
    try:
        actions.review_commentary(
            found,
            approve=request.POST.get("decision") == "approve",
            note=request.POST.get("note", ""),
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Commentary {found.get_state_display().lower()}.")
    return redirect(reverse("plans:goal", args=[pk]) + "#commentary")


def _leading_links(goal: Goal) -> list:
    """The goal's leading measures with how well each tracks the goal's measure."""
    from districtpm.metrics.models import Metric
    from districtpm.plans.leading import correlation

    ids = set(goal.leading_metrics.values_list("id", flat=True))
    if goal.priority_id:
        ids |= set(
            Metric.objects.filter(initiatives__priority_id=goal.priority_id).values_list(
                "id", flat=True
            )
        )
    return [correlation(goal.metric, m) for m in Metric.objects.filter(id__in=ids)]


def _forecasts(goal: Goal, rows: list[dict]) -> list:
    """This year's and the goal year's forecast, where the data allow one."""
    from districtpm.plans import forecast
    from districtpm.plans.backtest import completed_years

    current = SchoolYear.objects.current()
    if current is None:
        return []
    past = [y for y in completed_years() if y < current.name]
    targets = {r["period"]: r["target"] for r in rows}
    return forecast.for_goal(
        goal.metric,
        goal.level,
        goal.entity_code,
        current.name,
        past,
        {r["period"]: r["actual"] for r in rows if r["period"] in past},
        goal.goal_year,
        targets.get(current.name),
        goal.targets_by_year.get(goal.goal_year),
    )


@requires("plan.change")
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.create_plan(form.cleaned_data, acting_user=request.user)
        messages.success(request, "Plan created. Add its priorities, then goals.")
        return redirect("plans:home")
    return render(
        request, "core/form.html", {"form": form, "title": "New strategic plan", "cancel": "/plan/"}
    )


def _check_targets(form: GoalForm, targets: dict[str, float]) -> list[str]:
    problems = []
    base, last = form.cleaned_data["baseline_year"], form.cleaned_data["goal_year"]
    outside = [y for y in targets if not (base < y <= last)]
    if outside:
        problems.append(
            f"Targets must fall after the baseline year and by the goal year: "
            f"{', '.join(sorted(outside))}."
        )
    if last not in targets:
        problems.append(f"Give a target for the goal year {last}.")
    return problems


@requires("plan.change")
def goal_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    plan = _current_plan(user)
    if plan is None:
        return redirect("plans:home")
    obj = get_visible_or_404(Goal.objects, user, pk=pk) if pk else None
    form = GoalForm(request.POST or None, instance=obj, plan=plan)
    initial = (
        [{"school_year": t.school_year, "value": t.value} for t in obj.targets.all()] if obj else []
    )
    formset = TargetFormSet(request.POST or None, initial=initial, prefix="targets")
    problems: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        targets = formset.targets()
        problems = _check_targets(form, targets)
        if not problems:
            try:
                saved = actions.save_goal(
                    pk, form.goal_data(), targets, plan=plan, acting_user=user
                )
            except ValidationError as exc:
                problems = exc.messages
            else:
                messages.success(request, "Goal saved.")
                return redirect("plans:goal", saved.pk)
    return render(
        request,
        "plans/goal_form.html",
        {
            "form": form,
            "formset": formset,
            "problems": problems,
            "title": f"Edit goal: {obj}" if obj else "New goal",
            "cancel": f"/plan/goals/{obj.pk}/" if obj else "/plan/",
        },
        status=400 if request.method == "POST" else 200,
    )


def _scorecard_page(request: HttpRequest, card, *, board: bool = False) -> HttpResponse:
    """The scorecard page. Its body (the tables) is most of the rendering and depends on the
    card alone: rendered without the request, it is kept with the card's cached rows."""
    if request.GET.get("format") == "pptx":
        from django.utils.text import slugify

        from districtpm.plans.scorecard_pptx import to_pptx

        response = HttpResponse(
            to_pptx(card, board=board),
            content_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        )
        name = slugify(f"{'board ' if board else ''}{card.entity.name} scorecard") or "scorecard"
        response["Content-Disposition"] = f'attachment; filename="{name}.pptx"'
        return response
    body = card.bodies.get(board)
    if body is None:
        context = {
            "card": card,
            "board": board,
            "dimensions": GROUP_DIMENSIONS,
            "min_n": settings.DISTRICTPM_MIN_N,
        }
        body = card.bodies[board] = render_to_string("plans/_scorecard_body.html", context)
    return render(
        request,
        "plans/scorecard.html",
        {
            "card": card,
            "board": board,
            "body": body,
            "stories": scorecard.stories(request.user, [r.goal for r in card.rows]),
        },
    )


def _plan_or_404(user) -> Plan:
    plan = _current_plan(user)
    if plan is None:
        raise Http404("There is no strategic plan yet.")
    return plan


@requires("plan.view")
def district_scorecard(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404(request.user)
    return _scorecard_page(request, scorecard.district(request.user, plan))


@requires("plan.view")
def network_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_or_404(request.user)
    net = get_visible_or_404(Network.objects, request.user, code=code)
    codes = scorecard.scorecard_codes(request.user)
    if codes is not None and net.code not in codes[1]:
        raise Http404("No scorecard for this network.")
    return _scorecard_page(request, scorecard.network(request.user, plan, net))


@requires("plan.view")
def school_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    plan = _plan_or_404(request.user)
    sch = get_visible_or_404(School.objects.select_related("network"), request.user, code=code)
    codes = scorecard.scorecard_codes(request.user)
    if codes is not None and sch.code not in codes[0]:
        raise Http404("No scorecard for this school.")
    return _scorecard_page(request, scorecard.school(request.user, plan, sch))


@requires("plan.view")
def board(request: HttpRequest) -> HttpResponse:
    """The district scorecard for the Board of Education: aggregates only, nothing to edit."""
    plan = _plan_or_404(request.user)
    return _scorecard_page(request, scorecard.district(request.user, plan), board=True)


class PlanImportForm(forms.Form):
    workbook = forms.FileField(help_text="An Excel workbook (.xlsx) in the plan format.")


@requires("plan.change")
def plan_import(request: HttpRequest) -> HttpResponse:
    form = PlanImportForm(request.POST or None, request.FILES or None)
    problems: list = []
    if request.method == "POST" and form.is_valid():
        from districtpm.core import intake

        upload = form.cleaned_data["workbook"]
        try:
            intake.check_size(upload.size, name=upload.name)  # before reading it into memory
            plan = spreadsheet.import_plan(
                upload.read(), acting_user=request.user, name=upload.name
            )
        except intake.InputRefused as exc:
            problems = [intake.RowError("file", None, str(exc))]
        except spreadsheet.PlanImportError as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                f"Imported {plan.name}: {plan.priorities.count()} priorities and "
                f"{plan.goals.count()} goals.",
            )
            return redirect("plans:home")
    return render(
        request,
        "plans/import.html",
        {"form": form, "problems": problems, "plan": _current_plan(request.user)},
        status=400 if request.method == "POST" else 200,
    )


@requires("plan.view")
def plan_export(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404(request.user)
    response = HttpResponse(
        spreadsheet.export_plan(plan, user=request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{slugify(plan.name)}.xlsx"'
    return response


PARTS = {
    "priority": ("plans.Priority", "PriorityForm", "priority"),
    "initiative": ("plans.Initiative", "InitiativeForm", "initiative"),
    "action": ("plans.KeyAction", "KeyActionForm", "key action"),
}


@requires("plan.change")
def plan_edit(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404(request.user)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        actions.save_part(form, acting_user=request.user)
        messages.success(request, "Plan saved.")
        return redirect("plans:home")
    return render(
        request,
        "core/form.html",
        {"form": form, "title": f"Edit {plan.name}", "cancel": "/plan/"},
        status=400 if request.method == "POST" else 200,
    )


@requires("plan.change")
def part_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """Add or change a priority, an initiative or a key action of the current plan."""
    from django.apps import apps

    from districtpm.plans import forms as plan_forms

    if kind not in PARTS:
        raise Http404("No such part of the plan.")
    label, form_name, noun = PARTS[kind]
    plan = _plan_or_404(request.user)
    model = apps.get_model(label)
    in_plan = {
        "priority": {"plan": plan},
        "initiative": {"priority__plan": plan},
        "action": {"initiative__priority__plan": plan},
    }[kind]
    obj = get_object_or_404(model, pk=pk, **in_plan) if pk else None
    initial = {k: request.GET[k] for k in ("priority", "initiative") if k in request.GET}
    form = getattr(plan_forms, form_name)(
        request.POST or None, instance=obj, plan=plan, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        actions.save_part(form, acting_user=request.user, plan=plan)
        messages.success(request, f"{noun.capitalize()} saved.")
        return redirect("plans:home")
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"Edit {noun}: {obj}" if obj else f"New {noun}",
            "cancel": "/plan/",
        },
        status=400 if request.method == "POST" else 200,
    )
