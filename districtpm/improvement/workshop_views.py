"""The problem-solving workshops' pages: the year's sessions, one session (its registrations for
the PM office, a school's own registration and preparation for its principal), and the forms
that set a session up. Read through the scope rules, written through workshops.py's actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from districtpm.core.access import get_visible_or_404, requires
from districtpm.core.roles import DISTRICT_LEADERS
from districtpm.core.roles import Role as R
from districtpm.core.scoping import access_for, allowed, parents_reached
from districtpm.improvement import workshops
from districtpm.improvement.models import NoteCatcher, Registration, Workshop
from districtpm.improvement.views import _int
from districtpm.org.models import School, SchoolYear

S = Registration.Status


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class WorkshopForm(forms.Form):
    school_year = forms.ModelChoiceField(
        queryset=SchoolYear.objects.order_by("-start_date"), label="School year"
    )
    title = forms.CharField(max_length=200, initial="Collaborative problem-solving workshop")
    level = forms.ChoiceField(choices=Workshop.Level.choices, label="For")
    starts_at = forms.DateTimeField(widget=DateTimeInput, label="Starts")
    ends_at = forms.DateTimeField(widget=DateTimeInput, label="Ends")
    place = forms.CharField(max_length=300, label="Place")
    seats = forms.IntegerField(
        min_value=1,
        max_value=200,
        label="Seats (school teams)",
        help_text="Each seat is one school's team, however many people it brings.",
    )
    priority_until = forms.DateTimeField(
        widget=DateTimeInput,
        required=False,
        label="Designated schools only until",
        help_text="Until then only schools with a designation this year can register; leave "
        "empty to open the session to every school at once.",
    )


class TeamForm(forms.Form):
    headcount = forms.IntegerField(
        min_value=1,
        max_value=workshops.MAX_HEADCOUNT,
        initial=6,
        label="People coming",
        help_text="The whole team, for the working supper and for teachers' off-contract pay.",
    )
    members = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Team members",
        help_text="One name per line. Usually the team that did the self-assessment.",
    )


class RegisterForm(TeamForm):
    school = forms.ModelChoiceField(queryset=None, label="School")

    field_order = ["school", "headcount", "members"]

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        only = list(schools[:2])
        if len(only) == 1:
            self.fields["school"].initial = only[0].pk


class NoteCatcherForm(forms.Form):
    file = forms.FileField(
        label="Note catcher",
        help_text=f"A {workshops.NOTE_TYPES_TEXT} file of at most "
        f"{workshops.MAX_NOTE_BYTES // 1024 // 1024} MB.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
        help_text="Sent to the principals of every school registered.",
    )


def _year(request: HttpRequest) -> SchoolYear | None:
    name = request.GET.get("year") or ""
    return SchoolYear.objects.filter(name=name).first() or SchoolYear.objects.current()


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _session_url(workshop_id: int, anchor: str = "") -> str:
    return reverse("improvement:workshop", args=[workshop_id]) + (f"#{anchor}" if anchor else "")


# ---------------------------------------------------------------- the year's sessions


@requires("improvement.view")
def workshop_list(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    level = request.GET.get("level", "")
    rows = workshops.sessions(request.user, year, level)
    return render(
        request,
        "improvement/workshops.html",
        {
            "year": year,
            "years": SchoolYear.objects.order_by("-start_date"),
            "level": level,
            "levels": Workshop.Level.choices,
            "sessions": rows,
            "can_manage": allowed(request.user, Workshop, "change"),
            "can_register": parents_reached(Registration, request.user, "create").exists(),
            "own": bool(workshops.own_school_ids(request.user)),
        },
    )


# ---------------------------------------------------------------- one session


def _register_form_schools(request: HttpRequest, workshop: Workshop) -> Any:
    """The schools the user may register for this session that are not registered for it."""
    if workshop.starts_at <= timezone.now():
        return School.objects.none()
    # A school comes to one session of its level a year: one registered anywhere is not offered.
    taken = Registration.objects.filter(
        workshop__school_year_id=workshop.school_year_id, workshop__level=workshop.level
    ).exclude(status=S.CANCELLED)
    schools = (
        parents_reached(Registration, request.user, "create")
        .filter(active=True, level__in=workshops.LEVEL_FITS[workshop.level])
        .exclude(pk__in=taken.values("school_id"))
        .order_by("name")
    )
    return schools


@requires("improvement.view")
def workshop(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(
        Workshop.objects.select_related("school_year"), request.user, pk=pk
    )
    access = access_for(request.user)
    own_ids = workshops.own_school_ids(request.user)
    roster = workshops.roster(session, request.user)
    positions = {r.pk: n for n, r in roster.waiting}
    own = []
    for registration in [*roster.seated, *(r for _, r in roster.waiting)]:
        if registration.school_id in own_ids:
            can_change = allowed(request.user, registration, "change")
            own.append(
                {
                    "r": registration,
                    "position": positions.get(registration.pk),
                    "prep": workshops.preparation(registration, request.user),
                    "can_change": can_change,
                    "team_form": TeamForm(
                        initial={
                            "headcount": registration.headcount,
                            "members": registration.members,
                        },
                        prefix=f"team-{registration.pk}",
                    ),
                    "note_form": NoteCatcherForm(prefix=f"note-{registration.pk}"),
                }
            )
    schools = _register_form_schools(request, session)
    elsewhere = (
        Registration.objects.visible_to(request.user)
        .filter(
            school_id__in=own_ids,
            workshop__school_year_id=session.school_year_id,
            workshop__level=session.level,
        )
        .exclude(workshop=session)
        .exclude(status=S.CANCELLED)
        .select_related("school", "workshop")
        if own_ids
        else []
    )
    started = session.starts_at <= timezone.now()
    taken = workshops.seats_taken(session)
    can_manage = allowed(request.user, session, "change")
    return render(
        request,
        "improvement/workshop.html",
        {
            "w": session,
            "roster": roster,
            "sees_roster": access.has_role(*DISTRICT_LEADERS, R.NETWORK_SUPERVISOR),
            "own": own,
            "elsewhere": list(elsewhere),
            "register_form": RegisterForm(schools=schools) if schools.exists() else None,
            "taken": taken,
            "left": max(session.seats - taken, 0),
            "waiting": Registration.objects.filter(workshop=session, status=S.WAITING).count(),
            "priority": workshops.in_priority(session),
            "started": started,
            "can_manage": can_manage,
            "can_attend": can_manage and started,
            "ended": session.ends_at <= timezone.now(),
        },
    )


@requires("improvement.rules")
def workshop_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@requires("improvement.rules")
def workshop_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_visible_or_404(Workshop.objects, request.user, pk=pk))


def _edit(request: HttpRequest, session: Workshop | None) -> HttpResponse:
    if session is not None:
        initial = {
            "school_year": session.school_year_id,
            "title": session.title,
            "level": session.level,
            "starts_at": timezone.localtime(session.starts_at),
            "ends_at": timezone.localtime(session.ends_at),
            "place": session.place,
            "seats": session.seats,
            "priority_until": timezone.localtime(session.priority_until)
            if session.priority_until
            else None,
        }
    else:
        initial = {"school_year": _year(request)}
    form = WorkshopForm(request.POST or None, initial=initial)
    if session is not None:
        form.fields["school_year"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = session or Workshop(school_year=data["school_year"])
        try:
            saved = workshops.save_workshop(
                target,
                title=data["title"],
                level=data["level"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                seats=data["seats"],
                priority_until=data.get("priority_until"),
                acting_user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Session saved: {saved}.")
            return redirect("improvement:workshop", saved.pk)
    return render(
        request,
        "improvement/workshop_form.html",
        {
            "form": form,
            "w": session,
            "title": f"Change the session {session}" if session else "New workshop session",
            "cancel": _session_url(session.pk) if session else reverse("improvement:workshops"),
        },
    )


@requires("improvement.rules")
def workshop_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(Workshop.objects, request.user, pk=pk)
    registered = Registration.objects.filter(workshop=session).exclude(status=S.CANCELLED).count()
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            n = workshops.cancel_workshop(
                session, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Session cancelled; the principals of {n} registered "
                f"school{'s' * (n != 1)} are told by email.",
            )
            return redirect("improvement:workshops")
    return render(
        request,
        "improvement/workshop_cancel.html",
        {"w": session, "form": form, "registered": registered},
    )


@requires("improvement.view")
@require_POST
def workshop_register(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(Workshop.objects, request.user, pk=pk)
    schools = parents_reached(Registration, request.user, "create")
    if not schools.exists():
        raise PermissionDenied("Only a school's principal registers its team.")
    school_id = request.POST.get("school", "")
    target = schools.filter(pk=_int(school_id)).first() if _int(school_id) else None
    if target is None:
        raise Http404("No such school, or it is outside your access.")
    form = TeamForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(_session_url(session.pk, "register"))
    data = form.cleaned_data
    try:
        registration = workshops.register_school(
            session, target, data["headcount"], data["members"], acting_user=request.user
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(_session_url(session.pk, "register"))
    if registration.status == S.SEATED:
        messages.success(request, f"{registration.school.name} has a seat at this session.")
    else:
        messages.success(
            request,
            f"The session is full: {registration.school.name} is on the waiting list, and its "
            "principals are emailed if a seat comes free.",
        )
    return redirect(_session_url(session.pk, f"registration-{registration.pk}"))


def _registration(request: HttpRequest, pk: int) -> Registration:
    return get_visible_or_404(
        Registration.objects.select_related("school", "workshop"), request.user, pk=pk
    )


@requires("improvement.view")
@require_POST
def workshop_team(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    form = TeamForm(request.POST, prefix=f"team-{registration.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        try:
            workshops.update_registration(
                registration,
                headcount=form.cleaned_data["headcount"],
                members=form.cleaned_data["members"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{registration.school.name}'s team saved.")
    return redirect(_session_url(registration.workshop_id, f"registration-{registration.pk}"))


@requires("improvement.view")
def workshop_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a school's registration, after asking."""
    registration = _registration(request, pk)
    if not allowed(request.user, registration, "change"):
        raise PermissionDenied("Only the school's principal cancels its team.")
    if registration.status == S.CANCELLED:
        messages.error(request, "This registration is cancelled already.")
        return redirect(_session_url(registration.workshop_id))
    if request.method == "POST":
        try:
            seated = workshops.cancel_registration(registration, acting_user=request.user)
        except ValidationError as exc:
            _errors(request, exc)
            return redirect(_session_url(registration.workshop_id))
        message = f"{registration.school.name}'s registration is cancelled."
        if seated:
            message += " Its seat goes to the first school waiting, whose principals are told."
        messages.success(request, message)
        return redirect(_session_url(registration.workshop_id))
    return render(request, "improvement/workshop_withdraw.html", {"r": registration})


@requires("improvement.rules")
@require_POST
def workshop_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(Workshop.objects, request.user, pk=pk)
    present = {_int(v) for v in request.POST.getlist("came")} - {0}
    try:
        came = workshops.record_attendance(session, present, acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        n = sum(came.values())
        messages.success(
            request,
            f"Attendance recorded: {n} of {len(came)} seated school{'s' * (len(came) != 1)} came.",
        )
    return redirect(_session_url(session.pk, "attendance"))


@requires("improvement.view")
@require_POST
def workshop_note_upload(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _registration(request, pk)
    upload = request.FILES.get(f"note-{registration.pk}-file")
    try:
        note = workshops.upload_note_catcher(registration, upload, acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Note catcher “{note.name}” kept.")
    return redirect(_session_url(registration.workshop_id, f"notes-{registration.pk}"))


@requires("improvement.view")
def workshop_note(request: HttpRequest, pk: int) -> FileResponse:
    note = get_visible_or_404(NoteCatcher.objects, request.user, pk=pk)
    try:
        handle = note.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("The file is missing.") from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=note.name,
        content_type=workshops.content_type(note),
    )


@requires("improvement.view")
@require_POST
def workshop_note_remove(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_visible_or_404(
        NoteCatcher.objects.select_related("registration"), request.user, pk=pk
    )
    workshops.remove_note_catcher(note, acting_user=request.user)
    messages.success(request, f"Note catcher “{note.name}” removed.")
    return redirect(_session_url(note.registration.workshop_id, f"notes-{note.registration_id}"))
