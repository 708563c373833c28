"""The one mechanism every view uses: a named permission, checked before the view runs.

`@requires("org.view")` refuses anonymous users (to the login page) and users whose roles do not
hold the permission (403). `@public` marks the few views anybody may open. A test enumerates every
URL pattern and fails for any view that carries neither.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from districtpm.core.roles import PERMISSIONS, SPECIAL_RULES
from districtpm.core.scoping import ScopedQuerySet, access_for

View = Callable[..., HttpResponse]


def known(permission: str) -> str:
    """The permission, if some app registered it; an unknown name is a mistake to fail on."""
    if permission not in SPECIAL_RULES and permission not in PERMISSIONS:
        raise ImproperlyConfigured(f"Unknown permission {permission!r}")
    return permission


def requires(permission: str) -> Callable[[View], View]:
    # Views are imported before every app's ready() has registered its permissions, so the name
    # is checked at the first request (and by the system check over every URL), not here.
    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            known(permission)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permission != "authenticated" and not access_for(request.user).can(permission):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        guarded.access_rule = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: View) -> View:
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def get_visible_or_404(queryset: ScopedQuerySet | QuerySet, user: Any, **lookup: Any) -> Model:
    """Fetch one object the user may see; anything outside their scope is simply not found."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("No such record, or it is outside your access.") from exc
