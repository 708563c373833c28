"""Deny-by-default object scoping: `Model.objects.restrict(user, "view" | "change" | "delete")`.

Each scoped model registers one rule per action (in its app's rules.py, loaded by the app's ready()) that turns a
user's `Access` into a filter. An action without a rule of its own reaches nothing for anybody but superusers; a
child model may declare that it follows its parent (`follows`). `visible_to(user)` is `restrict(user, "view")`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

from districtpm.core.roles import ROLE_SCOPE, Scope, roles_with

ScopeRule = Callable[["Access"], Q | None]
_RULES: dict[tuple[str, str], ScopeRule] = {}


def scope_rule(model_label: str, action: str = "view") -> Callable[[ScopeRule], ScopeRule]:
    """Register the rule that says which rows of `model_label` a user may view, change, delete….

    The rule returns a Q filter, Q() for every row, or None for no row at all.
    """

    def register(rule: ScopeRule) -> ScopeRule:
        _RULES[(model_label, action)] = rule
        return rule

    return register


# A child model's parent link and, per action, the rule over the parent's rows that says which
# parents' children a user reaches (so an unsaved child can be checked against its parent).
_PARENTS: dict[tuple[str, str], tuple[str, Callable[[Access], Q | None]]] = {}


def follows(
    model_label: str,
    parent: str,
    actions: tuple[str, ...] = ("view", "change", "delete"),
    via: ScopeRule | None = None,
) -> None:
    """Declare that a child model's rows are reached through their parent: for each action, the
    rows whose `parent` is in the parent model's rows restricted for that action — removing a
    child changes its parent, so "delete" follows the parent's "change". `via` gives a rule over
    the parent's rows of its own instead (a meeting's items are recorded by more than change it)."""
    for action in actions:
        parent_action = "change" if action == "delete" else action

        def on_parent(access: Access, parent_action: str = parent_action) -> Q | None:
            if via is not None:
                return via(access)
            parent_model = _parent_model(model_label, parent)
            return condition_for(parent_model, access, parent_action)

        def rule(access: Access, on_parent: ScopeRule = on_parent) -> Q | None:
            condition = on_parent(access)
            if condition is None:
                return None
            if not condition:  # Q(): every parent, so every child
                return Q()
            parents = _parent_model(model_label, parent)._default_manager.filter(condition)
            return Q(**{f"{parent}__in": parents.values("pk")})

        _RULES[(model_label, action)] = rule
        _PARENTS[(model_label, action)] = (parent, on_parent)


def _parent_model(model_label: str, parent: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(model_label)._meta.get_field(parent).related_model


# Models whose rules bind superusers too: whether one member sees another's ratings is part of
# the process (ratings hidden until one's own are in, locked once submitted), not a question of
# how much of the district a user reaches, so a site superuser is held to it like anyone.
_STRICT: set[str] = set()


def strict_scope(*model_labels: str) -> None:
    """Declare models whose scope rules apply to superusers as to everybody else."""
    _STRICT.update(model_labels)


def _bypasses(access: Access, model_label: str) -> bool:
    return access.is_superuser and model_label not in _STRICT


def rule_for(model_label: str, action: str) -> ScopeRule | None:
    return _RULES.get((model_label, action))


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


AccessProvider = Callable[[Any], "Access"]
_PROVIDER: list[AccessProvider] = []


def provide_access(provider: AccessProvider) -> None:
    """Register the function that works out a signed-in user's Access (the accounts app does,
    from role assignments and caseloads, when it loads)."""
    _PROVIDER[:] = [provider]


def access_for(user: Any) -> Access:
    """The user's Access, cached on the user object for the rest of the request. Without a
    registered provider nobody but a superuser reaches anything (deny by default)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_districtpm_access", None)
    if cached is not None:
        return cached
    if _PROVIDER:
        access = _PROVIDER[0](user)
    else:
        access = Access(user_id=user.pk, is_superuser=user.is_superuser)
    user._districtpm_access = access
    return access


def condition_for(model: type[models.Model], access: Access, action: str = "view") -> Q | None:
    """The filter a user's Access gives on a model for an action: Q() for every row, None for none."""
    if _bypasses(access, model._meta.label):
        return Q()
    rule = rule_for(model._meta.label, action)
    return rule(access) if rule is not None and access.user_id else None


def restrict_access(queryset: QuerySet, access: Access, action: str = "view") -> QuerySet:
    """Any queryset narrowed to the rows an Access may reach for an action (deny by default)."""
    condition = condition_for(queryset.model, access, action)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def restrict(queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
    """Any queryset narrowed to the rows a user may reach for an action (deny by default)."""
    return restrict_access(queryset, access_for(user), action)


def allowed(user: Any, target: models.Model | type[models.Model], action: str = "change") -> bool:
    """Whether the user may do `action` to one object. An unsaved child is checked against its
    parent (may this user add to that plan, that meeting?); a model, or an unsaved object with
    no parent, asks whether the user may do it to any row at all (what creating one needs)."""
    access = access_for(user)
    model = target if isinstance(target, type) else type(target)
    condition = condition_for(model, access, action)
    if condition is None:
        return False
    # Q() reaches every row: answered without a query, so a page asking per row stays flat.
    if _bypasses(access, model._meta.label) or isinstance(target, type) or not condition:
        return True
    if target.pk is not None:
        return model._default_manager.filter(condition, pk=target.pk).exists()
    parent_link = _PARENTS.get((model._meta.label, action))
    if parent_link is None:
        return True
    parent, on_parent = parent_link
    parent_condition = on_parent(access)
    parent_id = getattr(target, model._meta.get_field(parent).attname)
    if parent_condition is None:
        return False
    if parent_id is None or not parent_condition:  # no parent yet (cannot be saved), or every one
        return True
    parents = _parent_model(model._meta.label, parent)._default_manager
    return parents.filter(parent_condition, pk=parent_id).exists()


def parents_reached(child: type[models.Model], user: Any, action: str = "change") -> QuerySet:
    """The parent rows under which the user may `action` a new child of this model (the teams
    whose update they may send, the meetings they may record in), as one queryset: what a list
    page asks instead of `allowed` for each row."""
    access = access_for(user)
    label = child._meta.label
    parent, on_parent = _PARENTS[(label, action)]
    parents = _parent_model(label, parent)._default_manager.all()
    condition = Q() if _bypasses(access, label) else on_parent(access) if access.user_id else None
    return parents.none() if condition is None else parents.filter(condition)


class _System:
    """The acting user of a change nobody signed in made: a command, the demo builder, a
    scheduled job. Passed explicitly (`acting_user=SYSTEM`); a missing user is refused."""

    is_authenticated = False
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def require(
    acting_user: Any,
    target: models.Model | type[models.Model],
    action: str = "change",
    message: str | None = None,
) -> None:
    """The permission check every action makes first: PermissionDenied unless `allowed`, and for
    no user at all. SYSTEM (a command, the demo builder) does as it is told."""
    if acting_user is SYSTEM:
        return
    if acting_user is None or not allowed(acting_user, target, action):
        model = target if isinstance(target, type) else type(target)
        raise PermissionDenied(
            message or f"Your role does not allow changing {model._meta.verbose_name_plural}."
        )


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user may view, change or delete."""

    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        return restrict_access(self, access_for(user), action)

    def restrict_access(self, access: Access, action: str = "view") -> ScopedQuerySet:
        return restrict_access(self, access, action)

    def visible_to(self, user: Any) -> ScopedQuerySet:
        return self.restrict(user, "view")

    def visible_to_access(self, access: Access) -> ScopedQuerySet:
        return restrict_access(self, access, "view")
