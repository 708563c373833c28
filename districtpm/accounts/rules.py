"""Which rows of each scoped model a user may see. Registered when the app loads."""

from __future__ import annotations

from django.db.models import Q

from districtpm.accounts.roles import DISTRICT_LEADERS
from districtpm.accounts.roles import Role as R
from districtpm.accounts.scoping import Access, scope_rule

# Roles that see every school, as aggregates or more.
ALL_SCHOOLS = {
    R.DISTRICT_ADMIN,
    R.PM_OFFICE,
    R.SENIOR_LEADER,
    R.HR_PARTNER,
    R.BOARD_MEMBER,
    R.ACTION_TEAM_LEAD,
    R.ACTION_TEAM_MEMBER,
}
# Roles that see every personnel record.
ALL_STAFF = {R.DISTRICT_ADMIN, R.HR_PARTNER, R.PM_OFFICE}


def _any(conditions: list[Q]) -> Q | None:
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


@scope_rule("org.School")
def schools(access: Access) -> Q | None:
    if access.has_role(*ALL_SCHOOLS):
        return Q()
    conditions = []
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        conditions.append(Q(network_id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        conditions.append(Q(id__in=school_ids))
    return _any(conditions)


@scope_rule("org.Network")
def networks(access: Access) -> Q | None:
    if access.has_role(*ALL_SCHOOLS):
        return Q()
    conditions = []
    if access.network_ids:
        conditions.append(Q(id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        from districtpm.org.models import School

        conditions.append(Q(id__in=School.objects.filter(id__in=school_ids).values("network_id")))
    return _any(conditions)


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
    return _any(conditions)


def _everyone_with_a_role(access: Access) -> Q | None:
    return Q() if access.roles else None


scope_rule("org.SchoolYear")(_everyone_with_a_role)
scope_rule("org.Division")(_everyone_with_a_role)


@scope_rule("metrics.Metric")
def metrics(access: Access) -> Q | None:
    return Q() if access.can("data.view") else None


@scope_rule("metrics.MetricValue")
def metric_values(access: Access) -> Q | None:
    """District aggregates for everyone who reads data; schools by role scope."""
    if not access.can("data.view"):
        return None
    if access.has_role(*(ALL_SCHOOLS - {R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER})):
        return Q()
    from districtpm.org.models import Network, School

    conditions = [Q(level="district")]
    schools = School.objects.visible_to_access(access)
    codes = list(schools.values_list("code", flat=True))
    if codes:
        conditions.append(Q(level__in=["school", "grade"], entity_code__in=codes))
    network_codes = list(
        Network.objects.filter(id__in=access.network_ids).values_list("code", flat=True)
    )
    if network_codes:
        conditions.append(Q(level="network", entity_code__in=network_codes))
    return _any(conditions)


@scope_rule("metrics.DataImport")
def data_imports(access: Access) -> Q | None:
    return Q() if access.can("data.import") else None


@scope_rule("plans.Plan")
def plans(access: Access) -> Q | None:
    return Q() if access.can("plan.view") else None


@scope_rule("plans.Priority")
def plan_priorities(access: Access) -> Q | None:
    return Q() if access.can("plan.view") else None


@scope_rule("plans.Initiative")
def plan_initiatives(access: Access) -> Q | None:
    return Q() if access.can("plan.view") else None


@scope_rule("plans.Goal")
def plan_goals(access: Access) -> Q | None:
    """District goals for everyone who reads the plan; a school's or network's goals for those
    who see that school or network."""
    if not access.can("plan.view"):
        return None
    if access.has_role(*(ALL_SCHOOLS - {R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER})):
        return Q()
    from districtpm.org.models import Network, School

    codes = list(School.objects.visible_to_access(access).values_list("code", flat=True))
    networks = list(Network.objects.visible_to_access(access).values_list("code", flat=True))
    return (
        Q(level="district")
        | Q(level="school", entity_code__in=codes)
        | Q(level="network", entity_code__in=networks)
    )


# ------------------------------------------------------------------ meetings and action teams


def _team_priorities(access: Access) -> Q:
    """Priorities whose action team the user belongs to (by role assignment or as its lead)."""
    from districtpm.actionplans.models import ActionTeam

    teams = ActionTeam.objects.filter(Q(name__in=access.teams) | Q(lead_id=access.user_id))
    return Q(priority_id__in=teams.values("priority_id")) | Q(priority__name__in=access.teams)


@scope_rule("meetings.Cycle")
def cycles(access: Access) -> Q | None:
    return Q() if access.can("meetings.view") else None


@scope_rule("meetings.Meeting")
def meetings(access: Access) -> Q | None:
    """Leaders see every meeting; the Board its study sessions; action teams the Engage
    meetings and their own priority's meetings."""
    if not access.can("meetings.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    conditions = []
    if access.has_role(R.BOARD_MEMBER):
        conditions.append(Q(rule__kind="empower"))
    if access.has_role(R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER):
        conditions += [Q(rule__kind="engage"), _team_priorities(access)]
    return _any(conditions)


@scope_rule("actionplans.ActionTeam")
def action_teams(access: Access) -> Q | None:
    if not access.can("actionplans.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return Q(name__in=access.teams) | Q(lead_id=access.user_id)


def _through_team(access: Access) -> Q | None:
    from districtpm.actionplans.models import ActionTeam

    if not access.can("actionplans.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return Q(team_id__in=ActionTeam.objects.visible_to_access(access).values("id"))


scope_rule("actionplans.ActionPlan")(_through_team)
scope_rule("actionplans.StatusUpdate")(_through_team)
