"""School plans and their Blueprints, for signed-in users: read through the scope rules, written
through schoolplans' actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from districtpm.actionplans.models import RATINGS
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.scoping import access_for, allowed, parents_reached
from districtpm.improvement import blueprint as bp
from districtpm.improvement import documents, forms, rules, schoolplans
from districtpm.improvement.models import (
    Blueprint,
    BlueprintMeasure,
    Checkpoint,
    PlanComment,
    SchoolPlan,
)
from districtpm.improvement.outline import outline
from districtpm.improvement.problems import withheld
from districtpm.improvement.views import _group_choices, _int, _year
from districtpm.improvement.workshops import attendance_for
from districtpm.metrics.models import Metric
from districtpm.org.models import Designation, SchoolYear


def _plan(request: HttpRequest, pk: int) -> SchoolPlan:
    return get_visible_or_404(
        SchoolPlan.objects.select_related("school", "school_year"), request.user, pk=pk
    )


def _metrics():
    return Metric.objects.filter(active=True).order_by("name")


def _blueprint_metrics():
    """The metrics a Blueprint may show: all students' school values, no gaps."""
    return _metrics().filter(pk__in=[m.pk for m in _metrics() if bp.public_metric(m)])


@requires("improvement.view")
def plans(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    visible = (
        SchoolPlan.objects.visible_to(request.user)
        .filter(school_year=year)
        .select_related("school", "blueprint")
        .annotate(
            n_areas=Count("areas", distinct=True),
            n_initiatives=Count("areas__initiatives", distinct=True),
            n_checkpoints=Count("checkpoints", distinct=True),
            last_status=Subquery(
                Checkpoint.objects.filter(plan=OuterRef("pk"))
                .exclude(status="")
                .order_by("-on")
                .values("status")[:1]
            ),
        )
    )
    page = Paginator(visible, 50).get_page(request.GET.get("page"))
    startable = parents_reached(SchoolPlan, request.user).exclude(
        id__in=SchoolPlan.objects.filter(school_year=year).values("school_id")
    )
    designated = set(
        Designation.objects.filter(school_year=year).values_list("school_id", flat=True)
    )
    return render(
        request,
        "improvement/plans.html",
        {
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "page": page,
            "startable": startable.order_by("name"),
            "designated": designated,
            "ratings": dict(RATINGS),
        },
    )


@requires("improvement.view")
@require_POST
def plan_start(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if year is None:
        messages.error(request, "Add a school year first (Organisation, school years).")
        return redirect("improvement:plans")
    school = get_object_or_404(
        parents_reached(SchoolPlan, request.user), pk=_int(request.POST.get("school"))
    )
    plan = schoolplans.start_plan(school, year, acting_user=request.user)
    return redirect("improvement:plan", plan.pk)


@requires("improvement.view")
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    p = _plan(request, pk)
    o = outline(p, request.user)
    problems = [a.area.problem for a in o.areas if a.area.problem]
    blueprint = schoolplans.blueprint_of(p)
    comments = PlanComment.objects.visible_to(request.user).filter(plan=p).select_related("author")
    for c in comments:
        c.removable = c.author_id == request.user.pk
    return render(
        request,
        "improvement/plan.html",
        {
            "plan": p,
            "o": o,
            "counts": o.counts,
            "withheld": withheld(problems),
            "can_edit": allowed(request.user, p),
            "can_comment": allowed(request.user, PlanComment(plan=p), "create"),
            "comments": comments,
            "blueprint": blueprint,
            "attendance": attendance_for(p.school, request.user),
            "next_checkpoint": o.next_checkpoint(timezone.localdate()),
            "record_form": forms.CheckpointRecordForm(),
        },
    )


def _part_form(kind: str, plan: SchoolPlan, data: Any = None, instance: Any = None) -> Any:
    if kind == "area":
        return forms.AreaForm(data, instance=instance, plan=plan)
    if kind == "initiative":
        return forms.InitiativeForm(data, instance=instance)
    if kind == "step":
        return forms.StepForm(data, instance=instance, plan=plan)
    if kind == "checkpoint":
        return forms.CheckpointForm(data, instance=instance)
    initial = None
    if instance is not None:
        initial = {
            "kind": instance.kind,
            "metric": instance.metric_id,
            "group": f"{instance.group_dim}:{instance.group_value}",
            "target": forms.as_typed(instance.metric, instance.target),
        }
    return forms.MeasureForm(data, initial=initial, metrics=_metrics(), groups=_group_choices())


def _part_data(kind: str, form: Any) -> dict[str, Any]:
    fields = schoolplans.PARTS[kind].fields
    return {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}


def _edit_part(request: HttpRequest, obj: Any, title: str) -> HttpResponse:
    kind = schoolplans.kind_of(obj)
    p = schoolplans.plan_of(obj)
    if not allowed(request.user, obj):
        raise PermissionDenied(schoolplans.TEAM_ONLY)
    # The form validates into a copy: the object keeps its stored values until save_part
    # changes it, so the audit row's "before" is what was stored.
    copy = type(obj).objects.get(pk=obj.pk) if obj.pk else None
    form = _part_form(kind, p, request.POST or None, instance=copy)
    if request.method == "POST" and form.is_valid():
        try:
            schoolplans.save_part(obj, _part_data(kind, form), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, f"{schoolplans.PARTS[kind].noun.capitalize()} saved.")
            return redirect(reverse("improvement:plan", args=[p.pk]) + f"#{kind}-{obj.pk}")
    cancel = reverse("improvement:plan", args=[p.pk])
    return render(request, "core/form.html", {"form": form, "title": title, "cancel": cancel})


def _visible_part(request: HttpRequest, kind: str, pk: int) -> Any:
    if kind not in schoolplans.PARTS:
        raise Http404("No such part of a plan.")
    return get_visible_or_404(schoolplans.PARTS[kind].model.objects, request.user, pk=pk)


@requires("improvement.view")
def part_add(request: HttpRequest, kind: str, parent: int) -> HttpResponse:
    """Add an area of focus or a checkpoint to a plan, an initiative to an area, a step or a
    measure to an initiative."""
    if kind not in schoolplans.PARTS:
        raise Http404("No such part of a plan.")
    part = schoolplans.PARTS[kind]
    parent_model = part.model._meta.get_field(part.parent).related_model
    owner = get_visible_or_404(parent_model.objects, request.user, pk=parent)
    obj = part.model(**{part.parent: owner})
    return _edit_part(request, obj, f"Add a {part.noun} to {owner}")


@requires("improvement.view")
def part_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _visible_part(request, kind, pk)
    return _edit_part(request, obj, f"Change the {schoolplans.PARTS[kind].noun} “{obj}”")


@requires("improvement.view")
def part_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _visible_part(request, kind, pk)
    p = schoolplans.plan_of(obj)
    back = reverse("improvement:plan", args=[p.pk])
    if not allowed(request.user, obj, "delete"):
        raise PermissionDenied(schoolplans.TEAM_ONLY)
    if request.method == "POST":
        schoolplans.remove_part(obj, acting_user=request.user)
        messages.success(request, f"Removed “{obj}”; the audit log keeps what it was.")
        return redirect(back)
    noun = schoolplans.PARTS[kind].noun
    inside = {
        "area": " with its initiatives, their steps and measures",
        "initiative": " with its steps and measures",
    }.get(kind, "")
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"Remove the {noun} “{obj}”?",
            "question": f"This removes the {noun}{inside} from the plan.",
            "cancel": back,
        },
    )


@requires("improvement.view")
def theory(request: HttpRequest, pk: int) -> HttpResponse:
    p = _plan(request, pk)
    if not allowed(request.user, p):
        raise PermissionDenied(schoolplans.TEAM_ONLY)
    from django import forms as django_forms

    class TheoryForm(django_forms.Form):
        theory_of_action = django_forms.CharField(
            max_length=2000,
            widget=django_forms.Textarea(attrs={"rows": 5}),
            help_text="If we do these things, then this will happen for students.",
        )

    form = TheoryForm(request.POST or None, initial={"theory_of_action": p.theory_of_action})
    if request.method == "POST" and form.is_valid():
        schoolplans.save_theory_of_action(
            p, form.cleaned_data["theory_of_action"], acting_user=request.user
        )
        messages.success(request, "Theory of action saved.")
        return redirect("improvement:plan", p.pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"{p.school.name}: theory of action",
            "cancel": reverse("improvement:plan", args=[p.pk]),
        },
    )


@requires("improvement.view")
@require_POST
def checkpoint_record(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = get_visible_or_404(Checkpoint.objects, request.user, pk=pk)
    try:
        schoolplans.record_checkpoint(
            checkpoint,
            request.POST.get("status", ""),
            request.POST.get("evidence", ""),
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Checkpoint of {checkpoint.on:%-d %B} recorded.")
    return redirect(reverse("improvement:plan", args=[checkpoint.plan_id]) + "#monitoring")


@requires("improvement.view")
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    p = _plan(request, pk)
    if request.POST.get("remove"):
        c = get_visible_or_404(
            PlanComment.objects, request.user, pk=_int(request.POST["remove"]), plan=p
        )
        schoolplans.remove_comment(c, acting_user=request.user)
        messages.success(request, "Comment removed.")
    else:
        try:
            schoolplans.add_comment(p, request.POST.get("text", ""), acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(reverse("improvement:plan", args=[p.pk]) + "#comments")


@requires("improvement.view")
def plan_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    p = _plan(request, pk)
    o = outline(p, request.user)
    hidden = withheld([a.area.problem for a in o.areas if a.area.problem])
    if fmt == "xlsx":
        body, kind = documents.plan_xlsx(o, hidden), documents.XLSX
    elif fmt == "pdf":
        body, kind = documents.plan_pdf(o, hidden), "application/pdf"
    else:
        raise Http404("No such format.")
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{documents.file_stem(o)}.{fmt}"'
    return response


@requires("improvement.view")
def blueprint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _plan(request, pk)
    blueprint = schoolplans.blueprint_of(p)
    if not allowed(request.user, p):
        raise PermissionDenied(schoolplans.TEAM_ONLY)
    current = {m.area: m for m in blueprint.measures.all()} if blueprint.pk else {}
    data = request.POST or None
    form = forms.BlueprintForm(
        data,
        initial={
            "goals": blueprint.goals,
            "goals_es": blueprint.goals_es,
            "theory_es": blueprint.theory_of_action_es,
        },
    )
    measure_forms = []
    for area, label in BlueprintMeasure.Area.choices:
        m = current.get(area)
        initial = (
            {
                "metric": m.metric_id,
                "label": m.label,
                "label_es": m.label_es,
                "target": forms.as_typed(m.metric, m.target),
            }
            if m
            else {}
        )
        measure_forms.append(
            (
                label,
                area,
                forms.BlueprintMeasureForm(
                    data, prefix=area, initial=initial, metrics=_blueprint_metrics()
                ),
            )
        )
    if (
        request.method == "POST"
        and form.is_valid()
        and all(f.is_valid() for _, _, f in measure_forms)
    ):
        try:
            with transaction.atomic():  # the goals and the four measures, all or nothing
                _save_blueprint(p, form, measure_forms, request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Blueprint saved. Preview it before publishing.")
            return redirect("improvement:blueprint_preview", p.pk)
    return render(
        request,
        "improvement/blueprint_edit.html",
        {"plan": p, "form": form, "measure_forms": measure_forms, "blueprint": blueprint},
    )


@requires("improvement.view")
def blueprint_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The Blueprint as the public will see it, published or not, for those who see the plan."""
    p = _plan(request, pk)
    blueprint = schoolplans.blueprint_of(p)
    if blueprint.pk is None:
        if not allowed(request.user, p):
            messages.info(request, f"{p.school.name} has no Blueprint yet.")
            return redirect("improvement:plan", p.pk)
        messages.info(request, "Write the Blueprint's goals first.")
        return redirect("improvement:blueprint_edit", p.pk)
    lang = bp.language(request.GET.get("lang"))
    c = bp.content(blueprint, lang)
    if request.GET.get("format") == "pdf":
        return pdf_response(c)
    with translation.override(lang):
        return render(
            request,
            "improvement/blueprint.html",
            {
                "c": c,
                "lang": lang,
                "preview": True,
                # published, then changed: the public page still shows the published words
                "changed": bool(blueprint.published_at)
                and blueprint.published_content != bp.words(blueprint),
                "can_publish": p.school_id in rules.publishing_schools(access_for(request.user)),
                "plan": p,
            },
        )


@requires("improvement.view")
@require_POST
def blueprint_publish(request: HttpRequest, pk: int) -> HttpResponse:
    p = _plan(request, pk)
    blueprint = get_object_or_404(Blueprint, plan=p)
    try:
        if request.POST.get("unpublish"):
            schoolplans.unpublish_blueprint(blueprint, acting_user=request.user)
            messages.success(request, "The Blueprint is no longer public.")
        else:
            schoolplans.publish_blueprint(blueprint, acting_user=request.user)
            messages.success(request, "The Blueprint is public.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("improvement:blueprint_preview", p.pk)


def _save_blueprint(plan: SchoolPlan, form: Any, measure_forms: list, user: Any) -> None:
    saved = schoolplans.save_blueprint(
        plan,
        goals=form.cleaned_data["goals"],
        goals_es=form.cleaned_data["goals_es"],
        theory_es=form.cleaned_data["theory_es"],
        acting_user=user,
    )
    for _, area, f in measure_forms:
        schoolplans.set_blueprint_measure(
            saved,
            area,
            metric=f.cleaned_data["metric"],
            label=f.cleaned_data["label"],
            label_es=f.cleaned_data["label_es"],
            target=f.cleaned_data["target"],
            acting_user=user,
        )


def pdf_response(c: bp.Content) -> HttpResponse:
    from django.utils.text import slugify

    response = HttpResponse(bp.to_pdf(c), content_type="application/pdf")
    name = slugify(f"{c.school} blueprint {c.year} {c.lang}")[:80] or "blueprint"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
