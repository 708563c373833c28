"""The test kit's query counts: each dashboard and list page runs as many queries with six rows
as with two (scorecards have theirs in plans/tests/test_scorecards.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from districtpm.actionplans.models import ActionTeam
from districtpm.audit.log import record
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.schedule import plan_year
from districtpm.metrics.models import MetricValue
from districtpm.metrics.tests.test_pages import computed  # noqa: F401  (fixture)
from districtpm.org.models import School
from districtpm.plans.models import Plan, Priority

# Frozen inside the world's school year, before its first Explore, so "next meetings" and the
# updates owed are the same on every run.
TODAY = dt.datetime(2026, 8, 24, 9, 0)


@pytest.fixture
def plan(world):
    return Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")


def add_teams(plan, world, names: list[str]) -> None:
    """Action teams, each for a priority of its own, led by the senior leader."""
    start = Priority.objects.filter(plan=plan).count()
    for order, name in enumerate(names, start=start + 1):
        priority = Priority.objects.create(plan=plan, name=name, order=order)
        ActionTeam.objects.create(priority=priority, name=name, lead=world.users["slt"])


@pytest.fixture
def two_teams(plan, world):
    add_teams(plan, world, ["Whole Child", "Opportunity Gap"])
    with time_machine.travel(TODAY, tick=False):
        plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    return plan


MORE = ["Literacy", "Attendance", "Family Voice", "Talent"]


@time_machine.travel(TODAY, tick=False)
def test_the_year_page(two_teams, world, login, query_count):
    client = login(world.users["pm"])
    url = reverse("meetings:year") + "?year=2026-2027"
    two = query_count.page(client, url)
    add_teams(two_teams, world, MORE)
    assert query_count.page(client, url) == two


def add_schools(world, codes: list[str]) -> None:
    """More schools in network one."""
    for code in codes:
        School.objects.create(
            district=world.district,
            network=world.network_1,
            code=code,
            name=f"School {code}",
            level="elementary",
            lowest_grade="K",
            highest_grade="5",
        )


@time_machine.travel(TODAY, tick=False)
def test_the_home_page_of_a_network_supervisor(world, login, query_count):
    add_schools(world, ["201"])  # school A and one more
    client = login(world.users["network_1"])
    two = query_count.page(client, "/")
    add_schools(world, ["202", "203", "204", "205"])
    assert query_count.page(client, "/") == two


@time_machine.travel(TODAY, tick=False)
def test_the_home_page(two_teams, world, login, query_count):
    client = login(world.users["pm"])
    two = query_count.page(client, "/")
    add_teams(two_teams, world, MORE)
    assert query_count.page(client, "/") == two


def test_the_action_plans_home(plan, world, login, query_count):
    add_teams(plan, world, ["Whole Child", "Opportunity Gap"])
    client = login(world.users["pm"])
    url = reverse("actionplans:home")
    two = query_count.page(client, url)
    add_teams(plan, world, MORE)
    assert query_count.page(client, url) == two


def test_the_audit_log(world, login, query_count):
    def entries(n: int) -> None:
        for i in range(n):
            record(
                actor=world.users["admin"],
                action="org.school.change",
                obj=world.school_a,
                before={"name": str(i)},
                after={"name": str(i + 1)},
            )

    entries(2)
    client = login(world.users["admin"])
    url = reverse("audit:list")
    two = query_count.page(client, url)
    entries(4)
    assert query_count.page(client, url) == two


def test_the_metric_page(computed, world, login, query_count):  # noqa: F811
    client = login(world.users["pm"])
    url = reverse("metrics:metric", args=["ela_proficiency"]) + "?group=gender"
    five = query_count.page(client, url)
    # Three of the five schools' values gone: the district page lists two schools.
    MetricValue.objects.filter(entity_code__in=["103", "104", "105"]).delete()
    assert query_count.page(client, url) == five
