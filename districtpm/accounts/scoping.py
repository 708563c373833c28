"""Deny-by-default object scoping: `Model.objects.visible_to(user)`.

Each scoped model registers one rule (see accounts/rules.py) that turns a user's `Access`
into a filter. A model without a rule shows nothing to anybody but superusers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q

from districtpm.accounts.roles import ROLE_SCOPE, Scope, roles_with

ScopeRule = Callable[["Access"], Q | None]
_RULES: dict[str, ScopeRule] = {}


def scope_rule(model_label: str) -> Callable[[ScopeRule], ScopeRule]:
    """Register the rule that says which rows of `model_label` a user may see.

    The rule returns a Q filter, Q() for every row, or None for no row at all.
    """

    def register(rule: ScopeRule) -> ScopeRule:
        _RULES[model_label] = rule
        return rule

    return register


@dataclass(frozen=True)
class Access:
    """What one user may reach, worked out once per request from their role assignments."""

    user_id: int | None
    is_superuser: bool = False
    roles: frozenset[str] = frozenset()
    school_ids: frozenset[int] = frozenset()
    network_ids: frozenset[int] = frozenset()
    caseload_staff_ids: frozenset[int] = frozenset()
    own_staff_id: int | None = None
    teams: frozenset[str] = frozenset()
    school_ids_by_role: dict[str, frozenset[int]] = field(default_factory=dict)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    def can(self, permission: str) -> bool:
        return self.is_superuser or bool(self.roles & roles_with(permission))

    @property
    def district_wide_roles(self) -> frozenset[str]:
        return frozenset(r for r in self.roles if ROLE_SCOPE[r] == Scope.DISTRICT)

    def schools_for(self, *roles: str) -> frozenset[int]:
        ids: set[int] = set()
        for role in roles:
            ids |= self.school_ids_by_role.get(role, frozenset())
        return frozenset(ids)


ANONYMOUS = Access(user_id=None)


def access_for(user: Any) -> Access:
    """The user's Access, cached on the user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_districtpm_access", None)
    if cached is not None:
        return cached
    from districtpm.accounts.models import CaseloadEntry, RoleAssignment

    roles: set[str] = set()
    schools: set[int] = set()
    networks: set[int] = set()
    teams: set[str] = set()
    by_role: dict[str, set[int]] = {}
    for role, school_id, network_id, team in RoleAssignment.objects.filter(user=user).values_list(
        "role", "school_id", "network_id", "team"
    ):
        roles.add(role)
        if school_id:
            schools.add(school_id)
            by_role.setdefault(role, set()).add(school_id)
        if network_id:
            networks.add(network_id)
        if team:
            teams.add(team)
    caseload = set(CaseloadEntry.objects.filter(evaluator=user).values_list("staff_id", flat=True))
    own = getattr(user, "staff", None) if hasattr(user, "staff") else None
    access = Access(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles=frozenset(roles),
        school_ids=frozenset(schools),
        network_ids=frozenset(networks),
        caseload_staff_ids=frozenset(caseload),
        own_staff_id=own.pk if own else None,
        teams=frozenset(teams),
        school_ids_by_role={k: frozenset(v) for k, v in by_role.items()},
    )
    user._districtpm_access = access
    return access


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user may see."""

    def visible_to(self, user: Any) -> ScopedQuerySet:
        return self.visible_to_access(access_for(user))

    def visible_to_access(self, access: Access) -> ScopedQuerySet:
        if access.is_superuser:
            return self.all()
        rule = _RULES.get(self.model._meta.label)
        condition = rule(access) if rule is not None and access.user_id else None
        if condition is None:
            return self.none()
        return self.filter(condition)
