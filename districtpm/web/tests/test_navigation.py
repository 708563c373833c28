"""The navigation by registration: each app registers its entry, in the order it always had."""

from __future__ import annotations

from districtpm.core.navigation import capabilities, register_capability, unregister_capability
from districtpm.web.capabilities import PLACEHOLDERS, register_placeholders


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
        ]
    )
    assert all(not by_slug[s].built for s in PLACEHOLDERS)
    assert by_slug["data"].section == "metrics" and by_slug["processmaps"].section == "processmaps"


def test_an_app_replaces_its_placeholder_and_takes_its_place():
    try:
        register_capability(
            "processmaps",
            "Process maps",
            permission="processmaps.view",
            url_name="web:processmaps",
            summary="Built.",
            order=90,
        )
        register_placeholders()  # the shell does not put the placeholder back
        built = [c for c in capabilities() if c.slug == "processmaps"]
        assert len(built) == 1 and built[0].built and built[0].summary == "Built."
        assert [c.slug for c in capabilities()].index("processmaps") == 8
    finally:
        unregister_capability("processmaps")
        register_placeholders()


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
