"""The roles of DESIGN.md, the scope each is bound to, and what each may do."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
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

# Each permission names the roles that hold it; each app registers its own when it loads
# (`register_permissions` in its rules.py). Deny by default: a permission nobody registered is
# held by nobody, and every view names the permission it needs.
PERMISSIONS: dict[str, frozenset[str]] = {}


def register_permissions(permissions: Mapping[str, Iterable[str]]) -> None:
    """Add an app's permissions; a name registered twice with different roles is a mistake."""
    for name, roles in permissions.items():
        held = frozenset(roles)
        unknown = held - ALL_ROLES
        if unknown:
            raise ImproperlyConfigured(f"Permission {name!r} names unknown roles {sorted(unknown)}")
        if PERMISSIONS.get(name, held) != held:
            raise ImproperlyConfigured(f"Permission {name!r} is registered twice, differently")
        PERMISSIONS[name] = held


# Access rules a view may carry that are not permissions: anybody, anybody signed in, a
# calendar feed's secret address.
SPECIAL_RULES = frozenset({"public", "authenticated", "feed token"})


def roles_with(permission: str) -> frozenset[str]:
    return PERMISSIONS.get(permission, frozenset())


def unknown_rules(patterns: Iterable[Any] | None = None) -> list[str]:
    """Routes whose view names a permission no app registered (every URL pattern by default)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(entries: Iterable[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    entries = get_resolver().url_patterns if patterns is None else patterns
    return [
        f"{route} requires {rule!r}"
        for route, view in walk(entries, "")
        if (rule := getattr(view, "access_rule", None)) is not None
        and rule not in SPECIAL_RULES
        and rule not in PERMISSIONS
    ]


@checks.register(checks.Tags.urls)
def check_permissions_known(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Fail `manage.py check` (and the server's start) on a view requiring an unknown permission."""
    return [
        checks.Error(f"Unknown permission: {problem}", id="districtpm.E001")
        for problem in unknown_rules()
    ]
