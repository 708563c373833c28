"""Creating goals in the browser, seeing their status, and data going stale."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import time_machine
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.conftest import use_store_with_past_years
from districtpm.metrics.compute import recompute
from districtpm.metrics.definitions import definitions_dir
from districtpm.metrics.models import Metric, MetricValue
from districtpm.plans.models import Goal, Plan, Priority

TODAY = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.fixture
def plan(world, analytics_path, settings, tmp_path, monkeypatch):
    use_store_with_past_years(world, analytics_path, settings, tmp_path)
    folder = tmp_path / "definitions"
    folder.mkdir()
    shutil.copy(definitions_dir() / "ela_proficiency.yaml", folder)
    shutil.copy(definitions_dir() / "ela_interim_on_track.yaml", folder)
    monkeypatch.setenv("DISTRICTPM_METRICS_DIR", str(folder))
    recompute()
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    Priority.objects.create(plan=plan, name="Great Schools", order=1)
    return plan


def post_goal(client, plan, **changes):
    data = {
        "statement": "Raise ELA proficiency",
        "priority": plan.priorities.get().pk,
        "metric": "ela_proficiency",
        "level": "district",
        "entity_code": "district",
        "group": "all:all",
        "baseline_year": "2024-2025",
        "baseline_value": "0.30",
        "goal_year": "2028-2029",
        "tolerance": "0.02",
        "reported_status": "",
        "targets-TOTAL_FORMS": "4",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "12",
        "targets-0-school_year": "2025-2026",
        "targets-0-value": "0.33",
        "targets-1-school_year": "2028-2029",
        "targets-1-value": "0.45",
    }
    data.update(changes)
    return client.post(reverse("plans:goal_new"), data)


@time_machine.travel(TODAY)
def test_a_leader_creates_a_goal_with_targets_and_sees_its_status(plan, login, world):
    client = login(world.users["slt"])
    response = post_goal(client, plan)
    goal = Goal.objects.get()
    assert response["Location"] == reverse("plans:goal", args=[goal.pk])
    assert goal.targets_by_year == {"2025-2026": 0.33, "2028-2029": 0.45}
    page = client.get(response["Location"]).content.decode()
    actual = MetricValue.objects.get(
        metric_id="ela_proficiency", level="district", group_dim="all", period="2025-2026"
    ).value
    expected = "On track" if actual >= 0.33 else ("At risk" if actual >= 0.31 else "Off track")
    assert expected in page
    assert "2025-2026" in page and f"{actual * 100:.1f}%" in page
    home = client.get(reverse("plans:home")).content.decode()
    assert "Raise ELA proficiency" in home and expected in home
    entry = AuditEntry.objects.get(action="plans.goal.create")
    assert entry.after["targets"] == {"2025-2026": 0.33, "2028-2029": 0.45}


@time_machine.travel(TODAY)
def test_bad_targets_are_refused_and_nothing_is_saved(plan, login, world):
    client = login(world.users["pm"])
    response = post_goal(client, plan, **{"targets-1-school_year": "2031-2032"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "after the baseline year and by the goal year" in body
    assert "Give a target for the goal year 2028-2029" in body
    response = post_goal(client, plan, **{"targets-0-school_year": "2025-2027"})
    assert "two consecutive years" in response.content.decode()
    assert not Goal.objects.exists()


@time_machine.travel(TODAY)
def test_missing_latest_data_means_no_recent_data_whatever_was_reported(plan, login, world):
    client = login(world.users["pm"])
    post_goal(client, plan, reported_status="on_track")
    goal = Goal.objects.get()
    assert goal.reported_status == "on_track"
    assert (
        "No recent data" not in client.get(reverse("plans:goal", args=[goal.pk])).content.decode()
    )
    MetricValue.objects.filter(metric_id="ela_proficiency", period="2025-2026").delete()
    page = client.get(reverse("plans:goal", args=[goal.pk])).content.decode()
    assert "No recent data" in page
    assert "the owner reported" in page


def test_only_leaders_change_the_plan(plan, login, world):
    assert post_goal(login(world.users["principal_a"]), plan).status_code == 403
    assert login(world.users["board"]).get(reverse("plans:home")).status_code == 200
    assert login(world.users["teacher_a"]).get(reverse("plans:home")).status_code == 403
    assert not Goal.objects.exists()


def test_school_goals_are_scoped(plan, login, world):
    from districtpm.metrics.models import Metric

    goal = Goal.objects.create(
        plan=plan,
        statement="Birch goal",
        metric=Metric.objects.get(id="ela_proficiency"),
        level="school",
        entity_code="102",
        baseline_year="2024-2025",
        baseline_value=0.3,
        goal_year="2028-2029",
    )
    assert (
        login(world.users["principal_a"]).get(reverse("plans:goal", args=[goal.pk])).status_code
        == 404
    )
    assert (
        login(world.users["principal_b"]).get(reverse("plans:goal", args=[goal.pk])).status_code
        == 200
    )


def test_goal_for_an_unknown_school_is_refused(plan, login, world):
    response = post_goal(login(world.users["pm"]), plan, level="school", entity_code="999")
    assert response.status_code == 400
    assert "There is no school with code &#x27;999&#x27;" in response.content.decode()
    assert not Goal.objects.exists()


@time_machine.travel(TODAY)
def test_goal_page_shows_a_forecast_with_interval_and_probability(plan, login, world):
    client = login(world.users["pm"])
    post_goal(client, plan, **{"targets-2-school_year": "2026-2027", "targets-2-value": "0.36"})
    page = client.get(reverse("plans:goal", args=[Goal.objects.get().pk])).content.decode()
    assert "Forecast" in page and "fall interim" in page
    assert "80% interval" in page and "Chance of meeting the target" in page
    # two complete years are too few for a years-ahead forecast: the page says what it needs
    assert "needs three complete years of results" in page
    assert "How the status and the chance relate" in page


def test_backtest_prints_mae_and_coverage(plan, capsys):
    from django.core.management import call_command

    call_command("forecast", "backtest")
    lines = capsys.readouterr().out.strip().splitlines()
    [this_year] = [line for line in lines if line.startswith("this year: mae=")]
    assert " coverage80=" in this_year and int(this_year.split("n=")[1]) >= 5
    # years ahead: the world's two complete years give no origin to test from, said as n/a
    assert lines[-1].startswith("h1_coverage80=") and " skill_vs_naive=" in lines[-1]


@time_machine.travel(TODAY)
def test_goal_page_shows_how_leading_measures_track_and_status_history(plan, login, world):
    from districtpm.metrics.models import Metric
    from districtpm.plans.progress import after_recompute

    client = login(world.users["pm"])
    post_goal(client, plan, leading_metrics=["ela_interim_on_track"])
    goal = Goal.objects.get()
    assert after_recompute() == 1
    assert goal.status_history.get().period == "2025-2026"
    page = client.get(reverse("plans:goal", args=[goal.pk])).content.decode()
    assert "Leading measures" in page and "ELA interim on track" in page

    from districtpm.plans.leading import correlation

    link = correlation(goal.metric, Metric.objects.get(id="ela_interim_on_track"))
    assert link.n >= 5 and link.r is not None and link.r > 0.3  # the interim predicts the test
    assert link.flag == ""


def test_leaders_add_and_change_priorities_initiatives_and_key_actions(plan, login, world):
    from districtpm.plans.models import Initiative, KeyAction

    client = login(world.users["slt"])
    response = client.post(
        reverse("plans:part_new", args=["priority"]),
        {"name": "Whole Child", "order": 2, "description": "Belonging"},
    )
    assert response.status_code == 302
    priority = plan.priorities.get(name="Whole Child")
    duplicate = client.post(
        reverse("plans:part_new", args=["priority"]), {"name": "Whole Child", "order": 3}
    )
    assert duplicate.status_code == 400 and "already" in duplicate.content.decode()
    client.post(
        reverse("plans:part_new", args=["initiative"]),
        {"priority": priority.pk, "name": "Mentoring", "leading_metrics": ["ela_interim_on_track"]},
    )
    initiative = Initiative.objects.get(name="Mentoring")
    assert [m.id for m in initiative.leading_metrics.all()] == ["ela_interim_on_track"]
    client.post(
        reverse("plans:part_new", args=["action"]),
        {"initiative": initiative.pk, "name": "Match mentors", "status": "not_started"},
    )
    action = KeyAction.objects.get(name="Match mentors")
    client.post(
        reverse("plans:part_edit", args=["action", action.pk]),
        {"initiative": initiative.pk, "name": "Match mentors", "status": "done", "milestone": "on"},
    )
    action.refresh_from_db()
    assert action.status == "done" and action.milestone
    entry = AuditEntry.objects.get(action="plans.keyaction.update")
    assert entry.before["status"] == "not_started" and entry.after["status"] == "done"
    assert AuditEntry.objects.filter(action="plans.priority.create").count() == 1
    client.post(
        reverse("plans:plan_edit"),
        {
            "name": "Plan 2030",
            "first_year": "2024-2025",
            "last_year": "2029-2030",
            "vision": "All read.",
        },
    )
    plan.refresh_from_db()
    assert plan.vision == "All read."
    home = client.get(reverse("plans:home")).content.decode()
    assert "Mentoring" in home and "Match mentors" in home
    refused = login(world.users["principal_a"]).post(
        reverse("plans:part_new", args=["priority"]), {"name": "Mine", "order": 1}
    )
    assert refused.status_code == 403
    assert login(world.users["pm"]).get("/plan/goal/new/").status_code == 404


def test_a_goal_on_a_leading_measure_keeps_it_in_its_edit_form(plan, login, world):
    # The demo's attendance and discipline goals are set on leading measures; their edit form
    # offered lagging ones only, so saving it unchanged failed with "This field is required".
    Metric.objects.filter(id="ela_proficiency").update(kind="leading")
    goal = Goal.objects.create(
        plan=plan,
        priority=plan.priorities.get(),
        statement="Raise proficiency",
        metric_id="ela_proficiency",
        baseline_year="2024-2025",
        baseline_value=0.2,
        goal_year="2028-2029",
    )
    page = login(world.users["pm"]).get(reverse("plans:goal_edit", args=[goal.pk]))
    assert page.status_code == 200
    assert re.search(r'<option value="ela_proficiency"[^>]*selected', page.content.decode())
    new = login(world.users["pm"]).get(reverse("plans:goal_new")).content.decode()
    choices = re.search(r'<select name="metric".*?</select>', new, re.S).group(0)
    assert 'value="ela_proficiency"' not in choices  # new goals still take a lagging measure
