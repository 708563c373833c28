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
