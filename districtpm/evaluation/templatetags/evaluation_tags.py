"""What the evaluation section's navigation shows a user: the parts of it they play."""

from __future__ import annotations

from typing import Any

from django import template

from districtpm.core.roles import Role
from districtpm.core.scoping import access_for

register = template.Library()


@register.filter
def leads_a_school(user: Any) -> bool:
    """Whether the user is a principal (who assigns caseloads)."""
    return Role.PRINCIPAL in access_for(user).roles


@register.filter
def manages_records(user: Any) -> bool:
    """Whether the user records plans of support, non-renewals and appeals (a principal, an
    HR partner), and so has deadlines to keep."""
    roles = access_for(user).roles
    return Role.PRINCIPAL in roles or Role.HR_PARTNER in roles


@register.filter
def imports_results(user: Any) -> bool:
    """Whether the user imports survey and growth results (HR partners)."""
    return Role.HR_PARTNER in access_for(user).roles
