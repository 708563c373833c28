"""Template context shared by every page: the navigation this user may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from districtpm.core.scoping import access_for
from districtpm.web.capabilities import capabilities


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "can_audit": False}
    access = access_for(user)
    return {
        "nav_items": [c for c in capabilities() if access.can(c.permission)],
        "can_audit": access.can("audit.view"),
        "user_access": access,
    }
