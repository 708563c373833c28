"""Every URL pattern's view declares an access rule, and every guarded view refuses strangers."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from districtpm.core.roles import PERMISSIONS

# Django's admin checks is_staff itself on every view; it is only for superusers here.
OWN_RULES = {"admin"}


def all_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from all_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def product_patterns():
    return [(route, ns, p) for route, ns, p in all_patterns() if ns not in OWN_RULES]


def test_every_view_has_an_access_rule():
    patterns = product_patterns()
    assert len(patterns) > 20
    missing = [route for route, _, p in patterns if not hasattr(p.callback, "access_rule")]
    assert missing == [], f"views without an access rule: {missing}"


def test_every_rule_names_a_known_permission():
    for route, _, pattern in product_patterns():
        rule = pattern.callback.access_rule
        assert rule in PERMISSIONS or rule in {"public", "authenticated", "feed token"}, (
            route,
            rule,
        )


def test_public_views_are_only_the_expected_ones():
    public = sorted(
        route for route, _, p in product_patterns() if p.callback.access_rule == "public"
    )
    assert public == [
        # published School Blueprints, for families (improvement/public_views.py)
        "blueprints/",
        "blueprints/<str:school>/<str:year>/",
        "blueprints/<str:school>/<str:year>/blueprint.pdf",
        "health/",
        "login/",
        "logout/",
    ]


def test_only_calendar_feeds_are_reached_by_a_token():
    """Calendar clients cannot sign in; the feeds' secret address stands for one user."""
    by_token = sorted(
        route for route, _, p in product_patterns() if p.callback.access_rule == "feed token"
    )
    assert by_token == [
        "meetings/feeds/<str:token>.ics",
        "meetings/feeds/<str:token>/teams/<int:team>.ics",
    ]


def _concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        route
        for route, _, p in product_patterns()
        if p.callback.access_rule not in ("public", "feed token")
    ],
)
def test_anonymous_is_sent_to_login(client, route):
    response = client.get(_concrete(route))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "route",
    [
        route
        for route, _, p in product_patterns()
        if p.callback.access_rule not in ("public", "authenticated", "feed token")
    ],
)
def test_user_without_a_role_is_refused(world, login, route):
    response = login(world.users["norole"]).get(_concrete(route))
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r, _, p in product_patterns() if p.callback.access_rule == "feed token"],
)
def test_a_feed_with_an_unknown_token_is_not_found(client, route):
    assert client.get(_concrete(route)).status_code == 404
