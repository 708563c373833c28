"""The roles of DESIGN.md, the scope each is bound to, and what each may do."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "District admin"
    PM_OFFICE = "pm_office", "Performance management office"
    SENIOR_LEADER = "senior_leader", "Senior leader"
    ACTION_TEAM_LEAD = "action_team_lead", "Action team lead"
    ACTION_TEAM_MEMBER = "action_team_member", "Action team member"
    NETWORK_SUPERVISOR = "network_supervisor", "Network / principal supervisor"
    PRINCIPAL = "principal", "School leader (principal)"
    EVALUATOR = "evaluator", "ILT member / evaluator"
    TEACHER = "teacher", "Teacher"
    HR_PARTNER = "hr_partner", "HR partner"
    BOARD_MEMBER = "board_member", "Board member"


class Scope(models.TextChoices):
    DISTRICT = "district", "District"
    NETWORK = "network", "Network"
    SCHOOL = "school", "School"
    CASELOAD = "caseload", "Caseload"
    OWN = "own", "Own record"
    TEAM = "team", "Team"


ROLE_SCOPE: dict[str, str] = {
    Role.DISTRICT_ADMIN: Scope.DISTRICT,
    Role.PM_OFFICE: Scope.DISTRICT,
    Role.SENIOR_LEADER: Scope.DISTRICT,
    Role.ACTION_TEAM_LEAD: Scope.TEAM,
    Role.ACTION_TEAM_MEMBER: Scope.TEAM,
    Role.NETWORK_SUPERVISOR: Scope.NETWORK,
    Role.PRINCIPAL: Scope.SCHOOL,
    Role.EVALUATOR: Scope.CASELOAD,
    Role.TEACHER: Scope.OWN,
    Role.HR_PARTNER: Scope.DISTRICT,
    Role.BOARD_MEMBER: Scope.DISTRICT,
}

# Roles whose assignment must name a school, or a network.
NEEDS_SCHOOL = {Role.PRINCIPAL, Role.EVALUATOR, Role.TEACHER}
NEEDS_NETWORK = {Role.NETWORK_SUPERVISOR}
NEEDS_TEAM = {Role.ACTION_TEAM_LEAD, Role.ACTION_TEAM_MEMBER}

R = Role
ALL_ROLES = frozenset(Role)
DISTRICT_LEADERS = frozenset({R.DISTRICT_ADMIN, R.PM_OFFICE, R.SENIOR_LEADER})
ACTION_TEAMS = frozenset({R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER})
SCHOOL_ROLES = frozenset({R.NETWORK_SUPERVISOR, R.PRINCIPAL, R.EVALUATOR})

# Each permission names the roles that hold it. Deny by default: a permission not listed here
# is held by nobody, and every view names the permission it needs.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Organisation
    "org.view": ALL_ROLES - {R.TEACHER},
    "org.change": frozenset({R.DISTRICT_ADMIN}),
    "org.calendar.change": frozenset({R.DISTRICT_ADMIN, R.PM_OFFICE}),
    "org.import": frozenset({R.DISTRICT_ADMIN}),
    "staff.view": frozenset(
        {
            R.DISTRICT_ADMIN,
            R.PM_OFFICE,
            R.HR_PARTNER,
            R.NETWORK_SUPERVISOR,
            R.PRINCIPAL,
            R.EVALUATOR,
            R.TEACHER,
        }
    ),
    "staff.change": frozenset({R.DISTRICT_ADMIN, R.HR_PARTNER}),
    "audit.view": frozenset({R.DISTRICT_ADMIN, R.PM_OFFICE}),
    # The capabilities still to be built; each page is shown to the roles that will use it.
    "data.view": ALL_ROLES - {R.TEACHER},
    "data.import": frozenset({R.DISTRICT_ADMIN, R.PM_OFFICE}),
    "plan.view": DISTRICT_LEADERS
    | ACTION_TEAMS
    | {R.NETWORK_SUPERVISOR, R.PRINCIPAL, R.BOARD_MEMBER},
    "plan.change": frozenset({R.DISTRICT_ADMIN, R.PM_OFFICE, R.SENIOR_LEADER}),
    "meetings.view": DISTRICT_LEADERS | ACTION_TEAMS | {R.BOARD_MEMBER},
    "meetings.change": DISTRICT_LEADERS,
    "meetings.record": DISTRICT_LEADERS | {R.ACTION_TEAM_LEAD},
    "actionplans.view": DISTRICT_LEADERS | ACTION_TEAMS,
    "actionplans.change": DISTRICT_LEADERS | {R.ACTION_TEAM_LEAD},
    "actionplans.teams": DISTRICT_LEADERS,
    "rubrics.view": DISTRICT_LEADERS | SCHOOL_ROLES,
    "improvement.view": DISTRICT_LEADERS | SCHOOL_ROLES,
    "evaluation.view": frozenset(
        {R.DISTRICT_ADMIN, R.PRINCIPAL, R.EVALUATOR, R.TEACHER, R.HR_PARTNER}
    ),
    "processmaps.view": DISTRICT_LEADERS | ACTION_TEAMS | {R.NETWORK_SUPERVISOR},
}


def roles_with(permission: str) -> frozenset[str]:
    return PERMISSIONS.get(permission, frozenset())
