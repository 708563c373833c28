"""Every change to school visits: each one checks, runs in one transaction and is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from districtpm.audit.log import recorded_change
from districtpm.org.models import School
from districtpm.skeleton.models import SchoolVisit


def record_visit(
    school: School, visited_on: dt.date, focus: str, *, acting_user: Any
) -> SchoolVisit:
    """Record a visit to a school the acting user may record visits for."""
    visit = SchoolVisit(school=school)
    with recorded_change(
        visit,
        acting_user=acting_user,
        action="skeleton.visit.create",
        message="Your role does not allow recording visits to this school.",
    ):
        visit.visited_on, visit.focus = visited_on, focus
    return visit
