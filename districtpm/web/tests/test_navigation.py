"""The navigation by registration: each app registers its entry, in the order it always had."""

from __future__ import annotations

from districtpm.core.navigation import capabilities, register_capability, unregister_capability
from districtpm.web.capabilities import PLACEHOLDERS, Capability, register_placeholders


def test_the_navigation_keeps_its_order():
    assert [c.slug for c in capabilities()][:9] == [
        "org",
        "data",
        "plan",
        "meetings",
        "actionplans",
        "rubrics",
        "improvement",
        "evaluation",
        "processmaps",
    ]


def test_built_apps_register_themselves_and_the_shell_the_rest():
    by_slug = {c.slug: c for c in capabilities()}
    assert all(
        by_slug[s].built
        for s in [
            "org",
            "data",
            "plan",
            "meetings",
            "actionplans",
            "rubrics",
            "improvement",
            "evaluation",
            "processmaps",
        ]
    )
    assert by_slug["processmaps"].built and PLACEHOLDERS == {}  # every capability has its app
    assert by_slug["data"].section == "metrics" and by_slug["processmaps"].section == "processmaps"


def test_an_app_replaces_its_placeholder_and_takes_its_place(monkeypatch):
    future = Capability("future", "Future", "org.view", "org:home", "Coming.", order=95)
    monkeypatch.setitem(PLACEHOLDERS, "future", future)
    try:
        register_placeholders()
        shown = [c for c in capabilities() if c.slug == "future"]
        assert len(shown) == 1 and not shown[0].built
        unregister_capability("future")
        register_capability(
            "future", "Future", permission="org.view", url_name="org:home", summary="Built."
        )
        register_placeholders()  # the shell does not put the placeholder back
        built = [c for c in capabilities() if c.slug == "future"]
        assert len(built) == 1 and built[0].built and built[0].summary == "Built."
    finally:
        unregister_capability("future")


def test_a_registered_capability_shows_to_the_roles_that_may_view_it(world, login):
    register_capability(
        "visits", "School visits", permission="org.view", url_name="org:home", summary="x"
    )
    try:
        page = login(world.users["principal_a"]).get("/").content.decode()
        assert "School visits" in page
        assert "School visits" not in login(world.users["teacher_a"]).get("/").content.decode()
    finally:
        unregister_capability("visits")
