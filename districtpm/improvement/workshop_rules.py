"""Who sees and changes workshops, registrations and note catchers.

Sessions (times, place, seats left) are read by everyone who reads school improvement; the PM
office and the district admin set them up, change and cancel them, and record who came. A
school's registration is read like its problem statements (its team, its network's supervisor,
district leaders) and changed by its principal (or by the PM office, who also registers a school
that phones in). Nobody else sees another school's registration. A note catcher goes with its
registration: read, added and removed exactly as the registration is read and changed."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule
from districtpm.improvement.rules import problem_statements


@scope_rule("improvement.Workshop")
def sessions(access: Access) -> Q | None:
    return Q() if access.can("improvement.view") else None


@scope_rule("improvement.Workshop", "change")
@scope_rule("improvement.Workshop", "delete")
def managed_sessions(access: Access) -> Q | None:
    return Q() if access.can("improvement.rules") else None


# The registrations of the schools whose improvement work the user reads: like their problem
# statements.
scope_rule("improvement.Registration")(problem_statements)


def registering_schools(access: Access) -> Q | None:
    """The schools (a filter on School) a user registers and whose registrations they change:
    a principal's own; every school for the PM office and the district admin."""
    if not access.can("improvement.view"):
        return None
    if access.can("improvement.rules"):
        return Q()
    school_ids = access.schools_for(R.PRINCIPAL)
    return Q(id__in=school_ids) if school_ids else None


# A new registration is checked against its school.
follows("improvement.Registration", parent="school", actions=("create",), via=registering_schools)


@scope_rule("improvement.Registration", "change")
@scope_rule("improvement.Registration", "delete")
def registrations_changed(access: Access) -> Q | None:
    schools = registering_schools(access)
    if schools is None:
        return None
    if not schools:
        return Q()
    return Q(school_id__in=access.schools_for(R.PRINCIPAL))


# Note catchers: seen with their registration, added and removed by whoever changes it.
follows("improvement.NoteCatcher", parent="registration")


def attendance_recorders(access: Access) -> bool:
    """Who records which seated schools came: the PM office and the district admin."""
    return access.can("improvement.rules")
