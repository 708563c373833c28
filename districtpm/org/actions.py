"""Every change to the organisation goes through here: permission, transaction, audit row."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import require
from districtpm.org.models import (
    Assignment,
    CalendarEvent,
    Designation,
    Network,
    School,
    SchoolYear,
    Staff,
)


def _save_audited(
    model: type[models.Model],
    pk: int | None,
    data: dict[str, Any],
    *,
    acting_user: Any,
    action: str,
    source: str = "web",
    defaults: dict[str, Any] | None = None,
) -> models.Model:
    """Create (pk None) or update one row from validated data and log before and after."""
    if pk is None:
        obj = model(**(defaults or {}))
        before = None
    else:
        obj = model.objects.select_for_update().get(pk=pk)
        before = snapshot(obj)
    m2m = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = value
        else:
            setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    after = snapshot(obj)
    if before != after:
        record(actor=acting_user, action=action, obj=obj, before=before, after=after, source=source)
    return obj


@transaction.atomic
def save_school(
    school_id: int | None, data: dict[str, Any], *, acting_user: Any, district: Any = None
) -> School:
    require(acting_user, School)
    action = "org.school.create" if school_id is None else "org.school.update"
    defaults = {"district": district} if district is not None else None
    return _save_audited(
        School, school_id, data, acting_user=acting_user, action=action, defaults=defaults
    )


@transaction.atomic
def save_network(
    network_id: int | None, data: dict[str, Any], *, acting_user: Any, district: Any = None
) -> Network:
    require(acting_user, Network)
    action = "org.network.create" if network_id is None else "org.network.update"
    defaults = {"district": district} if district is not None else None
    return _save_audited(
        Network, network_id, data, acting_user=acting_user, action=action, defaults=defaults
    )


@transaction.atomic
def save_school_year(
    year_id: int | None, data: dict[str, Any], *, acting_user: Any, district: Any = None
) -> SchoolYear:
    require(acting_user, SchoolYear)
    action = "org.schoolyear.create" if year_id is None else "org.schoolyear.update"
    defaults = {"district": district} if district is not None else None
    return _save_audited(
        SchoolYear, year_id, data, acting_user=acting_user, action=action, defaults=defaults
    )


@transaction.atomic
def save_calendar_event(
    event_id: int | None, data: dict[str, Any], *, acting_user: Any, school_year: SchoolYear
) -> CalendarEvent:
    require(acting_user, CalendarEvent(school_year=school_year))
    action = "org.calendar.create" if event_id is None else "org.calendar.update"
    return _save_audited(
        CalendarEvent,
        event_id,
        data,
        acting_user=acting_user,
        action=action,
        defaults={"school_year": school_year},
    )


@transaction.atomic
def delete_calendar_event(event: CalendarEvent, *, acting_user: Any) -> None:
    require(acting_user, event, "delete")
    record(actor=acting_user, action="org.calendar.delete", obj=event, before=snapshot(event))
    event.delete()


@transaction.atomic
def save_staff(staff_id: int | None, data: dict[str, Any], *, acting_user: Any) -> Staff:
    require(acting_user, Staff)
    action = "org.staff.create" if staff_id is None else "org.staff.update"
    return _save_audited(Staff, staff_id, data, acting_user=acting_user, action=action)


@transaction.atomic
def set_designation(
    school: School, school_year: SchoolYear, kind: str, *, acting_user: Any, note: str = ""
) -> Designation:
    require(acting_user, Designation(school=school))
    designation, created = Designation.objects.get_or_create(
        school=school, school_year=school_year, kind=kind, defaults={"note": note}
    )
    if created:
        record(
            actor=acting_user,
            action="org.designation.add",
            obj=school,
            before=None,
            after={"designation": str(designation)},
        )
    return designation


@transaction.atomic
def remove_designation(designation: Designation, *, acting_user: Any) -> None:
    require(acting_user, designation, "delete")
    record(
        actor=acting_user,
        action="org.designation.remove",
        obj=designation.school,
        before={"designation": str(designation)},
        after=None,
    )
    designation.delete()


@transaction.atomic
def assign_staff(
    staff: Staff, school: School, position: Any, *, acting_user: Any, fte: Any = 1
) -> Assignment:
    require(acting_user, Assignment(staff=staff))
    assignment, created = Assignment.objects.get_or_create(
        staff=staff, school=school, position=position, defaults={"fte": fte}
    )
    if created:
        record(
            actor=acting_user,
            action="org.assignment.add",
            obj=staff,
            before=None,
            after={"assignment": str(assignment)},
        )
    return assignment


@transaction.atomic
def unassign_staff(assignment: Assignment, *, acting_user: Any) -> None:
    require(acting_user, assignment, "delete")
    record(
        actor=acting_user,
        action="org.assignment.remove",
        obj=assignment.staff,
        before={"assignment": str(assignment)},
        after=None,
    )
    assignment.delete()


def record_personnel_read(staff: Staff, *, acting_user: Any) -> None:
    """Reading someone else's personnel record is itself recorded."""
    if getattr(acting_user, "pk", None) and staff.user_id != acting_user.pk:
        record(actor=acting_user, action="org.staff.read", obj=staff)
