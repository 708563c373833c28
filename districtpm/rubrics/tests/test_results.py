"""The heatmap and the trend: what each shows, to whom, and in how many queries."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Designation, School, SchoolYear
from districtpm.rubrics import actions
from districtpm.rubrics.models import Indicator
from districtpm.rubrics.tests.conftest import rate_all


def _final(world, version, school, year, order, facilitator):
    a = actions.open_assessment(
        version,
        school=school,
        school_year=year,
        opens_on=year.start_date,
        closes_on=year.start_date + dt.timedelta(days=30),
        facilitator=facilitator,
        team=[facilitator],
        acting_user=SYSTEM,
    )
    rate_all(a, facilitator, order)
    level = a.version.levels.get(order=order)
    for indicator in Indicator.objects.filter(domain__version=a.version):
        actions.decide_rating(a, indicator, level, rationale="ok", acting_user=SYSTEM)
    actions.finalise_assessment(a, acting_user=SYSTEM)
    return a


def _schools(world, n, start):
    return [
        School.objects.create(
            district=world.district,
            network=world.network_1,
            code=f"9{start + i:02d}",
            name=f"Extra School {start + i:02d}",
        )
        for i in range(n)
    ]


def test_the_heatmap_runs_the_same_queries_for_two_schools_as_for_six(
    world, frameworks, login, query_count
):
    client = login(world.users["pm"])
    pm = world.users["pm"]
    for school in _schools(world, 2, 0):
        _final(world, frameworks["school"], school, world.year, 1, pm)
    two = query_count.page(client, reverse("rubrics:heatmap"))
    for school in _schools(world, 4, 2):
        _final(world, frameworks["school"], school, world.year, 2, pm)
    six = query_count.page(client, reverse("rubrics:heatmap"))
    assert two == six
    page = client.get(reverse("rubrics:heatmap")).content.decode()
    # each school's 18 cells, and the legend's one
    assert page.count('class="lv lv-2"') == 4 * 18 + 1
    assert page.count('class="lv lv-1"') == 2 * 18 + 1


def test_the_heatmap_filters_and_keeps_to_each_users_schools(world, frameworks, login):
    u = world.users
    _final(world, frameworks["school"], world.school_a, world.year, 0, u["principal_a"])
    _final(world, frameworks["school"], world.school_b, world.year, 3, u["principal_b"])
    Designation.objects.create(school=world.school_b, school_year=world.year, kind="tsi")
    url = reverse("rubrics:heatmap")

    def names(user, query=""):
        page = login(u[user]).get(url + query).content.decode()
        return {s.name for s in (world.school_a, world.school_b) if s.name in page}

    both = {world.school_a.name, world.school_b.name}
    assert names("slt") == both
    assert names("slt", f"?network={world.network_2.pk}") == {world.school_b.name}
    assert names("slt", "?designation=tsi") == {world.school_b.name}
    assert names("principal_a") == {world.school_a.name}
    assert names("network_2") == {world.school_b.name}
    for refused in ["teacher_a", "board", "hr", "team_lead"]:
        assert login(u[refused]).get(url).status_code == 403, refused
    # The weakest schools count at the foot of each column.
    page = login(u["slt"]).get(url).content.decode()
    assert "Schools rated weak" in page


def test_the_trend_follows_an_indicator_across_versions(world, frameworks, login):
    u = world.users
    last_year = SchoolYear.objects.create(
        district=world.district,
        name="2025-2026",
        start_date=dt.date(2025, 8, 18),
        end_date=dt.date(2026, 5, 22),
    )
    _final(world, frameworks["school"], world.school_a, last_year, 0, u["principal_a"])
    first = Indicator.objects.filter(domain__version=frameworks["school"]).first()
    actions.change_indicator(
        first, name="Renamed practice", descriptors=list("abcd"), acting_user=SYSTEM
    )
    framework = frameworks["school"].framework
    _final(world, framework.current, world.school_a, world.year, 2, u["principal_a"])
    page = (
        login(u["principal_a"])
        .get(reverse("rubrics:trend", args=[framework.pk]) + f"?school={world.school_a.pk}")
        .content.decode()
    )
    assert "2025-2026" in page and "2026-2027" in page
    row = page[page.index("Renamed practice") :]
    row = row[: row.index("</tr>")]
    assert "Not implementing" in row and "Operationalizing" in row
    assert (
        login(u["principal_b"])
        .get(reverse("rubrics:trend", args=[framework.pk]) + f"?school={world.school_a.pk}")
        .status_code
        == 404
    )
