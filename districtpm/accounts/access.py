"""Each signed-in user's Access, worked out from their role assignments and caseload."""

from __future__ import annotations

from typing import Any

from districtpm.core.scoping import Access


def access_from_assignments(user: Any) -> Access:
    """What one user may reach: their roles, the schools and networks those roles are bound
    to, their caseload and their own staff record (registered with core as the provider)."""
    from districtpm.accounts.models import CaseloadEntry, RoleAssignment

    roles: set[str] = set()
    schools: set[int] = set()
    networks: set[int] = set()
    by_role: dict[str, set[int]] = {}
    for role, school_id, network_id in RoleAssignment.objects.filter(user=user).values_list(
        "role", "school_id", "network_id"
    ):
        roles.add(role)
        if school_id:
            schools.add(school_id)
            by_role.setdefault(role, set()).add(school_id)
        if network_id:
            networks.add(network_id)
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
        school_ids_by_role={k: frozenset(v) for k, v in by_role.items()},
    )
    return access
