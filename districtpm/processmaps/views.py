"""Process map pages: the list, a version (its drawing, its gaps and hand-offs, its steps and
flows, edited in place by those who may), two versions compared, and the downloads (SVG, PNG,
CSV, XLSX), each read through the same scope as its page. Writes go through actions.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from districtpm.core import intake
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.scoping import allowed
from districtpm.org.models import Division
from districtpm.plans.models import Initiative
from districtpm.processmaps import actions, analysis, drawing, interchange, maps
from districtpm.processmaps.forms import FlowForm, ImportForm, MapForm, StepForm, VersionForm
from districtpm.processmaps.models import Flow, ProcessMap, Step, Version

PUBLISHED = "A published version no longer changes: start a new version from it."


def _map(request: HttpRequest, pk: int) -> ProcessMap:
    return get_visible_or_404(ProcessMap.objects.select_related("initiative"), request.user, pk=pk)


def _version(request: HttpRequest, pk: int, number: int) -> Version:
    pm = _map(request, pk)
    return get_visible_or_404(
        Version.objects.select_related("process_map"), request.user, process_map=pm, number=number
    )


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _back(version: Version, anchor: str = "") -> HttpResponse:
    url = reverse("processmaps:version", args=[version.process_map_id, version.number])
    return redirect(url + (f"#{anchor}" if anchor else ""))


@requires("processmaps.view")
def home(request: HttpRequest) -> HttpResponse:
    visible = Version.objects.visible_to(request.user)
    rows = []
    for pm in ProcessMap.objects.visible_to(request.user).select_related("initiative"):
        versions = list(visible.filter(process_map=pm).order_by("number"))
        if versions:
            rows.append((pm, versions))
    return render(
        request,
        "processmaps/home.html",
        {"rows": rows, "can_draw": allowed(request.user, ProcessMap)},
    )


@requires("processmaps.view")
def new_map(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, ProcessMap):
        raise PermissionDenied(actions.DRAWERS)
    form = MapForm(request.POST or None, initiatives=Initiative.objects.visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            pm = actions.create_map(
                form.cleaned_data["name"],
                initiative=form.cleaned_data["initiative"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "The map is made: add its steps.")
            return redirect("processmaps:version", pm.pk, 1)
    return render(request, "processmaps/new.html", {"form": form})


@requires("processmaps.view")
def process_map(request: HttpRequest, pk: int) -> HttpResponse:
    pm = _map(request, pk)
    latest = (
        Version.objects.visible_to(request.user).filter(process_map=pm).order_by("-number").first()
    )
    if latest is None:
        raise Http404("No version of this map you may read.")
    return redirect("processmaps:version", pm.pk, latest.number)


def _lanes_for(request: HttpRequest, version: Version):  # noqa: ANN202
    """The lanes the user may add steps to: all (None) for those who draw, their own else."""
    if actions.may_draw(request.user):
        return None
    division = actions._division_of(request.user)
    if version.published or division is None:
        return Division.objects.none()
    return Division.objects.filter(pk=division)


@requires("processmaps.view")
def version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    graph, found = maps.analysis_of(v)
    steps = list(v.steps.select_related("lane", "position").order_by("order", "pk"))
    for s in steps:
        s.editable = actions.may_edit_lane(request.user, v, s.lane_id) and not v.published
    flows = list(v.flows.select_related("source", "target", "source__lane"))
    for f in flows:
        f.editable = actions.may_edit_lane(request.user, v, f.source.lane_id) and not v.published
    lanes = _lanes_for(request, v)
    may_add = not v.published and (lanes is None or lanes.exists())
    versions = list(Version.objects.visible_to(request.user).filter(process_map=v.process_map))
    earlier = [o for o in versions if o.number < v.number]
    names = {n.key: n.name for n in graph.nodes}
    return render(
        request,
        "processmaps/version.html",
        {
            "v": v,
            "pm": v.process_map,
            "versions": versions,
            "compare_to": earlier[-1] if earlier else None,
            "svg": drawing.draw(graph, title=f"{v.process_map.name}: {v.title}"),
            "found": found,
            "gaps": [(g, [f"{k} {names[k]}" for k in g.steps]) for g in found.gaps],
            "critical": [f"{k} {names[k]}" for k in found.critical_path],
            "steps": steps,
            "flows": flows,
            "may_add": may_add,
            "can_draw": actions.may_draw(request.user) and allowed(request.user, v),
            "step_form": StepForm(lanes=lanes),
            "flow_form": FlowForm(sources=[s for s in steps if s.editable], targets=steps),
            "version_form": VersionForm(),
        },
    )


@requires("processmaps.view")
@require_POST
def add_step(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    form = StepForm(request.POST, lanes=_lanes_for(request, v))
    if not form.is_valid():
        if "lane" in form.errors and not actions.may_draw(request.user):
            raise PermissionDenied(actions.OWN_LANE)
        messages.error(request, "Give the step a name and a number of days (0 or more).")
        return _back(v, "add")
    try:
        step = actions.add_step(v, acting_user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Step {step.key} added.")
    return _back(v, "steps")


def _step(request: HttpRequest, v: Version, step: int) -> Step:
    return get_visible_or_404(Step.objects.select_related("lane"), request.user, pk=step, version=v)


@requires("processmaps.view")
def edit_step(request: HttpRequest, pk: int, number: int, step: int) -> HttpResponse:
    v = _version(request, pk, number)
    s = _step(request, v, step)
    if not actions.may_edit_lane(request.user, v, s.lane_id) or v.published:
        raise PermissionDenied(PUBLISHED if v.published else actions.OWN_LANE)
    initial = {
        "kind": s.kind,
        "name": s.name,
        "lane": s.lane_id,
        "position": s.position_id,
        "days": s.days,
        "produces": s.produces,
    }
    form = StepForm(request.POST or None, initial=initial, lanes=_lanes_for(request, v))
    if request.method == "POST":
        if not form.is_valid():
            if "lane" in form.errors and not actions.may_draw(request.user):
                raise PermissionDenied(actions.OWN_LANE)
        else:
            try:
                actions.change_step(s, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, f"Step {s.key} saved.")
                return _back(v, f"step-{s.key}")
    return render(
        request, "processmaps/step.html", {"v": v, "pm": v.process_map, "s": s, "form": form}
    )


@requires("processmaps.view")
@require_POST
def move_step(request: HttpRequest, pk: int, number: int, step: int) -> HttpResponse:
    v = _version(request, pk, number)
    s = _step(request, v, step)
    direction = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if direction is None:
        if not actions.may_edit_lane(request.user, v, s.lane_id):
            raise PermissionDenied(actions.OWN_LANE)
        messages.error(request, "Choose earlier or later.")
        return _back(v, f"step-{s.key}")
    try:
        actions.move_step(s, direction, acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return _back(v, f"step-{s.key}")


@requires("processmaps.view")
@require_POST
def remove_step(request: HttpRequest, pk: int, number: int, step: int) -> HttpResponse:
    v = _version(request, pk, number)
    s = _step(request, v, step)
    if request.POST.get("confirm") != "yes":
        if not actions.may_edit_lane(request.user, v, s.lane_id) or v.published:
            raise PermissionDenied(PUBLISHED if v.published else actions.OWN_LANE)
        return render(request, "processmaps/remove.html", {"v": v, "pm": v.process_map, "s": s})
    try:
        actions.remove_step(s, acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Step {s.key} removed, with its flows.")
    return _back(v, "steps")


@requires("processmaps.view")
@require_POST
def add_flow(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    steps = list(v.steps.all())
    form = FlowForm(request.POST, sources=steps, targets=steps)
    if not form.is_valid():
        messages.error(request, "Choose the two steps the flow joins.")
        return _back(v, "flows")
    by_pk = {str(s.pk): s for s in steps}
    try:
        actions.connect(
            by_pk[form.cleaned_data["source"]],
            by_pk[form.cleaned_data["target"]],
            form.cleaned_data["label"],
            acting_user=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Flow added.")
    return _back(v, "flows")


@requires("processmaps.view")
@require_POST
def remove_flow(request: HttpRequest, pk: int, number: int, flow: int) -> HttpResponse:
    v = _version(request, pk, number)
    f = get_visible_or_404(Flow.objects.all(), request.user, pk=flow, version=v)
    try:
        actions.disconnect(f, acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Flow removed.")
    return _back(v, "flows")


@requires("processmaps.view")
@require_POST
def next_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what the new version is.")
        return _back(v)
    made = actions.new_version(
        v,
        kind=form.cleaned_data["kind"],
        label=form.cleaned_data["label"],
        acting_user=request.user,
    )
    messages.success(request, f"{made.title} starts as a copy of {v.title}.")
    return _back(made)


@requires("processmaps.view")
@require_POST
def publish(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    if request.POST.get("confirm") != "yes":
        if not allowed(request.user, v):
            raise PermissionDenied(actions.DRAWERS)
        return render(request, "processmaps/publish.html", {"v": v, "pm": v.process_map})
    actions.publish_version(v, acting_user=request.user)
    messages.success(
        request, f"{v.title} is published: the board reads it, and it no longer changes."
    )
    return _back(v)


@requires("processmaps.view")
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    pm = _map(request, pk)
    visible = Version.objects.visible_to(request.user).filter(process_map=pm)
    try:
        a = visible.get(number=int(request.GET.get("a", "")))
        b = visible.get(number=int(request.GET.get("b", "")))
    except (ValueError, Version.DoesNotExist) as exc:
        raise Http404("Choose two versions of the map you may read.") from exc
    ga, gb = maps.graph_of(a), maps.graph_of(b)
    c = analysis.compare(ga, gb)
    names = {n.key: n.name for n in [*ga.nodes, *gb.nodes]}
    return render(
        request,
        "processmaps/compare.html",
        {
            "pm": pm,
            "a": a,
            "b": b,
            "c": c,
            "names": names,
            "added": [(k, names[k]) for k in c.added],
            "removed": [(k, names[k]) for k in c.removed],
            "moved": [(k, names[k], old, new) for k, old, new in c.moved],
            "deltas": {
                "handoffs": _signed(c.handoffs[1] - c.handoffs[0]),
                "gaps": _signed(c.gaps[1] - c.gaps[0]),
                "days": _signed(round(c.critical_days[1] - c.critical_days[0], 1)),
            },
            "svg_a": drawing.draw(ga, title=f"{pm.name}: {a.title}"),
            "svg_b": drawing.draw(gb, title=f"{pm.name}: {b.title}"),
            "versions": list(visible),
        },
    )


def _signed(n: float) -> str:
    """A change as a district user reads it: +2, −1.5, no change."""
    if not n:
        return "no change"
    text = f"{abs(n):g}"
    return f"+{text}" if n > 0 else f"−{text}"


def _download(v: Version, data: bytes | str, suffix: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    stem = slugify(f"{v.process_map.name} {v.title}") or "process-map"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{suffix}"'
    return response


@requires("processmaps.view")
def version_svg(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    svg = drawing.draw(maps.graph_of(v), title=f"{v.process_map.name}: {v.title}")
    return _download(v, svg, "svg", "image/svg+xml")


@requires("processmaps.view")
def version_png(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    svg = drawing.draw(maps.graph_of(v), title=f"{v.process_map.name}: {v.title}")
    return _download(v, drawing.png(svg, scale=2), "png", "image/png")


@requires("processmaps.view")
def version_csv(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    return _download(v, interchange.to_csv(v), "csv", "text/csv; charset=utf-8")


@requires("processmaps.view")
def version_xlsx(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    v = _version(request, pk, number)
    return _download(
        v,
        interchange.to_xlsx(v),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@requires("processmaps.view")
def import_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of the map from a CSV or workbook: whole, or nothing with every bad row
    shown."""
    pm = _map(request, pk)
    if not allowed(request.user, pm):
        raise PermissionDenied(actions.DRAWERS)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        shown = intake.display_name(upload.name)
        try:
            intake.check_size(upload.size, name=shown)
            made = interchange.import_version(
                pm,
                upload.read(),
                name=shown,
                kind=form.cleaned_data["kind"],
                acting_user=request.user,
            )
        except intake.InputRefused as exc:
            problems = [intake.RowError(shown, None, str(exc))]
        except intake.ImportFailed as failure:
            problems = list(failure.outcome.errors)
        else:
            messages.success(request, f"{made.title} is imported from {shown}.")
            return _back(made)
    return render(
        request, "processmaps/import.html", {"pm": pm, "form": form, "problems": problems}
    )
