"""Who may see and change school visits: the app's permissions, its scope rule for reading, and
its rule for changing, which a visit takes from its school (`follows`)."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import DISTRICT_LEADERS, SCHOOL_ROLES, Role, register_permissions
from districtpm.core.scoping import Access, follows, scope_rule
from districtpm.org.rules import assigned_schools

register_permissions(
    {
        "skeleton.view": DISTRICT_LEADERS | SCHOOL_ROLES,
        "skeleton.change": DISTRICT_LEADERS | {Role.PRINCIPAL},
    }
)


def visited_schools(access: Access) -> Q | None:
    """The schools whose visits a user sees, as a filter on schools (None for none)."""
    if not access.can("skeleton.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return assigned_schools(access)


@scope_rule("skeleton.SchoolVisit")
def school_visits(access: Access) -> Q | None:
    """A visit is seen by whoever sees its school's visits."""
    from districtpm.org.models import School

    schools = visited_schools(access)
    if schools is None:
        return None
    return Q(school__in=School.objects.filter(schools).values("id"))


def recording_schools(access: Access) -> Q | None:
    """The schools whose visits a user records: those whose visits they see, if they may change."""
    return visited_schools(access) if access.can("skeleton.change") else None


# Recording or removing a visit is decided by its school: `restrict(user, "change")`, `allowed`,
# `require` and `parents_reached(SchoolVisit, user)` all answer from this one rule.
follows(
    "skeleton.SchoolVisit", parent="school", actions=("change", "delete"), via=recording_schools
)
