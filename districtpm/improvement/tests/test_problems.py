"""Problem statements written from the stored metric values: the figures, the words, the
refusals (a suppressed group, another school), and newer data noticed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.improvement import actions
from districtpm.improvement.models import ProblemStatement
from districtpm.metrics.models import MetricValue


def test_a_statement_is_written_from_the_engines_figures(world, ela, login):
    s = actions.write_problem_statement(
        world.school_a,
        ela,
        "2025-2026",
        "ell",
        "yes",
        desired=0.45,
        acting_user=world.users["principal_a"],
    )
    assert (s.current_value, s.current_n, s.school_value, s.district_value) == (
        0.31,
        64,
        0.52,
        0.41,
    )
    assert s.trend == [["2024-2025", 0.35], ["2025-2026", 0.31]]
    assert s.text == (
        "Current state: at Aspen Elementary in 2025-2026, ELA proficiency for English learners was "
        "31% (n = 64). That compares with 52% for all students at the school and 41% for English "
        "learners in the district. In 2024-2025 it was 35%. Desired state: 45% (the team's "
        "target). The problem: a difference of 14 percentage points."
    )
    assert AuditEntry.objects.filter(action="improvement.problem.write").count() == 1
    page = (
        login(world.users["network_1"])
        .get(reverse("improvement:problem", args=[s.pk]))
        .content.decode()
    )
    assert "14 percentage points" in page and "Newer data" not in page
    # A newer value (a recompute) is noticed; the statement keeps its own figures.
    MetricValue.objects.filter(entity_code="101", group_dim="ell", school_year="2025-2026").update(
        value=0.33, n=66
    )
    page = (
        login(world.users["principal_a"])
        .get(reverse("improvement:problem", args=[s.pk]))
        .content.decode()
    )
    assert "Newer data: the value is now 33% (n = 66" in page and "31% (n = 64)" in page


def test_suppressed_groups_and_other_schools_are_refused(world, ela, login):
    u = world.users
    with pytest.raises(ValidationError, match="suppressed"):
        actions.write_problem_statement(
            world.school_a,
            ela,
            "2025-2026",
            "swd",
            "yes",
            desired=0.4,
            acting_user=u["principal_a"],
        )
    with pytest.raises(PermissionDenied):
        actions.write_problem_statement(
            world.school_b,
            ela,
            "2025-2026",
            "ell",
            "yes",
            desired=0.4,
            acting_user=u["principal_a"],
        )
    for who in ["network_1", "slt", "teacher_a"]:
        with pytest.raises(PermissionDenied):
            actions.write_problem_statement(
                world.school_a, ela, "2025-2026", "ell", "yes", desired=0.4, acting_user=u[who]
            )
    assert not ProblemStatement.objects.exists()
    s = actions.write_problem_statement(
        world.school_a, ela, "2025-2026", "ell", "yes", desired=0.4, acting_user=u["evaluator_a"]
    )
    for who, status in [("principal_b", 404), ("network_2", 404), ("teacher_a", 403), ("slt", 200)]:
        assert (
            login(u[who]).get(reverse("improvement:problem", args=[s.pk])).status_code == status
        ), who


def test_the_form_takes_percent_as_people_write_it(world, ela, login):
    client = login(world.users["principal_a"])
    response = client.post(
        reverse("improvement:problem_new"),
        {
            "school": world.school_a.pk,
            "metric": ela.pk,
            "school_year": "2025-2026",
            "group": "ell:yes",
            "desired": "45",
        },
    )
    s = ProblemStatement.objects.get()
    assert response.status_code == 302 and s.desired_value == pytest.approx(0.45)
    page = client.post(
        reverse("improvement:problem_new"),
        {
            "school": world.school_a.pk,
            "metric": ela.pk,
            "school_year": "2025-2026",
            "group": "swd:yes",
            "desired": "45",
        },
    ).content.decode()
    assert "suppressed" in page and ProblemStatement.objects.count() == 1
    assert (
        login(world.users["network_1"]).get(reverse("improvement:problem_new")).status_code == 403
    )


def test_a_statement_whose_data_is_now_suppressed_shows_no_figures(world, ela, login):
    s = actions.write_problem_statement(
        world.school_a,
        ela,
        "2025-2026",
        "ell",
        "yes",
        desired=0.45,
        acting_user=world.users["principal_a"],
    )
    MetricValue.objects.filter(
        entity_code="district", group_dim="ell", school_year="2025-2026"
    ).update(suppressed=True, value=None, n=None)
    for url in [reverse("improvement:problem", args=[s.pk]), reverse("improvement:problems")]:
        page = login(world.users["slt"]).get(url).content.decode()
        assert "withheld" in page and "41%" not in page and "31%" not in page, url


def test_the_district_target_is_read_in_the_writers_scope(world, ela):
    from districtpm.plans.models import Goal, Plan, Priority, Target

    plan = Plan.objects.create(name="P", first_year="2024-2025", last_year="2029-2030")
    goal = Goal.objects.create(
        plan=plan,
        priority=Priority.objects.create(plan=plan, name="Pr", order=1),
        statement="ELA",
        metric=ela,
        baseline_year="2024-2025",
        baseline_value=0.3,
        goal_year="2028-2029",
    )
    Target.objects.create(goal=goal, school_year="2025-2026", value=0.5)
    s = actions.write_problem_statement(
        world.school_a,
        ela,
        "2025-2026",
        "ell",
        "yes",
        desired=None,
        use_district_target=True,
        acting_user=world.users["principal_a"],
    )
    assert s.desired_value == 0.5 and s.desired_from_goal
    with pytest.raises(ValidationError, match="no district target"):
        actions.write_problem_statement(
            world.school_a,
            ela,
            "2025-2026",
            "ell",
            "yes",
            desired=None,
            use_district_target=True,
            acting_user=world.users["evaluator_a"],  # an ILT member does not read the plan
        )
