"""Which rows of each scoped model a user may see. Registered when the app loads."""

from __future__ import annotations

from django.db.models import Q

from districtpm.accounts.roles import ACTION_TEAMS, DISTRICT_LEADERS
from districtpm.accounts.roles import Role as R
from districtpm.accounts.scoping import Access, scope_rule

# Two different questions, two sets (DESIGN.md, "Who uses it"):
# ALL_SCHOOLS answers "whom does the organisation directory list every school and network to?"
# — names, levels, addresses: what anyone working across the district needs to find their way.
# ALL_SCHOOL_DATA answers "who reads every school's and network's *data*?" — metric values and
# goals. Action teams are in the first and not the second: they see "their team's plans;
# district aggregates", so their data scope is the district level only. Data rules must never
# derive a data scope from the directory (School.objects.visible_to) for that reason; they use
# _assigned_schools / _assigned_networks, which count only school- and network-bound roles.
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


def _any(conditions: list[Q]) -> Q | None:
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def _assigned_schools(access: Access) -> Q | None:
    """The schools a user's school- and network-bound roles give them (supervisor's network,
    principal's or evaluator's school); None if they hold no such role."""
    conditions = []
    if access.has_role(R.NETWORK_SUPERVISOR) and access.network_ids:
        conditions.append(Q(network_id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        conditions.append(Q(id__in=school_ids))
    return _any(conditions)


def _assigned_networks(access: Access) -> Q | None:
    """A supervisor's networks, and the network of a principal's or evaluator's school."""
    conditions = []
    if access.network_ids:
        conditions.append(Q(id__in=access.network_ids))
    school_ids = access.schools_for(R.PRINCIPAL, R.EVALUATOR)
    if school_ids:
        from districtpm.org.models import School

        conditions.append(Q(id__in=School.objects.filter(id__in=school_ids).values("network_id")))
    return _any(conditions)


def _codes(model_label: str, condition: Q | None) -> list[str]:
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
    return _assigned_schools(access)


@scope_rule("org.Network")
def networks(access: Access) -> Q | None:
    """The directory of networks (not their data: see ALL_SCHOOL_DATA)."""
    if access.has_role(*ALL_SCHOOLS):
        return Q()
    return _assigned_networks(access)


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
    """District aggregates for everyone who reads data (action teams: those only); a school's
    and its grades' values for its principal and evaluators and its network's supervisor; a
    network's values for its supervisor. Leaders, HR and the Board read every aggregate."""
    if not access.can("data.view"):
        return None
    if access.has_role(*ALL_SCHOOL_DATA):
        return Q()
    conditions = [Q(level="district")]
    codes = _codes("org.School", _assigned_schools(access))
    if codes:
        conditions.append(Q(level__in=["school", "grade"], entity_code__in=codes))
    # Only a supervisor reads a network's figures; a principal's network is not theirs to read.
    network_codes = _codes(
        "org.Network", Q(id__in=access.network_ids) if access.network_ids else None
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


def goal_entities(access: Access) -> tuple[frozenset[str], frozenset[str]] | None:
    """The school and network codes whose goals and scorecards a user may see beside the
    district's, or None for every school and network. Action teams: none (district only)."""
    if access.has_role(*ALL_SCHOOL_DATA):
        return None
    return (
        frozenset(_codes("org.School", _assigned_schools(access))),
        frozenset(_codes("org.Network", _assigned_networks(access))),
    )


@scope_rule("plans.Goal")
def plan_goals(access: Access) -> Q | None:
    """District goals for everyone who reads the plan; a school's or network's goals for those
    who see that school or network."""
    if not access.can("plan.view"):
        return None
    entities = goal_entities(access)
    if entities is None:
        return Q()
    schools, networks = entities
    return (
        Q(level="district")
        | Q(level="school", entity_code__in=schools)
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
