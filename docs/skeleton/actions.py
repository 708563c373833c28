"""Every change to school visits: permission, transaction and audit row in one place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import access_for
from districtpm.org.models import School
from districtpm.skeleton.models import SchoolVisit
from districtpm.skeleton.rules import visited_schools


def schools_for_visits(user: Any):
    """The schools a user may record visits for: those whose visits they would then see."""
    access = access_for(user)
    if access.is_superuser:
        return School.objects.all()
    schools = visited_schools(access) if access.can("skeleton.change") else None
    return School.objects.none() if schools is None else School.objects.filter(schools)


@transaction.atomic
def record_visit(
    school: School, visited_on: dt.date, focus: str, *, acting_user: Any
) -> SchoolVisit:
    """Record a visit to a school the acting user may record visits for."""
    if not schools_for_visits(acting_user).filter(pk=school.pk).exists():
        raise PermissionDenied("Your role does not allow recording visits to this school.")
    visit = SchoolVisit(school=school, visited_on=visited_on, focus=focus)
    visit.full_clean()
    visit.save()
    record(actor=acting_user, action="skeleton.visit.create", obj=visit, after=snapshot(visit))
    return visit
