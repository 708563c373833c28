"""The organisation's permissions, which of its rows each user sees and changes, and the helpers
every app's rules use to bound a user to their schools and networks."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ACTION_TEAMS, ALL_ROLES, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule

PERMISSIONS = {
    "org.view": ALL_ROLES - {R.TEACHER},
    "org.change": {R.DISTRICT_ADMIN},
    "org.calendar.change": {R.DISTRICT_ADMIN, R.PM_OFFICE},
    "org.import": {R.DISTRICT_ADMIN},
    "staff.view": {
        R.DISTRICT_ADMIN,
        R.PM_OFFICE,
        R.HR_PARTNER,
        R.NETWORK_SUPERVISOR,
        R.PRINCIPAL,
        R.EVALUATOR,
        R.TEACHER,
    },
    "staff.change": {R.DISTRICT_ADMIN, R.HR_PARTNER},
}
register_permissions(PERMISSIONS)


def _held(permission: str):
    """A rule reaching every row for holders of one permission, none for anybody else."""

    def rule(access: Access) -> Q | None:
        return Q() if access.can(permission) else None

    return rule


scope_rule("org.Network", "change")(_held("org.change"))
scope_rule("org.School", "change")(_held("org.change"))
scope_rule("org.SchoolYear", "change")(_held("org.calendar.change"))
scope_rule("org.Staff", "change")(_held("staff.change"))
# Imports create and update schools and staff in bulk: a permission of their own.
scope_rule("org.School", "import")(_held("org.import"))
scope_rule("org.Staff", "import")(_held("org.import"))
# A school's designations, a year's calendar and a person's assignments change with their parent.
follows("org.Designation", parent="school", actions=("change", "delete"))
follows("org.CalendarEvent", parent="school_year", actions=("change", "delete"))
follows("org.Assignment", parent="staff", actions=("change", "delete"))


# ---------------------------------------------------------------- who sees which rows

# Two different questions, two sets (DESIGN.md, "Who uses it"):
# ALL_SCHOOLS answers "whom does the organisation directory list every school and network to?"
# — names, levels, addresses: what anyone working across the district needs to find their way.
# ALL_SCHOOL_DATA answers "who reads every school's and network's *data*?" — metric values and
# goals. Action teams are in the first and not the second: they see "their team's plans;
# district aggregates", so their data scope is the district level only. Data rules must never
# derive a data scope from the directory (School.objects.visible_to) for that reason; they use
# assigned_schools / assigned_networks, which count only school- and network-bound roles.
ALL_SCHOOLS = {
    R.DISTRICT_ADMIN,
    R.PM_OFFICE,
    R.SENIOR_LEADER,
    R.HR_PARTNER,
    R.BOARD_MEMBER,
    R.ACTION_TEAM_LEAD,
    R.ACTION_TEAM_MEMBER,
}
ALL_SCHOOL_DATA = ALL_SCHOOLS - ACTION_TEAMS
# Roles that see every personnel record.
ALL_STAFF = {R.DISTRICT_ADMIN, R.HR_PARTNER, R.PM_OFFICE}


def any_of(conditions: list[Q]) -> Q | None:
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def assigned_schools(access: Access) -> Q | None:
    """The schools a user's school- and network-bound roles give them (supervisor's network,
    principal's or evaluator's school); None if they hold no such role."""
    conditions = []
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        conditions.append(Q(network_id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        conditions.append(Q(id__in=school_ids))
    return any_of(conditions)


def assigned_networks(access: Access) -> Q | None:
    """A supervisor's networks, and the network of a principal's or evaluator's school."""
    conditions = []
    if access.network_ids:
        conditions.append(Q(id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        from districtpm.org.models import School

        conditions.append(Q(id__in=School.objects.filter(id__in=school_ids).values("network_id")))
    return any_of(conditions)


def codes_of(model_label: str, condition: Q | None) -> list[str]:
    if condition is None:
        return []
    from django.apps import apps

    return list(
        apps.get_model(model_label).objects.filter(condition).values_list("code", flat=True)
    )


@scope_rule("org.School")
def schools(access: Access) -> Q | None:
    """The directory of schools (not their data: see ALL_SCHOOL_DATA)."""
    if access.has_role(*ALL_SCHOOLS):
        return Q()
    return assigned_schools(access)


@scope_rule("org.Network")
def networks(access: Access) -> Q | None:
    """The directory of networks (not their data: see ALL_SCHOOL_DATA)."""
    if access.has_role(*ALL_SCHOOLS):
        return Q()
    return assigned_networks(access)


@scope_rule("org.Staff")
def staff(access: Access) -> Q | None:
    """Personnel records: district-wide for HR and the office, else by school, caseload or self."""
    if access.has_role(*ALL_STAFF):
        return Q()
    from districtpm.org.models import Assignment

    # Subqueries rather than joins, so a person with two assignments is listed once.
    conditions = []
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        in_network = Assignment.objects.filter(school__network_id__in=access.network_ids)
        conditions.append(Q(id__in=in_network.values("staff_id")))
    principal_schools = access.schools_for(R.PRINCIPAL)
    if principal_schools:
        at_school = Assignment.objects.filter(school_id__in=principal_schools)
        conditions.append(Q(id__in=at_school.values("staff_id")))
    if access.caseload_staff_ids:
        conditions.append(Q(id__in=access.caseload_staff_ids))
    if access.own_staff_id:
        conditions.append(Q(id=access.own_staff_id))
    return any_of(conditions)


def _everyone_with_a_role(access: Access) -> Q | None:
    return Q() if access.roles else None


scope_rule("org.SchoolYear")(_everyone_with_a_role)
scope_rule("org.Division")(_everyone_with_a_role)
