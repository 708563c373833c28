"""The public side: published School Blueprints, for anyone, with no sign-in.

Only published Blueprints are found here; an unpublished one is simply not found (404), the
same as one that never existed. What a page shows is blueprint.content's, which reads no
student-level data and shows no value below the minimum number of students."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from districtpm.core.access import public
from districtpm.improvement import blueprint as bp
from districtpm.improvement.models import Blueprint
from districtpm.improvement.plan_views import pdf_response
from districtpm.org.models import SchoolYear


def _published():
    return Blueprint.objects.filter(published_at__isnull=False).select_related(
        "plan__school", "plan__school_year"
    )


@public
def index(request: HttpRequest) -> HttpResponse:
    lang = bp.language(request.GET.get("lang"))
    published = list(_published().order_by("-plan__school_year__start_date", "plan__school__name"))
    years: dict[str, list[Blueprint]] = {}
    for b in published:
        years.setdefault(b.plan.school_year.name, []).append(b)
    with translation.override(lang):
        return render(
            request,
            "improvement/blueprints.html",
            {"years": years, "lang": lang, "current": SchoolYear.objects.current()},
        )


def _find(school: str, year: str) -> Blueprint:
    return get_object_or_404(_published(), plan__school__code=school, plan__school_year__name=year)


@public
def show(request: HttpRequest, school: str, year: str) -> HttpResponse:
    lang = bp.language(request.GET.get("lang"))
    c = bp.content(_find(school, year), lang, public=True)
    with translation.override(lang):
        return render(
            request, "improvement/blueprint.html", {"c": c, "lang": lang, "preview": False}
        )


@public
def pdf(request: HttpRequest, school: str, year: str) -> HttpResponse:
    found = _find(school, year)
    return pdf_response(bp.content(found, bp.language(request.GET.get("lang")), public=True))
