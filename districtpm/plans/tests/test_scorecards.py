"""Scorecards for the district, a network and a school; the board view; status history."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from districtpm.metrics.models import ComputeRun, Metric, MetricValue
from districtpm.org.models import Network, School, SchoolYear
from districtpm.plans import scorecard
from districtpm.plans.models import Goal, GoalStatusRecord, Target
from districtpm.plans.progress import after_recompute
from districtpm.plans.tests.test_plan_pages import TODAY, plan  # noqa: F401  (fixture)


def make_goal(plan, **changes) -> Goal:  # noqa: F811
    data = {
        "plan": plan,
        "priority": plan.priorities.get(),
        "statement": "Raise ELA proficiency",
        "metric": Metric.objects.get(id="ela_proficiency"),
        "baseline_year": "2024-2025",
        "baseline_value": 0.30,
        "goal_year": "2028-2029",
        "tolerance": 0.02,
    }
    data.update(changes)
    goal = Goal.objects.create(**data)
    Target.objects.create(goal=goal, school_year="2025-2026", value=0.33)
    Target.objects.create(goal=goal, school_year="2028-2029", value=0.45)
    return goal


@time_machine.travel(TODAY)
def test_district_scorecard_shows_status_trend_forecast_and_gaps(plan, login, world):  # noqa: F811
    goal = make_goal(plan)
    user = world.users["pm"]
    card = scorecard.district(user, plan)
    (row,) = card.rows
    actual = MetricValue.objects.get(
        metric_id="ela_proficiency", level="district", group_dim="all", period="2025-2026"
    ).value
    assert row.status.actual == actual and row.status.period == "2025-2026"
    assert row.status.target == pytest.approx(0.33)
    assert [p for p, _ in row.trend] == ["2024-2025", "2025-2026"]
    # two complete years are too few for a goal-year forecast (test_trend.py has the positive case)
    assert row.forecast is None
    # gaps: every shown group has at least min n students; hidden ones carry no number
    cells = [c for cs in row.gaps.values() for c in cs]
    assert {"econ_disadv", "ell", "swd", "race"} <= set(row.gaps)
    for c in cells:
        if c.suppressed:
            assert c.value is None and c.n is None and c.gap is None
        else:
            assert c.n >= settings.DISTRICTPM_MIN_N
            assert c.gap == pytest.approx(c.value - actual)
    assert row.largest_gap is not None and row.largest_gap.gap < 0
    assert {c.code for c in card.children} == {"N1", "N2"}
    assert set(row.children) == {"N1", "N2"}

    page = login(user).get(reverse("plans:district_scorecard")).content.decode()
    assert goal.statement in page and "Gaps by student group, 2025-2026" in page
    assert f"{actual * 100:.1f}%" in page
    assert reverse("plans:network_scorecard", args=["N1"]) in page


@time_machine.travel(TODAY)
def test_school_scorecard_carries_district_goals_from_the_schools_own_baseline(
    plan,  # noqa: F811
    login,
    world,
):
    make_goal(plan)
    own = make_goal(plan, statement="Aspen's own goal", level="school", entity_code="101")
    card = scorecard.school(world.users["pm"], plan, world.school_a)
    assert [r.goal.statement for r in card.rows] == ["Aspen's own goal", "Raise ELA proficiency"]
    own_row, carried = card.rows
    assert not own_row.carried and own_row.targets == own.targets_by_year
    base = MetricValue.objects.get(
        metric_id="ela_proficiency",
        level="school",
        entity_code="101",
        group_dim="all",
        period="2024-2025",
    ).value
    assert carried.carried and carried.baseline == base
    # the same change the district goal asks: +0.03 by 2025-2026, +0.15 by 2028-2029
    assert carried.targets["2025-2026"] == pytest.approx(base + 0.03)
    assert carried.targets["2028-2029"] == pytest.approx(min(1.0, base + 0.15))
    assert card.parent.code == "N1"


def test_scorecards_follow_the_users_scope(plan, login, world):  # noqa: F811
    make_goal(plan)
    principal = login(world.users["principal_a"])
    assert principal.get(reverse("plans:school_scorecard", args=["101"])).status_code == 200
    assert principal.get(reverse("plans:school_scorecard", args=["102"])).status_code == 404
    assert principal.get(reverse("plans:network_scorecard", args=["N2"])).status_code == 404
    assert login(world.users["teacher_a"]).get(reverse("plans:board")).status_code == 403
    network_1 = login(world.users["network_1"])
    page = network_1.get(reverse("plans:network_scorecard", args=["N1"])).content.decode()
    assert "Aspen Elementary" in page and "Birch Middle" not in page


def test_action_teams_have_no_school_or_network_scorecards(plan, login, world):  # noqa: F811
    # Team roles read district figures only: a school's goals, baselines and forecasts are not
    # theirs, on its scorecard as on its goal pages; the district card lists no networks.
    make_goal(plan)
    make_goal(plan, level="school", entity_code="101", statement="Aspen reads on grade level")
    for user in ("team_lead", "team_member"):
        client = login(world.users[user])
        assert client.get(reverse("plans:school_scorecard", args=["101"])).status_code == 404
        assert client.get(reverse("plans:network_scorecard", args=["N1"])).status_code == 404
        page = client.get(reverse("plans:district_scorecard")).content.decode()
        assert reverse("plans:network_scorecard", args=["N1"]) not in page
        assert "Aspen reads on grade level" not in page
    principal = login(world.users["principal_a"])
    page = principal.get(reverse("plans:school_scorecard", args=["101"])).content.decode()
    assert "Aspen reads on grade level" in page


@time_machine.travel(TODAY)
def test_board_view_is_read_only_and_shows_no_small_groups(plan, login, world):  # noqa: F811
    goal = make_goal(plan)
    page = login(world.users["board"]).get(reverse("plans:board")).content.decode()
    assert "Board view" in page and goal.statement in page
    assert reverse("plans:goal", args=[goal.pk]) not in page
    main = page[page.index("<main") :]
    assert "Edit" not in main and "Add a goal" not in main and "<form" not in main
    # every student count shown in the gaps is at least min n
    counts = re.findall(r'<td class="num">(\d[\d,]*)</td><td class="num">[−+]', page)
    assert counts, "the board view shows group sizes"
    assert all(int(c.replace(",", "")) >= settings.DISTRICTPM_MIN_N for c in counts)
    suppressed = MetricValue.objects.filter(
        metric_id="ela_proficiency", level="district", period="2025-2026", suppressed=True
    )
    if suppressed.exists():
        assert "Fewer than 10 students: not shown" in page


@time_machine.travel(TODAY)
def test_status_history_has_every_completed_year_after_the_baseline(plan, world):  # noqa: F811
    goal = make_goal(plan, baseline_year="2023-2024")
    SchoolYear.objects.create(
        district=world.district,
        name="2023-2024",
        start_date=dt.date(2023, 8, 21),
        end_date=dt.date(2024, 5, 24),
    )
    assert after_recompute() == 2  # 2024-2025 and 2025-2026; 2026-2027 has not ended
    history = {r.period: r for r in GoalStatusRecord.objects.filter(goal=goal)}
    assert set(history) == {"2024-2025", "2025-2026"}
    actual = MetricValue.objects.get(
        metric_id="ela_proficiency", level="district", group_dim="all", period="2024-2025"
    ).value
    assert history["2024-2025"].actual == actual
    assert history["2024-2025"].target == pytest.approx(0.30 + (0.33 - 0.30) / 2)


# ------------------------------------------------------- queries do not grow with schools
PLAN_METRICS = [
    "chronic_absenteeism",
    "ela_proficiency",
    "math_proficiency",
    "graduation_rate",
    "ela_median_growth",
    "suspension_rate",
]
GROUPS = [("all", "all"), ("econ_disadv", "yes"), ("econ_disadv", "no"), ("race", "Black")]


def _fill_values(seed: int = 7) -> None:
    """Metric values for every entity of the demo district, without running the engine."""
    from districtpm.metrics.compute import sync_definitions
    from districtpm.metrics.definitions import load_all

    sync_definitions(load_all())
    run = ComputeRun.objects.create(scope="test")
    rng = random.Random(seed)
    entities = (
        [("district", "district")]
        + [("network", c) for c in Network.objects.values_list("code", flat=True)]
        + [("school", c) for c in School.objects.values_list("code", flat=True)]
    )
    years = list(SchoolYear.objects.order_by("start_date").values_list("name", flat=True))
    rows = []
    for metric_id in PLAN_METRICS:
        for level, code in entities:
            for year in years:
                for dim, value in GROUPS:
                    small = dim == "race" and rng.random() < 0.3
                    rows.append(
                        MetricValue(
                            metric_id=metric_id,
                            level=level,
                            entity_code=code,
                            period=year,
                            school_year=year,
                            group_dim=dim,
                            group_value=value,
                            n=None if small else rng.randint(20, 400),
                            value=None if small else rng.uniform(0.1, 0.9),
                            suppressed=small,
                            run=run,
                        )
                    )
    MetricValue.objects.bulk_create(rows, batch_size=2000)


def _query_counts(scale: str) -> dict[str, int]:
    from districtpm.demo.generator import build_demo
    from districtpm.demo.plan_data import build_demo_plan

    counts = {}
    with transaction.atomic():
        build_demo(scale, seed=2026)
        _fill_values()
        build_demo_plan()
        network = Network.objects.order_by("code").first()
        school = School.objects.filter(network=network).order_by("code").first()
        urls = {
            "district": reverse("plans:district_scorecard"),
            "network": reverse("plans:network_scorecard", args=[network.code]),
            "school": reverse("plans:school_scorecard", args=[school.code]),
            "board": reverse("plans:board"),
        }
        for username in ("pm.office", "board.member", "network.a", "principal.a"):
            client = Client()
            client.force_login(User.objects.get(username=username))
            for name, url in urls.items():
                with CaptureQueriesContext(connection) as queries:
                    status = client.get(url).status_code
                counts[(username, name)] = (status, len(queries))
        schools = School.objects.count()
        transaction.set_rollback(True)
    return schools, counts


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_scorecard_query_count_is_the_same_for_the_small_and_large_demo_district():
    small_schools, small = _query_counts("small")
    large_schools, large = _query_counts("large")
    assert (small_schools, large_schools) == (12, 180)
    assert len(small) == 16  # 4 accounts × 4 scorecards
    assert {status for status, _ in small.values()} == {200}
    assert small == large


@pytest.mark.django_db
@time_machine.travel(TODAY)
def test_the_scorecard_benchmark_prints_medians_and_p95(capsys):
    from django.core.management import call_command

    from districtpm.demo.generator import build_demo
    from districtpm.demo.plan_data import build_demo_plan

    build_demo("small", seed=2026)
    _fill_values()
    build_demo_plan()
    call_command("plan", "bench", "--requests", "3")
    out = capsys.readouterr().out.splitlines()
    assert "district scorecard" in out[2] and "p95" in out[2] and "queries" in out[2]
    last = dict(part.split("=") for part in out[-1].split())
    assert set(last) == {"district_median_ms", "school_median_ms", "baseline_median_ms"}
    assert all(float(v) > 0 for v in last.values())


def test_plan_commands_export_and_import(plan, tmp_path, capsys):  # noqa: F811
    from django.core.management import CommandError, call_command
    from openpyxl import load_workbook

    make_goal(plan)
    path = tmp_path / "plan.xlsx"
    call_command("plan", "export", str(path))
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("plan", "import", str(path))  # the same name exists already
    book = load_workbook(path)
    book["Plan"]["B2"] = "Copy"
    book.save(path)
    call_command("plan", "import", str(path), "--as", "pm.office")
    assert "Imported Copy: 1 goals." in capsys.readouterr().out


def test_plan_export_to_a_folder_that_does_not_exist_is_a_message(plan, tmp_path):  # noqa: F811
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Cannot write .*No such file or directory"):
        call_command("plan", "export", str(tmp_path / "missing" / "plan.xlsx"))
