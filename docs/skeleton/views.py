"""School visit pages: they read through `visible_to` and write through actions.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from districtpm.core.access import requires
from districtpm.core.scoping import allowed, parents_reached
from districtpm.skeleton import actions
from districtpm.skeleton.forms import VisitForm
from districtpm.skeleton.models import SchoolVisit


@requires("skeleton.view")
def visits(request: HttpRequest) -> HttpResponse:
    rows = SchoolVisit.objects.visible_to(request.user).select_related("school")[:200]
    return render(
        request,
        "skeleton/visits.html",
        {"visits": rows, "can_change": allowed(request.user, SchoolVisit)},
    )


@requires("skeleton.change")
def new_visit(request: HttpRequest) -> HttpResponse:
    schools = parents_reached(SchoolVisit, request.user)
    form = VisitForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        actions.record_visit(**form.cleaned_data, acting_user=request.user)
        return redirect("skeleton:visits")
    return render(request, "skeleton/visit_form.html", {"form": form})
