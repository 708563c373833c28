"""The problem-solving workshops: every change to sessions, registrations and note catchers,
checked, in one transaction, audited; and what the pages read.

A session has a number of seats, one per school team. A school registers once per session and,
within a school year, for one session of a level (to move, it cancels first). It takes a seat
while one is free, otherwise it joins the waiting list in the order registered. Until the
session's priority date only designated schools take seats (and only they may register: a
school without a designation registers once the date has passed). A seat given back goes to the
first school waiting that may take it, whose principals are told by email.

Seats are counted under a row lock on the session, so two schools registering at once can never
both take the last seat (on SQLite every write transaction is serialised anyway)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from districtpm.audit.log import record, snapshot
from districtpm.core import plaintext
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM, access_for, require
from districtpm.improvement.actions import principals_of
from districtpm.improvement.models import (
    HighLeverageAction,
    NoteCatcher,
    Registration,
    Workshop,
)
from districtpm.org.models import Designation, School, SchoolYear

log = logging.getLogger(__name__)

S = Registration.Status

# The school levels each kind of session is for: a K-8 school, or one of another kind, may come
# to either.
LEVEL_FITS: dict[str, set[str]] = {
    Workshop.Level.ELEMENTARY: {School.Level.ELEMENTARY, School.Level.K8, School.Level.OTHER},
    Workshop.Level.SECONDARY: {
        School.Level.MIDDLE,
        School.Level.HIGH,
        School.Level.SECONDARY,
        School.Level.K8,
        School.Level.OTHER,
    },
}
MAX_HEADCOUNT = 60
MAX_NOTE_CATCHERS = 10
MAX_NOTE_BYTES = 10 * 1024 * 1024
# The kinds of file a note catcher may be, by extension: its content type and how its first
# bytes begin (a .docx or .xlsx is a zip archive holding the named part).
NOTE_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)"),
    "png": ("image/png", "PNG"),
    "jpg": ("image/jpeg", "JPEG"),
    "jpeg": ("image/jpeg", "JPEG"),
}
NOTE_TYPES_TEXT = "PDF, Word (.docx), Excel (.xlsx), PNG or JPEG"


def _at(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%A %-d %B %Y}, {local:%-I:%M %p}".replace("AM", "a.m.").replace("PM", "p.m.")


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


# ---------------------------------------------------------------- who may take a seat


def designated_ids(year_id: int) -> set[int]:
    """The schools with a designation in the year: the ones seats go to first."""
    return set(
        Designation.objects.filter(school_year_id=year_id).values_list("school_id", flat=True)
    )


def in_priority(workshop: Workshop, now: dt.datetime | None = None) -> bool:
    """Whether the session's seats still go only to designated schools."""
    now = now or timezone.now()
    return workshop.priority_until is not None and now < workshop.priority_until


def fits_level(workshop: Workshop, school: School) -> bool:
    return school.level in LEVEL_FITS.get(workshop.level, set())


def _lock(workshop: Workshop) -> Workshop:
    """The session's row, locked until the transaction ends: whoever counts its seats next
    waits for this one to finish."""
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def seats_taken(workshop: Workshop) -> int:
    return Registration.objects.filter(workshop=workshop, status=S.SEATED).count()


def _fill_seats(workshop: Workshop, *, acting_user: Any, reason: str) -> list[Registration]:
    """Give the session's free seats to the schools waiting, first registered first, that may
    take one now. The caller holds the session's lock."""
    now = timezone.now()
    free = workshop.seats - seats_taken(workshop)
    if free <= 0:
        return []
    waiting = Registration.objects.filter(workshop=workshop, status=S.WAITING).order_by(
        "registered_at", "pk"
    )
    if in_priority(workshop, now):
        waiting = waiting.filter(school_id__in=designated_ids(workshop.school_year_id))
    seated = []
    for registration in waiting.select_related("school")[:free]:
        registration.status, registration.seated_at = S.SEATED, now
        registration.save(update_fields=["status", "seated_at"])
        record(
            actor=acting_user,
            action="improvement.workshop.seat",
            obj=registration,
            before={"status": S.WAITING},
            after={"status": S.SEATED, "school": registration.school.name},
            note=reason,
            source="system" if acting_user is SYSTEM else "web",
        )
        seated.append(registration)
        transaction.on_commit(lambda r=registration, w=workshop: _tell_seated(r, w))
    return seated


# ---------------------------------------------------------------- email


def _send(school_id: int, subject: str, body: str) -> bool:
    """One email to a school's principals. A failed send is logged and changes nothing: the
    seat, or the cancellation, stands, and the page shows it."""
    people = principals_of(school_id)
    if not people:
        return False
    try:
        send_mail(
            subject=plaintext.one_line(subject),
            message=plaintext.clean(body),
            from_email=None,
            recipient_list=[u.email for u in people],
        )
    except (OSError, smtplib.SMTPException, BadHeaderError) as exc:
        log.warning("Workshop email to school %s not sent: %s", school_id, exc)
        return False
    return True


def _link(workshop: Workshop) -> str:
    return settings.DISTRICTPM_BASE_URL + reverse("improvement:workshop", args=[workshop.pk])


def _tell_seated(registration: Registration, workshop: Workshop) -> bool:
    school = registration.school
    return _send(
        school.pk,
        f"{school.name} has a seat at the problem-solving workshop, "
        f"{timezone.localtime(workshop.starts_at):%-d %B}",
        f"Hello,\n\nA seat has come free at “{workshop.title}” and it is {school.name}'s now: "
        f"the school was first on the waiting list.\n\n"
        f"When: {_at(workshop.starts_at)} to {timezone.localtime(workshop.ends_at):%-I:%M %p}\n"
        f"Where: {workshop.place}\n"
        f"Team members registered: {registration.headcount}\n\n"
        "If the team can no longer come, please cancel the registration so the next school "
        f"waiting gets the seat. Preparation, team and cancelling:\n{_link(workshop)}\n\n"
        "District PM",
    )


def _tell_cancelled(school_id: int, school_name: str, workshop: Workshop, reason: str) -> bool:
    return _send(
        school_id,
        f"Problem-solving workshop of {timezone.localtime(workshop.starts_at):%-d %B} cancelled",
        f"Hello,\n\nThe session “{workshop.title}” on {_at(workshop.starts_at)} at "
        f"{workshop.place} will not take place, and {school_name}'s registration for it is "
        f"withdrawn.\n\nReason: {reason}\n\nAnother session may have seats: "
        f"{settings.DISTRICTPM_BASE_URL}{reverse('improvement:workshops')}\n\nDistrict PM",
    )


# ---------------------------------------------------------------- sessions


def _within_year(year: SchoolYear, moment: dt.datetime) -> bool:
    day = timezone.localtime(moment).date()
    return year.start_date - dt.timedelta(days=92) <= day <= year.end_date + dt.timedelta(days=92)


@transaction.atomic
def save_workshop(
    workshop: Workshop,
    *,
    title: str,
    level: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    seats: int,
    priority_until: dt.datetime | None = None,
    acting_user: Any,
) -> Workshop:
    """Set up or change a session. Adding seats gives them to the schools waiting."""
    require(acting_user, workshop, "change", "Only the PM office sets up workshop sessions.")
    before = None
    if workshop.pk is not None:
        workshop = _lock(workshop)
        before = snapshot(workshop)
    errors = []
    title, place = plaintext.one_line(title)[:200], plaintext.one_line(place)[:300]
    if not title:
        errors.append("Give the session a title.")
    if not place:
        errors.append("Say where the session takes place.")
    if level not in Workshop.Level.values:
        errors.append("Choose whether the session is for elementary or secondary schools.")
    if starts_at is None or ends_at is None:
        errors.append("Give the day and the times the session starts and ends.")
    elif ends_at <= starts_at:
        errors.append("The session must end after it starts.")
    elif not _within_year(workshop.school_year, starts_at):
        errors.append(f"A session of {workshop.school_year} takes place in that year.")
    if seats is None or seats < 1:
        errors.append("A session has at least one seat (one school team).")
    elif workshop.pk is not None:
        taken = seats_taken(workshop)
        if seats < taken:
            errors.append(
                f"{taken} school{'s have' if taken != 1 else ' has'} a seat already: keep at "
                f"least {taken} seats, or cancel registrations first."
            )
    if priority_until is not None and starts_at is not None and priority_until > starts_at:
        errors.append("The priority for designated schools ends before the session starts.")
    registered = (
        workshop.pk is not None
        and Registration.objects.filter(workshop=workshop).exclude(status=S.CANCELLED).exists()
    )
    if registered and level != workshop.level:
        errors.append(
            "Schools are registered for this session: its level stays as it is (set up "
            "another session for the other level)."
        )
    if (
        registered
        and starts_at is not None
        and starts_at != workshop.starts_at
        and starts_at <= timezone.now()
    ):
        errors.append("Schools are registered for this session: it cannot move into the past.")
    if errors:
        raise ValidationError(errors)
    workshop.title, workshop.level, workshop.place, workshop.seats = title, level, place, seats
    workshop.starts_at, workshop.ends_at = starts_at, ends_at
    workshop.priority_until = priority_until
    workshop.save()
    record(
        actor=acting_user,
        action="improvement.workshop.save",
        obj=workshop,
        before=before,
        after=snapshot(workshop),
    )
    _fill_seats(workshop, acting_user=acting_user, reason="The session's seats changed.")
    return workshop


@transaction.atomic
def cancel_workshop(workshop: Workshop, *, reason: str, acting_user: Any) -> int:
    """Call a session off: it is removed with its registrations, and every school registered
    (seated or waiting) is told why. Returns how many schools were registered."""
    require(acting_user, workshop, "delete", "Only the PM office cancels workshop sessions.")
    reason = plaintext.one_line(reason)[:500]
    if not reason:
        raise ValidationError("Give the reason the session is cancelled; the schools are told.")
    workshop = _lock(workshop)
    if workshop.starts_at <= timezone.now():
        raise ValidationError("The session has begun or taken place; it cannot be cancelled.")
    registered = list(
        Registration.objects.filter(workshop=workshop)
        .exclude(status=S.CANCELLED)
        .values_list("school_id", "school__name")
    )
    record(
        actor=acting_user,
        action="improvement.workshop.cancel",
        obj=workshop,
        before={**snapshot(workshop), "schools": [name for _, name in registered]},
        note=reason,
    )
    for school_id, name in registered:
        transaction.on_commit(lambda s=school_id, n=name: _tell_cancelled(s, n, workshop, reason))
    files = list(
        NoteCatcher.objects.filter(registration__workshop=workshop).values_list("file", flat=True)
    )
    workshop.delete()
    transaction.on_commit(lambda: _delete_files(files))
    return len(registered)


# ---------------------------------------------------------------- registrations


def _clean_members(members: str) -> str:
    lines = [plaintext.one_line(line) for line in plaintext.clean(members).split("\n")]
    return "\n".join(line for line in lines if line)[:2000]


def _check_headcount(headcount: Any) -> int:
    if not isinstance(headcount, int) or headcount < 1:
        raise ValidationError("Say how many people the team brings: at least one.")
    if headcount > MAX_HEADCOUNT:
        raise ValidationError(
            f"A school team is at most {MAX_HEADCOUNT} people; call the PM office for more."
        )
    return headcount


@transaction.atomic
def register_school(
    workshop: Workshop, school: School, headcount: int, members: str = "", *, acting_user: Any
) -> Registration:
    """Register a school's team for a session: a seat while one is free and the school may
    take it, otherwise a place on the waiting list."""
    registration = Registration(workshop=workshop, school=school)
    require(acting_user, registration, "create", "Only the school's principal registers its team.")
    headcount = _check_headcount(headcount)
    # The school first (no two registrations of one school at once, for two sessions), then
    # the session, always in that order, so two registrations never wait on each other.
    school = School.objects.select_for_update().get(pk=school.pk)
    workshop = _lock(workshop)
    now = timezone.now()
    if workshop.starts_at <= now:
        raise ValidationError("This session has begun or taken place; registration is closed.")
    if not fits_level(workshop, school):
        raise ValidationError(
            f"This session is for {workshop.get_level_display().lower()} schools; "
            f"{school.name} is a {school.get_level_display().lower()} school."
        )
    current = (
        Registration.objects.filter(
            school=school,
            workshop__school_year_id=workshop.school_year_id,
            workshop__level=workshop.level,
        )
        .exclude(status=S.CANCELLED)
        .select_related("workshop")
        .first()
    )
    if current is not None and current.workshop_id == workshop.pk:
        where = "has a seat" if current.status == S.SEATED else "is on the waiting list"
        raise ValidationError(f"{school.name} is registered for this session already: it {where}.")
    if current is not None:
        raise ValidationError(
            f"{school.name} is registered for the session of "
            f"{timezone.localtime(current.workshop.starts_at):%-d %B} already. A school comes "
            "to one session: cancel that registration first to change sessions."
        )
    designated = school.pk in designated_ids(workshop.school_year_id)
    if in_priority(workshop, now) and not designated:
        raise ValidationError(
            f"Until {_at(workshop.priority_until)} this session's seats go to schools "
            f"designated in {workshop.school_year}. {school.name} is not designated: register "
            "after that date, when any seats left are open to every school."
        )
    # A seat given back while the waiting list could not take it is taken by them first.
    _fill_seats(workshop, acting_user=acting_user, reason="Seats were free at a registration.")
    seated = seats_taken(workshop) < workshop.seats
    registration.status = S.SEATED if seated else S.WAITING
    registration.seated_at = now if seated else None
    registration.headcount = headcount
    registration.members = _clean_members(members)
    registration.registered_by = _user(acting_user)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise ValidationError(f"{school.name} is registered for this session already.") from None
    record(
        actor=acting_user,
        action="improvement.workshop.register",
        obj=registration,
        after=snapshot(registration, ["school", "status", "headcount", "members"]),
    )
    return registration


@transaction.atomic
def update_registration(
    registration: Registration, *, headcount: int, members: str, acting_user: Any
) -> Registration:
    """Change how many come from the school and who they are."""
    require(acting_user, registration, "change", "Only the school's principal changes its team.")
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == S.CANCELLED:
        raise ValidationError("This registration is cancelled; register again instead.")
    before = snapshot(registration, ["headcount", "members"])
    registration.headcount = _check_headcount(headcount)
    registration.members = _clean_members(members)
    registration.save(update_fields=["headcount", "members"])
    after = snapshot(registration, ["headcount", "members"])
    if after != before:
        record(
            actor=acting_user,
            action="improvement.workshop.team",
            obj=registration,
            before=before,
            after=after,
        )
    return registration


@transaction.atomic
def cancel_registration(registration: Registration, *, acting_user: Any) -> list[Registration]:
    """Withdraw a school's registration. A seat it held goes to the first school waiting that
    may take it (returned, and told by email once this commits)."""
    require(acting_user, registration, "change", "Only the school's principal cancels its team.")
    workshop = _lock(registration.workshop)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == S.CANCELLED:
        raise ValidationError("This registration is cancelled already.")
    if workshop.starts_at <= timezone.now():
        raise ValidationError("The session has begun or taken place; it cannot be cancelled.")
    was = registration.status
    registration.status = S.CANCELLED
    registration.save(update_fields=["status"])
    record(
        actor=acting_user,
        action="improvement.workshop.cancel_registration",
        obj=registration,
        before={"status": was},
        after={"status": S.CANCELLED, "school": str(registration.school)},
    )
    if was != S.SEATED:
        return []
    return _fill_seats(
        workshop, acting_user=acting_user, reason=f"{registration.school} gave its seat back."
    )


@transaction.atomic
def record_attendance(
    workshop: Workshop, present: Iterable[int], *, acting_user: Any
) -> dict[str, bool]:
    """Record which seated schools came (the ids of their registrations); every other seated
    school did not. Returns each seated school's name and whether it came."""
    require(acting_user, workshop, "change", "Only the PM office records who came.")
    workshop = _lock(workshop)
    if workshop.starts_at > timezone.now():
        raise ValidationError("Attendance is recorded once the session has begun.")
    present = set(present)
    before, after = {}, {}
    for registration in Registration.objects.filter(
        workshop=workshop, status=S.SEATED
    ).select_related("school"):
        came = registration.pk in present
        before[registration.school.name] = registration.attended
        after[registration.school.name] = came
        if registration.attended != came:
            registration.attended = came
            registration.save(update_fields=["attended"])
    if before != after:
        record(
            actor=acting_user,
            action="improvement.workshop.attendance",
            obj=workshop,
            before=before,
            after=after,
        )
    return after


# ---------------------------------------------------------------- note catchers


def safe_filename(name: str, extension: str) -> str:
    """A file name fit for a download header: the last part of what was uploaded, letters,
    digits and a few signs only, with its extension."""
    base = re.split(r"[\\/]", plaintext.one_line(name))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^\w .()-]+", "_", stem, flags=re.ASCII).strip(" ._")[:100]
    return f"{stem or 'note-catcher'}.{extension}"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _looks_like(upload: Any, extension: str) -> bool:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in ("docx", "xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        part = "word/document.xml" if extension == "docx" else "xl/workbook.xml"
        try:
            with zipfile.ZipFile(upload) as archive:
                return part in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
    return False


def check_note_catcher(upload: Any) -> str:
    """The upload's extension if it is a note catcher we keep; ValidationError saying why
    not otherwise."""
    if upload is None:
        raise ValidationError("Choose the note catcher's file.")
    extension = _extension(str(getattr(upload, "name", "")))
    if extension not in NOTE_TYPES:
        raise ValidationError(f"A note catcher is a {NOTE_TYPES_TEXT} file.")
    size = getattr(upload, "size", None) or 0
    if size > MAX_NOTE_BYTES:
        raise ValidationError(
            f"The file is {size / 1024 / 1024:.1f} MB; a note catcher is at most "
            f"{MAX_NOTE_BYTES // 1024 // 1024} MB."
        )
    if size == 0:
        raise ValidationError("The file is empty.")
    if not _looks_like(upload, extension):
        raise ValidationError(
            f"The file is named .{extension} but is not a {NOTE_TYPES[extension][1]} file."
        )
    return extension


@transaction.atomic
def upload_note_catcher(
    registration: Registration, upload: Any, *, acting_user: Any
) -> NoteCatcher:
    """Keep a note catcher the school's team filled in to prepare."""
    note = NoteCatcher(registration=registration)
    require(acting_user, note, "change", "Only the school's principal adds its note catchers.")
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == S.CANCELLED:
        raise ValidationError("This registration is cancelled.")
    if NoteCatcher.objects.filter(registration=registration).count() >= MAX_NOTE_CATCHERS:
        raise ValidationError(
            f"A registration keeps at most {MAX_NOTE_CATCHERS} note catchers; remove one first."
        )
    extension = check_note_catcher(upload)
    note.registration = registration
    note.name = safe_filename(str(upload.name), extension)
    note.uploaded_by = _user(acting_user)
    # Stored under a name of our own: what was typed into the upload never reaches the disk.
    note.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    note.save()
    record(
        actor=acting_user,
        action="improvement.workshop.note_catcher.add",
        obj=note,
        after={"name": note.name, "school": str(registration.school)},
    )
    return note


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError as exc:  # a file left behind is harmless; the row is gone
                log.warning("Note catcher file %s not removed: %s", name, exc)


@transaction.atomic
def remove_note_catcher(note: NoteCatcher, *, acting_user: Any) -> None:
    require(acting_user, note, "delete", "Only the school's principal removes its note catchers.")
    record(
        actor=acting_user,
        action="improvement.workshop.note_catcher.remove",
        obj=note,
        before={"name": note.name},
    )
    name = note.file.name
    note.delete()
    transaction.on_commit(lambda: _delete_files([name]))


def content_type(note: NoteCatcher) -> str:
    return NOTE_TYPES.get(_extension(note.file.name), ("application/octet-stream", ""))[0]


# ---------------------------------------------------------------- what the pages read


@dataclass
class Place:
    """Where one of the user's schools stands for a session."""

    registration: Registration
    position: int | None = None  # on the waiting list: 1 for the first school waiting

    @property
    def label(self) -> str:
        if self.registration.status == S.SEATED:
            return "Seat taken"
        return f"Waiting list, number {self.position}"


@dataclass
class Session:
    """A session as the list shows it."""

    workshop: Workshop
    seated: int
    waiting: int
    places: list[Place] = field(default_factory=list)
    fits: bool = True  # whether one of the user's own schools is of the session's level

    @property
    def left(self) -> int:
        return max(self.workshop.seats - self.seated, 0)

    @property
    def priority(self) -> bool:
        return in_priority(self.workshop)

    @property
    def past(self) -> bool:
        return self.workshop.starts_at <= timezone.now()


def own_school_ids(user: Any) -> frozenset[int]:
    """The schools whose place a user is shown on the list: a principal's or ILT member's."""
    return access_for(user).schools_for(Role.PRINCIPAL, Role.EVALUATOR)


def _positions(workshop_ids: Iterable[int]) -> dict[int, int]:
    """Each waiting registration's place in its session's queue (ids, not schools, are read)."""
    positions: dict[int, int] = {}
    counters: dict[int, int] = {}
    for pk, workshop_id in (
        Registration.objects.filter(workshop_id__in=list(workshop_ids), status=S.WAITING)
        .order_by("workshop_id", "registered_at", "pk")
        .values_list("pk", "workshop_id")
    ):
        counters[workshop_id] = counters.get(workshop_id, 0) + 1
        positions[pk] = counters[workshop_id]
    return positions


def sessions(user: Any, year: SchoolYear | None, level: str = "") -> list[Session]:
    """The year's sessions with their seats taken and waiting counts, and the user's own
    schools' places; a fixed number of queries however many sessions and schools."""
    if year is None:
        return []
    rows = Workshop.objects.visible_to(user).filter(school_year=year)
    if level in Workshop.Level.values:
        rows = rows.filter(level=level)
    rows = rows.annotate(
        n_seated=Count("registrations", filter=Q(registrations__status=S.SEATED)),
        n_waiting=Count("registrations", filter=Q(registrations__status=S.WAITING)),
    )
    result = {w.pk: Session(w, w.n_seated, w.n_waiting) for w in rows}
    own = own_school_ids(user)
    if own:
        schools = list(School.objects.filter(pk__in=own))
        for session in result.values():
            session.fits = any(fits_level(session.workshop, school) for school in schools)
    if own and result:
        mine = list(
            Registration.objects.visible_to(user)
            .filter(workshop_id__in=list(result), school_id__in=own)
            .exclude(status=S.CANCELLED)
            .select_related("school")
        )
        positions = _positions(result) if any(r.status == S.WAITING for r in mine) else {}
        for registration in mine:
            result[registration.workshop_id].places.append(
                Place(registration, positions.get(registration.pk))
            )
    return list(result.values())


@dataclass
class Preparation:
    """A registered school's checklist before its session."""

    registration: Registration
    actions: int
    note_catchers: list[NoteCatcher]

    @property
    def actions_done(self) -> bool:
        return 2 <= self.actions <= 4

    @property
    def notes_done(self) -> bool:
        return bool(self.note_catchers)


def preparation(registration: Registration, user: Any) -> Preparation:
    actions = (
        HighLeverageAction.objects.visible_to(user)
        .filter(
            school_id=registration.school_id, school_year_id=registration.workshop.school_year_id
        )
        .count()
    )
    notes = list(NoteCatcher.objects.visible_to(user).filter(registration=registration))
    return Preparation(registration, actions, notes)


@dataclass
class Roster:
    """A session's registrations the user may read: the seated schools (with the totals the PM
    office orders food and pays teachers' time by) and the waiting list in order."""

    seated: list[Registration]
    waiting: list[tuple[int, Registration]]
    cancelled: list[Registration]
    designated: set[int]

    @property
    def headcount(self) -> int:
        return sum(r.headcount for r in self.seated)

    @property
    def waiting_headcount(self) -> int:
        return sum(r.headcount for _, r in self.waiting)


def roster(workshop: Workshop, user: Any) -> Roster:
    rows = list(
        Registration.objects.visible_to(user)
        .filter(workshop=workshop)
        .select_related("school", "registered_by")
        .order_by("registered_at", "pk")
    )
    waiting = [r for r in rows if r.status == S.WAITING]
    positions = _positions([workshop.pk]) if waiting else {}
    return Roster(
        seated=[r for r in rows if r.status == S.SEATED],
        waiting=[(positions.get(r.pk, 0), r) for r in waiting],
        cancelled=[r for r in rows if r.status == S.CANCELLED],
        designated=designated_ids(workshop.school_year_id),
    )


def attendance_for(school: School, user: Any) -> list[Registration]:
    """The school's seats at sessions that have taken place, latest first, each with whether
    the team came (`attended`: True, False, or None when nobody has recorded it yet), as far
    as the user may read the school's registrations: the problem-solving record's attendance."""
    return list(
        Registration.objects.visible_to(user)
        .filter(school=school, status=S.SEATED, workshop__starts_at__lt=timezone.now())
        .select_related("workshop")
        .order_by("-workshop__starts_at", "pk")
    )
