"""Organisation pages: browse and edit schools, networks, school years, calendars and staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.scoping import access_for, allowed
from districtpm.org import actions, importing
from districtpm.org.forms import (
    AssignmentForm,
    CalendarEventForm,
    DesignationForm,
    ImportForm,
    NetworkForm,
    SchoolForm,
    SchoolYearForm,
    StaffForm,
)
from districtpm.org.models import (
    Assignment,
    CalendarEvent,
    Designation,
    District,
    Division,
    Network,
    School,
    SchoolYear,
    Staff,
)

PAGE_SIZE = 50


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _save_form(request: HttpRequest, form: Any, save: Any) -> Any:
    """Validate the form, then run the action; its validation errors land on the form."""
    if not form.is_valid():
        return None
    data = {name: form.cleaned_data[name] for name in form.Meta.fields}
    try:
        return save(data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None


def _edit_page(
    request: HttpRequest, form: Any, save: Any, *, title: str, cancel: str, done: Any
) -> HttpResponse:
    """The shared create/edit flow: show the form, save through the action, or show errors."""
    if request.method == "POST":
        saved = _save_form(request, form, save)
        if saved:
            messages.success(request, f"Saved {saved}.")
            return done(saved)
    return render(request, "core/form.html", {"form": form, "title": title, "cancel": cancel})


def _confirm_removal(
    request: HttpRequest, *, title: str, question: str, cancel: str, remove: Any, done: Any
) -> HttpResponse:
    """Ask first (GET); remove through the action and go on (POST)."""
    if request.method == "POST":
        remove()
        messages.success(request, f"{title.replace('Remove', 'Removed', 1)}.")
        return done
    return render(
        request, "core/confirm.html", {"title": title, "question": question, "cancel": cancel}
    )


def _district() -> District | None:
    return District.objects.order_by("pk").first()


# ------------------------------------------------------------------ overview


@requires("org.view")
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    access = access_for(user)
    return render(
        request,
        "org/home.html",
        {
            "district": _district(),
            "school_count": School.objects.visible_to(user).count(),
            "network_count": Network.objects.visible_to(user).count(),
            "years": SchoolYear.objects.visible_to(user)[:3],
            "divisions": Division.objects.visible_to(user)
            .filter(parent=None)
            .annotate(n_departments=Count("departments")),
            "can_see_staff": access.can("staff.view"),
            "can_change": allowed(request.user, School),
            "can_import": allowed(request.user, School, "import"),
        },
    )


# ------------------------------------------------------------------ schools


@requires("org.view")
def schools(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = School.objects.visible_to(user).select_related("network").order_by("name")
    q = request.GET.get("q", "").strip()
    network = request.GET.get("network", "")
    level = request.GET.get("level", "")
    designation = request.GET.get("designation", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if network.isdigit():
        qs = qs.filter(network_id=int(network))
    if level in School.Level.values:
        qs = qs.filter(level=level)
    current = SchoolYear.objects.current()
    if designation in Designation.Kind.values:
        designated = Designation.objects.filter(kind=designation, school_year=current)
        qs = qs.filter(id__in=designated.values("school_id"))
    page = _page(request, qs)
    designations: dict[int, list[str]] = {}
    if current:
        for school_id, kind in Designation.objects.filter(
            school_year=current, school_id__in=[s.pk for s in page]
        ).values_list("school_id", "kind"):
            designations.setdefault(school_id, []).append(kind.upper())
    for school in page:
        school.current_designations = designations.get(school.pk, [])
    context = {
        "page": page,
        "q": q,
        "network": network,
        "level": level,
        "designation": designation,
        "networks": Network.objects.visible_to(user),
        "levels": School.Level.choices,
        "designation_kinds": Designation.Kind.choices,
        "current_year": current,
        "can_change": allowed(user, School),
    }
    template = "org/_school_rows.html" if request.headers.get("HX-Request") else "org/schools.html"
    return render(request, template, context)


@requires("org.view")
def school(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = get_visible_or_404(School.objects.select_related("network"), user, pk=pk)
    access = access_for(user)
    staff = None
    if access.can("staff.view"):
        staff = (
            Staff.objects.visible_to(user)
            .filter(assignments__school=obj)
            .select_related("position")
            .distinct()
        )
        staff = _page(request, staff)
    return render(
        request,
        "org/school.html",
        {
            "school": obj,
            "designations": obj.designations.select_related("school_year"),
            "staff_page": staff,
            "can_change": allowed(request.user, obj),
            "designation_form": DesignationForm(
                school_years=SchoolYear.objects.all(),
                initial={"school_year": SchoolYear.objects.current()},
            ),
        },
    )


@requires("org.change")
def school_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    obj = get_visible_or_404(School.objects, user, pk=pk) if pk else None
    form = SchoolForm(request.POST or None, instance=obj)
    form.fields["network"].queryset = Network.objects.visible_to(user)
    return _edit_page(
        request,
        form,
        lambda data: actions.save_school(pk, data, acting_user=user, district=_district()),
        title=f"Edit {obj.name}" if obj else "New school",
        cancel=f"/org/schools/{obj.pk}/" if obj else "/org/schools/",
        done=lambda saved: redirect("org:school", saved.pk),
    )


@requires("org.change")
@require_POST
def designation_add(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(School.objects, request.user, pk=pk)
    form = DesignationForm(request.POST, school_years=SchoolYear.objects.all())
    if form.is_valid():
        actions.set_designation(
            obj,
            form.cleaned_data["school_year"],
            form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            acting_user=request.user,
        )
        messages.success(request, "Designation added.")
    else:
        messages.error(request, "Choose a school year and a designation.")
    return redirect("org:school", obj.pk)


@requires("org.change")
def designation_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        designation = Designation.objects.select_related("school", "school_year").get(
            pk=pk, school__in=School.objects.visible_to(request.user)
        )
    except Designation.DoesNotExist as exc:
        raise Http404("No such designation.") from exc
    return _confirm_removal(
        request,
        title="Remove designation",
        question=f"Remove {designation} from {designation.school}?",
        cancel=f"/org/schools/{designation.school_id}/",
        remove=lambda: actions.remove_designation(designation, acting_user=request.user),
        done=redirect("org:school", designation.school_id),
    )


# ------------------------------------------------------------------ networks and divisions


@requires("org.view")
def networks(request: HttpRequest) -> HttpResponse:
    qs = Network.objects.visible_to(request.user).annotate(n_schools=Count("schools"))
    return render(
        request,
        "org/networks.html",
        {
            "networks": qs,
            "can_change": allowed(request.user, Network),
        },
    )


@requires("org.view")
def network(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(Network.objects, request.user, pk=pk)
    return render(
        request,
        "org/network.html",
        {
            "network": obj,
            "schools": School.objects.visible_to(request.user).filter(network=obj),
            "can_change": allowed(request.user, obj),
        },
    )


@requires("org.change")
def network_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_visible_or_404(Network.objects, request.user, pk=pk) if pk else None
    return _edit_page(
        request,
        NetworkForm(request.POST or None, instance=obj),
        lambda data: actions.save_network(pk, data, acting_user=request.user, district=_district()),
        title=f"Edit {obj.name}" if obj else "New network",
        cancel=f"/org/networks/{obj.pk}/" if obj else "/org/networks/",
        done=lambda saved: redirect("org:network", saved.pk),
    )


@requires("org.view")
def divisions(request: HttpRequest) -> HttpResponse:
    qs = (
        Division.objects.visible_to(request.user)
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    return render(request, "org/divisions.html", {"divisions": qs})


# ------------------------------------------------------------------ school years and calendars


@requires("org.view")
def years(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "org/years.html",
        {
            "years": SchoolYear.objects.visible_to(request.user),
            "can_change": allowed(request.user, SchoolYear),
        },
    )


@requires("org.view")
def year(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(SchoolYear.objects, request.user, pk=pk)
    return render(
        request,
        "org/year.html",
        {
            "year": obj,
            "events": obj.events.all(),
            "instructional_days": obj.instructional_days(),
            "can_change": allowed(request.user, obj),
        },
    )


@requires("org.calendar.change")
def year_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_visible_or_404(SchoolYear.objects, request.user, pk=pk) if pk else None
    return _edit_page(
        request,
        SchoolYearForm(request.POST or None, instance=obj),
        lambda data: actions.save_school_year(
            pk, data, acting_user=request.user, district=_district()
        ),
        title=f"Edit {obj.name}" if obj else "New school year",
        cancel=f"/org/years/{obj.pk}/" if obj else "/org/years/",
        done=lambda saved: redirect("org:year", saved.pk),
    )


@requires("org.calendar.change")
def event_edit(request: HttpRequest, year_pk: int, pk: int | None = None) -> HttpResponse:
    school_year = get_visible_or_404(SchoolYear.objects, request.user, pk=year_pk)
    obj = _event_or_404(school_year, pk) if pk else None
    return _edit_page(
        request,
        CalendarEventForm(request.POST or None, instance=obj, school_year=school_year),
        lambda data: actions.save_calendar_event(
            pk, data, acting_user=request.user, school_year=school_year
        ),
        title=f"Edit {obj.name}" if obj else f"Add to the {school_year.name} calendar",
        cancel=f"/org/years/{school_year.pk}/",
        done=lambda saved: redirect("org:year", school_year.pk),
    )


def _event_or_404(school_year: SchoolYear, pk: int) -> CalendarEvent:
    try:
        return school_year.events.get(pk=pk)
    except CalendarEvent.DoesNotExist as exc:
        raise Http404("No such calendar entry.") from exc


@requires("org.calendar.change")
def event_delete(request: HttpRequest, year_pk: int, pk: int) -> HttpResponse:
    school_year = get_visible_or_404(SchoolYear.objects, request.user, pk=year_pk)
    event = _event_or_404(school_year, pk)
    return _confirm_removal(
        request,
        title="Remove calendar entry",
        question=f"Remove {event} from the {school_year.name} calendar?",
        cancel=f"/org/years/{school_year.pk}/",
        remove=lambda: actions.delete_calendar_event(event, acting_user=request.user),
        done=redirect("org:year", school_year.pk),
    )


# ------------------------------------------------------------------ staff


@requires("staff.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = (
        Staff.objects.visible_to(user)
        .select_related("position")
        .order_by("last_name", "first_name")
    )
    q = request.GET.get("q", "").strip()
    school_id = request.GET.get("school", "")
    if q:
        qs = qs.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(employee_id__icontains=q)
            | Q(email__icontains=q)
        )
    if school_id.isdigit():
        qs = qs.filter(assignments__school_id=int(school_id)).distinct()
    context = {
        "page": _page(request, qs),
        "q": q,
        "school": school_id,
        "schools": School.objects.visible_to(user).only("id", "name"),
        "can_change": allowed(user, Staff),
    }
    template = (
        "org/_staff_rows.html" if request.headers.get("HX-Request") else "org/staff_list.html"
    )
    return render(request, template, context)


@requires("staff.view")
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_visible_or_404(
        Staff.objects.select_related("position", "division"), request.user, pk=pk
    )
    can_change = allowed(request.user, Assignment(staff=obj))
    form = None
    if can_change:
        schools = School.objects.visible_to(request.user)
        form = AssignmentForm(request.POST or None, schools=schools)
        if request.method == "POST" and form.is_valid():
            actions.assign_staff(
                obj,
                form.cleaned_data["school"],
                form.cleaned_data["position"],
                fte=form.cleaned_data["fte"],
                acting_user=request.user,
            )
            messages.success(request, f"Assigned {obj} to {form.cleaned_data['school']}.")
            return redirect("org:staff_detail", obj.pk)
    elif request.method == "POST":
        raise PermissionDenied("Your role does not allow changing assignments.")
    if request.method == "GET":
        actions.record_personnel_read(obj, acting_user=request.user)
    return render(
        request,
        "org/staff_detail.html",
        {
            "staff": obj,
            "assignments": obj.assignments.select_related("school", "position"),
            "can_change": can_change,
            "assignment_form": form,
        },
    )


@requires("staff.change")
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        assignment = Assignment.objects.select_related("staff", "school", "position").get(
            pk=pk, staff__in=Staff.objects.visible_to(request.user)
        )
    except Assignment.DoesNotExist as exc:
        raise Http404("No such assignment.") from exc
    return _confirm_removal(
        request,
        title="Remove assignment",
        question=f"Remove {assignment}?",
        cancel=f"/org/staff/{assignment.staff_id}/",
        remove=lambda: actions.unassign_staff(assignment, acting_user=request.user),
        done=redirect("org:staff_detail", assignment.staff_id),
    )


@requires("staff.change")
def staff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    obj = get_visible_or_404(Staff.objects, request.user, pk=pk) if pk else None
    return _edit_page(
        request,
        StaffForm(request.POST or None, instance=obj),
        lambda data: actions.save_staff(pk, data, acting_user=request.user),
        title=f"Edit {obj}" if obj else "New staff member",
        cancel=f"/org/staff/{obj.pk}/" if obj else "/org/staff/",
        done=lambda saved: redirect("org:staff_detail", saved.pk),
    )


# ------------------------------------------------------------------ import


@requires("org.import")
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            if kind == "oneroster":
                report = importing.import_oneroster(
                    importing.bundle_from_upload(upload), acting_user=request.user
                )
            elif kind == "schools":
                report = importing.import_schools_csv(
                    upload, acting_user=request.user, name=upload.name
                )
            else:
                report = importing.import_staff_csv(
                    upload, acting_user=request.user, name=upload.name
                )
        except importing.ImportFailed as failure:
            report = failure.report
        except importing.InputRefused as refused:
            # The file as a whole cannot be read safely: say why next to the file field.
            form.add_error("file", str(refused))
    refused_file = request.method == "POST" and form.is_bound and bool(form.errors)
    return render(
        request,
        "org/import.html",
        {"form": form, "report": report},
        status=422 if (report is not None and not report.ok) or refused_file else 200,
    )
