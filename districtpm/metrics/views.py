"""Data and metrics pages: the catalogue, a metric by period, group and entity, exports."""

from __future__ import annotations

import io
import math
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from openpyxl import Workbook

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.cells import append_row, csv_writer, safe_row
from districtpm.core.scoping import allowed
from districtpm.metrics import charts
from districtpm.metrics.models import ComputeRun, DataImport, Metric, MetricValue
from districtpm.org.models import District, Network, School

LEVEL_LABELS = {"district": "District", "network": "Network", "school": "School", "grade": "Grade"}


def _group_label(dim: str, value: str) -> str:
    if dim == "all":
        return "All students"
    name = GROUP_DIMENSIONS.get(dim, dim)
    if value in ("yes", "no"):
        return f"{name}: {value}"
    return value


@requires("data.view")
def catalogue(request: HttpRequest) -> HttpResponse:
    metrics = Metric.objects.visible_to(request.user).filter(active=True)
    kind = request.GET.get("kind", "")
    if kind in ("leading", "lagging"):
        metrics = metrics.filter(kind=kind)
    return render(
        request,
        "metrics/catalogue.html",
        {
            "metrics": metrics,
            "kind": kind,
            "last_run": ComputeRun.objects.first(),
            "can_import": allowed(request.user, DataImport),
        },
    )


class Entity:
    """The district, a network, a school or a grade of a school, as the user may see it."""

    def __init__(
        self,
        level: str,
        code: str,
        name: str,
        grade: str = "",
        parents: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self.level, self.code, self.name, self.grade = level, code, name, grade
        self.parents = parents or []

    def query(self) -> dict[str, str]:
        q = {"level": self.level, "entity": self.code}
        if self.grade:
            q["grade"] = self.grade
        return q


def _entity(request: HttpRequest) -> Entity:
    user = request.user
    level = request.GET.get("level", "district")
    code = request.GET.get("entity", "district")
    district = District.objects.order_by("pk").first()
    district_name = district.name if district else "District"
    top = [("district", "district", district_name)]
    if level == "district":
        return Entity("district", "district", district_name)
    if level == "network":
        network = Network.objects.visible_to(user).filter(code=code).first()
        if network is None:
            raise Http404("No such network, or it is outside your access.")
        return Entity("network", code, network.name, parents=top)
    if level in ("school", "grade"):
        school = School.objects.visible_to(user).select_related("network").filter(code=code).first()
        if school is None:
            raise Http404("No such school, or it is outside your access.")
        parents = list(top)
        if (
            school.network
            and Network.objects.visible_to(user).filter(pk=school.network_id).exists()
        ):
            parents.append(("network", school.network.code, school.network.name))
        if level == "school":
            return Entity("school", code, school.name, parents=parents)
        grade = request.GET.get("grade", "")
        parents.append(("school", code, school.name))
        return Entity("grade", code, f"{school.name}, grade {grade}", grade=grade, parents=parents)
    raise Http404("Unknown level.")


def _children(user: Any, metric: Metric, entity: Entity, period: str) -> list[dict[str, Any]]:
    """The next level down, for drilling: networks, schools of a network, grades of a school."""
    values = MetricValue.objects.visible_to(user).filter(
        metric=metric, period=period, group_dim="all"
    )
    if entity.level == "district" and "network" in metric.levels:
        names = dict(Network.objects.visible_to(user).values_list("code", "name"))
        rows = values.filter(level="network", entity_code__in=list(names))
        child_level = "network"
    elif entity.level in ("district", "network") and "school" in metric.levels:
        schools = School.objects.visible_to(user)
        if entity.level == "network":
            schools = schools.filter(network__code=entity.code)
        names = dict(schools.values_list("code", "name"))
        rows = values.filter(level="school", entity_code__in=list(names))
        child_level = "school"
    elif entity.level == "school" and "grade" in metric.levels:
        rows = values.filter(level="grade", entity_code=entity.code)
        names = {}
        child_level = "grade"
    else:
        return []
    out = []
    for v in rows:
        label = (
            f"Grade {v.grade}"
            if child_level == "grade"
            else names.get(v.entity_code, v.entity_code)
        )
        query = {"level": child_level, "entity": v.entity_code}
        if child_level == "grade":
            query["grade"] = v.grade
        out.append(
            {
                "label": label,
                "value": v.value,
                "n": v.n,
                "suppressed": v.suppressed,
                "reason": v.suppressed_reason,
                "query": query,
                "sort": v.grade.zfill(2) if child_level == "grade" else label,
            }
        )
    return sorted(out, key=lambda r: r["sort"])


def _entity_and_group(request: HttpRequest, metric: Metric) -> tuple[Entity, list[str], str]:
    """The entity a metric page (or its export) asks for, the group dimensions it offers and
    the one chosen (the first group by default)."""
    entity = _entity(request)
    if entity.level not in metric.levels:
        raise Http404(f"{metric.name} is not computed for a {entity.level}.")
    dims = ["all", *(metric.groups if not metric.is_gap else [])]
    dim = request.GET.get("group", dims[1] if len(dims) > 1 else "all")
    return entity, dims, dim if dim in dims else "all"


@requires("data.view")
def metric_detail(request: HttpRequest, metric_id: str) -> HttpResponse:
    user = request.user
    metric = get_visible_or_404(Metric.objects, user, pk=metric_id)
    entity, dims, dim = _entity_and_group(request, metric)
    values = list(
        MetricValue.objects.visible_to(user)
        .filter(
            metric=metric,
            level=entity.level,
            entity_code=entity.code,
            grade=entity.grade,
            group_dim__in={"all", dim},
        )
        .order_by("period_order", "period", "group_dim", "group_value")
    )
    if not values and not MetricValue.objects.filter(metric=metric).exists():
        values = []
    periods = list(dict.fromkeys(v.period for v in values))  # in time order, as queried
    period = request.GET.get("period", periods[-1] if periods else "")
    rows = [
        {
            "period": v.period,
            "label": _group_label(v.group_dim, v.group_value),
            "value": v.value,
            "n": v.n,
            "suppressed": v.suppressed,
            "reason": v.suppressed_reason,
            "dim": v.group_dim,
            "group_value": v.group_value,
        }
        for v in values
    ]
    groups = sorted({(r["dim"] != "all", r["label"]) for r in rows})
    table = {label: {r["period"]: r for r in rows if r["label"] == label} for _, label in groups}
    children = _children(user, metric, entity, period) if period else []
    title = f"{metric.name} — {entity.name}"
    return render(
        request,
        "metrics/metric.html",
        {
            "metric": metric,
            "entity": entity,
            "dims": [(d, "All students only" if d == "all" else GROUP_DIMENSIONS[d]) for d in dims],
            "dim": dim,
            "periods": periods,
            "period": period,
            "table": table,
            "children": children,
            "trend_spec": charts.trend_spec(metric, rows, title),
            "children_spec": charts.comparison_spec(metric, children, f"{metric.name}, {period}")
            if children
            else None,
            "level_labels": LEVEL_LABELS,
            "min_n": metric.min_n,
            "export_query": urlencode({**entity.query(), "group": dim}),
        },
    )


DECIMALS = {"percent": 0, "percent1": 1, "number": 0, "decimal2": 2}


def _shown(metric: Metric, value: float | None) -> float | int | str:
    """A value as the page shows it, as a number: a rate in percent, rounded alike."""
    if _finite(value) is None:
        return ""
    places = DECIMALS.get(metric.format, 1)
    number = value * 100 if metric.format.startswith("percent") else value
    return int(round(number)) if places == 0 else round(number, places)


def _count(number: float | None) -> float | int | str:
    """A count as an integer (6536, not 6536.0); any other number to two places."""
    if _finite(number) is None:
        return ""
    return int(number) if float(number).is_integer() else round(number, 2)


def _page_filter(request: HttpRequest, metric: Metric) -> tuple[dict[str, Any], Entity] | None:
    """The rows the metric's page shows for the same query (one entity, all students and the
    chosen group dimension, every period), or None for an export of everything the user may
    see (no entity asked for)."""
    if "level" not in request.GET and "entity" not in request.GET:
        return None
    entity, _, dim = _entity_and_group(request, metric)
    query = {
        "level": entity.level,
        "entity_code": entity.code,
        "grade": entity.grade,
        "group_dim__in": {"all", dim},
    }
    return query, entity


def _export_rows(
    user: Any, metric: Metric, only: dict[str, Any] | None = None
) -> tuple[list[str], list[list[Any]]]:
    names = {
        ("school", c): n for c, n in School.objects.visible_to(user).values_list("code", "name")
    }
    names.update({("grade", c): n for (_, c), n in list(names.items())})
    names.update(
        {("network", c): n for c, n in Network.objects.visible_to(user).values_list("code", "name")}
    )
    percent = metric.format.startswith("percent")
    header = [
        "Metric",
        "Level",
        "Code",
        "Name",
        "Grade",
        "Period",
        "Student group",
        "Students (n)",
        "Numerator",
        "Denominator",
        "Value (%)" if percent else "Value",
        "Shown as",
        "Suppressed",
    ]
    values = MetricValue.objects.visible_to(user).filter(metric=metric)
    if only is not None:
        # in the page's order: all students, then the groups by name; each in time order
        ordered = sorted(
            values.filter(**only).order_by("period_order", "period"),
            key=lambda v: (v.group_dim != "all", _group_label(v.group_dim, v.group_value)),
        )
    else:
        ordered = values.order_by(
            "level", "entity_code", "grade", "period_order", "group_dim", "group_value"
        ).iterator(chunk_size=5000)
    rows = []
    for v in ordered:
        hidden = v.suppressed
        rows.append(
            [
                metric.name,
                LEVEL_LABELS.get(v.level, v.level),
                v.entity_code,
                "District" if v.level == "district" else names.get((v.level, v.entity_code), ""),
                v.grade,
                v.period,
                _group_label(v.group_dim, v.group_value),
                "" if hidden or v.n is None else int(v.n),
                # a NaN or infinity would corrupt the workbook; an empty cell says "no number"
                "" if hidden else _count(v.numerator),
                "" if hidden else _count(v.denominator),
                "" if hidden else _shown(metric, v.value),
                "" if hidden else metric.format_value(v.value),
                _hidden_label(v, metric.min_n),
            ]
        )
    return header, rows


@requires("data.view")
def export(request: HttpRequest, metric_id: str, fmt: str) -> HttpResponse:
    metric = get_visible_or_404(Metric.objects, request.user, pk=metric_id)
    page = _page_filter(request, metric)
    header, rows = _export_rows(request.user, metric, page[0] if page else None)
    filename = slugify(metric.id if page is None else f"{metric.id} {page[1].name}")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        # Names come from users (a school called "=HYPERLINK(...)"): never let one run.
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row) for row in rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(metric.name[:31].replace("/", "-"))
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


# ------------------------------------------------------------------ imports from the web


def _upload_refusal(upload: Any) -> str | None:
    """Why an uploaded data file is refused before it is stored and queued, or None."""
    from districtpm.core import intake

    try:
        intake.check_size(upload.size, name=upload.name)
    except intake.InputRefused as exc:
        return str(exc)
    if upload.size == 0:
        return f"{intake.display_name(upload.name)} is empty."
    return None


@requires("data.import")
def import_upload(request: HttpRequest) -> HttpResponse:

    from django.shortcuts import redirect

    from districtpm.metrics import tasks
    from districtpm.metrics.models import DataImport, SavedMapping

    mappings = {name: name for name in tasks.shipped_mappings()}
    mappings.update({m.key: f"{m.name} (made in the page)" for m in SavedMapping.objects.all()})
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        mapping = request.POST.get("mapping", "")
        if upload is None:
            error = "Choose a file to import."
        elif mapping not in mappings:
            error = "Choose how the file's columns map to District PM."
        elif not upload.name.lower().endswith((".csv", ".xlsx", ".parquet")):
            error = "The file must be CSV, XLSX or Parquet."
        elif (refusal := _upload_refusal(upload)) is not None:
            error = refusal
        else:
            task = tasks.queue_import(upload, mapping, acting_user=request.user)
            return redirect("metrics:import_task", task.pk)
    return render(
        request,
        "metrics/import.html",
        {
            "mappings": mappings,
            "error": error,
            "recent": DataImport.objects.visible_to(request.user)[:10],
        },
        status=400 if error else 200,
    )


@requires("data.import")
def import_task(request: HttpRequest, pk: int) -> HttpResponse:
    from districtpm.metrics.models import DataImport

    task = get_visible_or_404(DataImport.objects, request.user, pk=pk)
    template = (
        "metrics/_import_progress.html"
        if request.headers.get("HX-Request")
        else "metrics/import_task.html"
    )
    return render(request, template, {"task": task})


# ------------------------------------------------------------------ JSON API


@requires("data.view")
def api_metrics(request: HttpRequest) -> HttpResponse:
    from django.http import JsonResponse

    metrics = Metric.objects.visible_to(request.user).filter(active=True)
    return JsonResponse(
        {
            "metrics": [
                {
                    "id": m.id,
                    "name": m.name,
                    "description": m.description,
                    "kind": m.kind,
                    "direction": m.direction,
                    "unit": m.unit,
                    "period": m.period,
                    "levels": m.levels,
                    "groups": m.groups,
                    "min_n": m.min_n,
                    "version": m.version,
                    "values_url": request.build_absolute_uri(f"/data/api/metrics/{m.id}/values/"),
                }
                for m in metrics
            ]
        }
    )


@requires("data.view")
def api_values(request: HttpRequest, metric_id: str) -> HttpResponse:
    """Values of one metric the user may see, filtered by level, entity, period and group.
    Suppressed cells come back with `suppressed: true` and no numbers."""
    from django.core.paginator import Paginator
    from django.http import JsonResponse

    metric = get_visible_or_404(Metric.objects, request.user, pk=metric_id)
    values = (
        MetricValue.objects.visible_to(request.user)
        .filter(metric=metric)
        .order_by("level", "entity_code", "grade", "period_order", "group_dim", "group_value")
    )
    for field in ("level", "entity_code", "grade", "period", "group_dim", "group_value"):
        if field in request.GET:
            values = values.filter(**{field: request.GET[field]})
    page = Paginator(values, 1000).get_page(request.GET.get("page"))
    return JsonResponse(
        {
            "metric": metric.id,
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "values": [
                {
                    "level": v.level,
                    "entity_code": v.entity_code,
                    "grade": v.grade,
                    "period": v.period,
                    "group_dim": v.group_dim,
                    "group_value": v.group_value,
                    "suppressed": v.suppressed,
                    "suppressed_reason": v.suppressed_reason,
                    "n": v.n,
                    "numerator": _finite(v.numerator),
                    "denominator": _finite(v.denominator),
                    "value": _finite(v.value),
                }
                for v in page
            ],
        },
        # NaN and Infinity are not JSON: fail loudly rather than emit them if one slips past.
        json_dumps_params={"allow_nan": False},
    )


def _hidden_label(value: MetricValue, min_n: int) -> str:
    """What an export says of a hidden cell: why it is hidden, never more."""
    if not value.suppressed:
        return ""
    if value.suppressed_reason == "complement":
        return "hidden to protect another cell"
    if value.suppressed_reason == "small":
        return f"n<{min_n}"
    return "hidden"  # computed before reasons were kept; a recompute gives the reason


def _finite(number: float | None) -> float | None:
    """A number for JSON: null stands for a missing, NaN or infinite value."""
    if number is None or not math.isfinite(number):
        return None
    return number
