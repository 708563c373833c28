"""Setting the evaluation framework through pages: import one from a workbook, download one (or
the shipped framework) as a workbook, change a weight set's weights and the cut points, and
close a year's framework. Everyone in the section reads the framework and downloads it; only
the district admin and HR partners change it (rules.py), every change through an action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from districtpm.core import intake
from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.intake import ImportFailed, InputRefused, RowError
from districtpm.core.scoping import allowed
from districtpm.evaluation import actions, framework_io, scoring, status
from districtpm.evaluation.models import Component, Framework, OverallLevel, WeightSet
from districtpm.org.models import SchoolYear

# ---------------------------------------------------------------- forms


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Workbook",
        help_text="An Excel workbook (.xlsx) with the sheets Components, Indicators, Weights "
        "and Levels, as the download of a framework has them.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    school_year = forms.ModelChoiceField(
        queryset=SchoolYear.objects.order_by("-start_date"),
        label="School year",
        to_field_name="name",
        empty_label=None,
    )
    name = forms.CharField(
        max_length=200,
        label="Name of the framework",
        help_text="A name not yet used for this school year, for example LEAP.",
    )


def _percent_field(component: Component) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"{component.name} (percent)",
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text="Leave it empty or at 0 when this part does not count for these educators.",
    )


class WeightsForm(forms.Form):
    """One percent for each of the framework's components; together they make 100."""

    def __init__(
        self, data: Any = None, *, components: list[Component], current: dict[int, Decimal]
    ) -> None:
        super().__init__(data)
        self.components = components
        for c in components:
            self.fields[f"c{c.pk}"] = _percent_field(c)
            self.initial[f"c{c.pk}"] = current.get(c.pk, Decimal(0))

    def shares(self) -> dict[Component, Decimal]:
        """The components weighed above 0: one left out counts for nothing in the set."""
        values = {c: self.cleaned_data.get(f"c{c.pk}") or Decimal(0) for c in self.components}
        return {c: p for c, p in values.items() if p > 0}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            shares = self.shares()
            try:
                scoring.check_weights(shares)
            except ValidationError:
                total = sum(shares.values(), Decimal(0))
                raise forms.ValidationError(
                    f"These weights add up to {framework_io._percent(total)}%. A weight set's "
                    "weights must add up to exactly 100%; nothing was saved."
                ) from None
        return cleaned


class LevelsForm(forms.Form):
    """The lowest score of every overall level, all at once."""

    def __init__(self, data: Any = None, *, levels: list[OverallLevel]) -> None:
        super().__init__(data)
        self.levels = levels
        for lv in levels:
            self.fields[f"l{lv.pk}"] = forms.FloatField(
                label=f"{lv.name}: from a score of",
                min_value=0,
                max_value=100,
                help_text=f"The state rating {status.RATINGS.get(lv.state_rating, '')}."
                + (" The lowest level starts at 0." if lv is levels[0] else ""),
            )
            self.initial[f"l{lv.pk}"] = framework_io._number(lv.min_score)  # 40, not 40.0

    def cuts(self) -> dict[OverallLevel, float]:
        return {lv: self.cleaned_data[f"l{lv.pk}"] for lv in self.levels}


# ---------------------------------------------------------------- helpers


def _year(request: HttpRequest) -> SchoolYear | None:
    name = request.GET.get("year") or ""
    return SchoolYear.objects.filter(name=name).first() or SchoolYear.objects.current()


def _may_set(request: HttpRequest) -> None:
    if not allowed(request.user, Framework):
        raise PermissionDenied(actions.SETTERS)


def _to_change(request: HttpRequest, pk: int) -> Framework:
    """A framework the user may change: refused (403) before it is even looked up for anyone
    who sets no framework."""
    _may_set(request)
    return get_object_or_404(
        Framework.objects.restrict(request.user, "change").select_related("school_year"), pk=pk
    )


def _framework_page(framework: Framework) -> str:
    return f"{reverse('evaluation:framework')}?{urlencode({'year': framework.school_year.name})}"


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _workbook(data: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(data, content_type=framework_io.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{slugify(stem) or "framework"}.xlsx"'
    return response


# ---------------------------------------------------------------- pages


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def framework_import(request: HttpRequest) -> HttpResponse:
    """A framework from a workbook: created whole, or not at all with every problem shown."""
    _may_set(request)
    year = _year(request)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"school_year": year.name if year else None},
    )
    problems: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        shown = intake.display_name(upload.name)
        try:
            intake.check_size(upload.size, name=shown)  # before reading it into memory
            framework = framework_io.import_framework(
                upload.read(),
                form.cleaned_data["school_year"],
                name=form.cleaned_data["name"],
                file_name=shown,
                acting_user=request.user,
            )
        except InputRefused as exc:
            problems = [RowError(shown, None, str(exc))]
        except ImportFailed as failure:
            problems = list(failure.outcome.errors)
        except ValidationError as exc:
            problems = [RowError(shown, None, m) for m in exc.messages]
        else:
            messages.success(
                request, f"The {framework.school_year} framework {framework.name} is imported."
            )
            return redirect(_framework_page(framework))
    return render(
        request,
        "evaluation/framework/import.html",
        {"form": form, "problems": problems, "year": year},
    )


@requires("evaluation.view")
@require_GET
def framework_export(request: HttpRequest, pk: int) -> HttpResponse:
    framework = get_visible_or_404(
        Framework.objects.select_related("school_year"), request.user, pk=pk
    )
    return _workbook(
        framework_io.export_framework(framework), f"{framework.name} {framework.school_year}"
    )


@requires("evaluation.view")
@require_GET
def framework_preset(request: HttpRequest) -> HttpResponse:
    """The shipped framework as a workbook: a starting point to change and import."""
    return _workbook(framework_io.export_preset(), "evaluation framework preset")


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def framework_weights(request: HttpRequest, pk: int, ws: int) -> HttpResponse:
    framework = _to_change(request, pk)
    weight_set = get_object_or_404(
        WeightSet.objects.restrict(request.user, "change"), pk=ws, framework=framework
    )
    components = list(framework.components.all())
    current = {w.component_id: w.percent for w in weight_set.weights.all()}
    form = WeightsForm(request.POST or None, components=components, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_weights(weight_set, form.shares(), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"The weights of “{weight_set.name}” are saved.")
            return redirect(_framework_page(framework))
    rows = [{"c": c, "percent": current.get(c.pk, Decimal(0))} for c in components]
    return render(
        request,
        "evaluation/framework/weights.html",
        {
            "framework": framework,
            "weight_set": weight_set,
            "form": form,
            "rows": rows,
            "year": framework.school_year,
            "back": _framework_page(framework),
        },
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def framework_levels(request: HttpRequest, pk: int) -> HttpResponse:
    framework = _to_change(request, pk)
    levels = list(framework.levels.all())
    form = LevelsForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            framework_io.set_cut_points(framework, form.cuts(), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"The cut points of the {framework} framework are saved.")
            return redirect(_framework_page(framework))
    return render(
        request,
        "evaluation/framework/levels.html",
        {
            "framework": framework,
            "levels": levels,
            "form": form,
            "year": framework.school_year,
            "back": _framework_page(framework),
        },
    )


@requires("evaluation.view")
@require_http_methods(["GET", "POST"])
def framework_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; once closed, the year's weights and cut points no longer change."""
    framework = _to_change(request, pk)
    if request.method == "POST":
        if framework.closed:
            messages.info(request, f"The {framework} framework was closed already.")
        else:
            actions.close_framework(framework, acting_user=request.user)
            messages.success(
                request,
                f"The {framework} framework is closed: its weights and cut points no longer "
                "change.",
            )
        return redirect(_framework_page(framework))
    return render(
        request,
        "evaluation/framework/close.html",
        {"framework": framework, "year": framework.school_year, "back": _framework_page(framework)},
    )
