"""The organisation's permissions and who may change its rows. (Which rows each user sees is in
accounts/rules.py, beside the helpers that bound a user to their schools and networks.)"""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ALL_ROLES, register_permissions
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
