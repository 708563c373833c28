"""Ratings by school, the only view of evaluations most district roles have: no shown count is
below the minimum, a school whose educators all had one rating shows none of them, and an
attacker's linear program over every sum finds no hidden count it can narrow (the metrics
suppression audit)."""

from __future__ import annotations

import numpy as np
import pytest

from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, aggregates
from districtpm.evaluation.models import Evaluation
from districtpm.metrics.tests.disclosure_audit import audit
from districtpm.org.models import Assignment, School, Staff

MIN_N = 10


@pytest.fixture
def district(world):
    """Twelve schools in three networks with 15–60 final evaluations each; the first school's
    25 educators all rated effective."""
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    ws = framework.weight_sets.get(default=True)
    levels = {lv.state_rating: lv for lv in framework.levels.all()}
    networks = [world.network_1, world.network_2, world.network_2]
    rng = np.random.default_rng(3)
    position = world.staff["teacher_a"].position
    evaluations = []
    for i in range(12):
        school = School.objects.create(
            district=world.district,
            network=networks[i % 3],
            code=f"9{i:02d}",
            name=f"School {i:02d}",
            level="elementary",
        )
        counts = (
            [0, 0, 25, 0]
            if i == 0
            else rng.multinomial(rng.integers(15, 61), [0.03, 0.12, 0.6, 0.25])
        )
        for rating, count in zip(aggregates.ORDER, counts, strict=True):
            for k in range(int(count)):
                staff = Staff.objects.create(
                    employee_id=f"X{i}-{rating}-{k}", first_name="T", last_name=f"{i}{k}"
                )
                Assignment.objects.create(staff=staff, school=school, position=position)
                evaluations.append(
                    Evaluation(
                        staff=staff,
                        school=school,
                        school_year=world.year,
                        framework=framework,
                        weight_set=ws,
                        state=Evaluation.State.FINAL,
                        final_level=levels[rating],
                        final_score=50,
                    )
                )
    Evaluation.objects.bulk_create(evaluations)
    return world


def test_no_count_below_the_minimum_is_shown_and_none_can_be_worked_out(district):
    rows = aggregates.ratings_by_school(district.year, MIN_N)
    assert len([r for r in rows if r.level == "school"]) == 12
    district_row = rows[0]
    assert district_row.level == "district" and district_row.total == Evaluation.objects.count()
    shown = [n for r in rows for n in [*r.counts.values(), r.total] if n is not None]
    assert shown and min(shown) >= MIN_N
    uniform = next(r for r in rows if r.name == "School 00")
    assert uniform.counts["effective"] is None  # all 25 effective: not shown
    frame, networks, _ = aggregates.cells(district.year)
    from districtpm.metrics.suppression import suppress

    result = suppress(frame, MIN_N, networks, measure="count")
    small = (frame["n"] < MIN_N).to_numpy()
    report = audit(frame, result["suppressed"].to_numpy(), small, MIN_N, networks, "count")
    assert report.hidden > 0 and report.findings == [], [str(f) for f in report.findings[:3]]


def test_a_lower_minimum_shows_more(district):
    def shown(m):
        return sum(
            1
            for r in aggregates.ratings_by_school(district.year, m)
            for n in r.counts.values()
            if n
        )

    assert shown(5) > shown(MIN_N)


def test_nothing_final_gives_an_empty_table(world):
    assert aggregates.ratings_by_school(world.year) == []
