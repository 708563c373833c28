"""Who reads the strategic plan, and whose school and network goals."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule
from districtpm.org.rules import ALL_SCHOOL_DATA, assigned_networks, assigned_schools, codes_of

PERMISSIONS = {
    "plan.view": DISTRICT_LEADERS
    | ACTION_TEAMS
    | {R.NETWORK_SUPERVISOR, R.PRINCIPAL, R.BOARD_MEMBER},
    "plan.change": {R.DISTRICT_ADMIN, R.PM_OFFICE, R.SENIOR_LEADER},
    "plan.approve_commentary": {R.DISTRICT_ADMIN, R.PM_OFFICE},
}
register_permissions(PERMISSIONS)


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
        frozenset(codes_of("org.School", assigned_schools(access))),
        frozenset(codes_of("org.Network", assigned_networks(access))),
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


def plan_changers(access: Access) -> Q | None:
    """The plan is changed by those who hold plan.change, all of it (they see all of it)."""
    return Q() if access.can("plan.change") else None


for _label in ("plans.Plan", "plans.Priority", "plans.Goal", "plans.Initiative"):
    scope_rule(_label, "change")(plan_changers)

# A goal's yearly targets and status history, and an initiative's key actions, follow their parent.
follows("plans.Target", parent="goal")
follows("plans.GoalStatusRecord", parent="goal", actions=("view",))
follows("plans.KeyAction", parent="initiative")


def _goals_seen(access: Access) -> Q | None:
    from districtpm.plans.models import Goal

    goals = plan_goals(access)
    return None if goals is None else Q(goal__in=Goal.objects.filter(goals).values("pk"))


@scope_rule("plans.Commentary")
def commentaries(access: Access) -> Q | None:
    """The story behind a goal's number: the district's leaders read every draft; everyone
    else who reads the goal reads it once approved, and its writers their own."""
    seen = _goals_seen(access)
    if seen is None:
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return seen
    return seen & (
        Q(state="approved") | Q(written_by_id=access.user_id) | Q(goal__owner_id=access.user_id)
    )


def commentary_goals(access: Access) -> Q | None:
    """The goals whose commentary the user writes: the goals they own, or every goal they see
    for those who keep the plan."""
    goals = plan_goals(access)
    if goals is None:
        return None
    if access.can("plan.change"):
        return goals
    return goals & Q(owner_id=access.user_id)


# a commentary is written under its goal, new ones included (checked against the goal)
follows("plans.Commentary", parent="goal", actions=("change",), via=commentary_goals)


@scope_rule("plans.Commentary", "approve")
def commentary_approvers(access: Access) -> Q | None:
    """Approved (or returned) by the performance management office."""
    return _goals_seen(access) if access.can("plan.approve_commentary") else None
