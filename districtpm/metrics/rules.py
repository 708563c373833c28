"""Who reads metrics and their values: district aggregates for everyone with data, schools by role."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ALL_ROLES, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, scope_rule
from districtpm.org.rules import ALL_SCHOOL_DATA, any_of, assigned_schools, codes_of

PERMISSIONS = {
    "data.view": ALL_ROLES - {R.TEACHER},
    "data.import": {R.DISTRICT_ADMIN, R.PM_OFFICE},
}
register_permissions(PERMISSIONS)


@scope_rule("metrics.Metric")
def metrics(access: Access) -> Q | None:
    return Q() if access.can("data.view") else None


@scope_rule("metrics.MetricValue")
def metric_values(access: Access) -> Q | None:
    """District aggregates for everyone who reads data (action teams: those only); a school's
    and its grades' values for its principal and evaluators and its network's supervisor; a
    network's values for its supervisor. Leaders, HR and the Board read every aggregate."""
    if not access.can("data.view"):
        return None
    if access.has_role(*ALL_SCHOOL_DATA):
        return Q()
    conditions = [Q(level="district")]
    codes = codes_of("org.School", assigned_schools(access))
    if codes:
        conditions.append(Q(level__in=["school", "grade"], entity_code__in=codes))
    # Only a supervisor reads a network's figures; a principal's network is not theirs to read.
    network_codes = codes_of(
        "org.Network", Q(id__in=access.network_ids) if access.network_ids else None
    )
    if network_codes:
        conditions.append(Q(level="network", entity_code__in=network_codes))
    return any_of(conditions)


@scope_rule("metrics.DataImport")
@scope_rule("metrics.DataImport", "change")
@scope_rule("metrics.SavedMapping")
@scope_rule("metrics.SavedMapping", "change")
def data_imports(access: Access) -> Q | None:
    return Q() if access.can("data.import") else None
