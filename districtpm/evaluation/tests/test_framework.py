"""The framework as data: the shipped preset is whole (weights add up to 100%, Colorado's 70/30
split, cut points rising from 0), overall scores and projections come from it, a closed year
never changes, and only the district admin and HR partners set it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, scoring
from districtpm.evaluation.models import Component, Framework, OverallLevel, WeightSet
from districtpm.org.models import SchoolYear

PRACTICE = {"observation", "professionalism", "survey"}


@pytest.fixture
def leap(world):
    return actions.create_from_preset(world.year, acting_user=world.users["hr"])


def _parts(framework, weight_set_name):
    ws = WeightSet.objects.get(framework=framework, name=weight_set_name)
    weights = {w.component: w.percent for w in ws.weights.select_related("component")}
    components = {c.kind: c for c in framework.components.all()}
    return ws, weights, components, list(framework.levels.all())


def test_the_preset_is_whole_and_splits_practice_and_learning_70_30(leap):
    assert leap.components.count() == 5
    assert leap.components.get(kind="observation").indicators.filter(gateway=True).count() == 4
    for ws in leap.weight_sets.all():
        weights = {w.component.kind: w.percent for w in ws.weights.select_related("component")}
        assert sum(weights.values()) == 100
        assert sum(p for k, p in weights.items() if k in PRACTICE) == 70
        assert weights["growth_collective"] == 10
    assert [lv.state_rating for lv in leap.levels.all()] == [
        "ineffective",
        "partially_effective",
        "effective",
        "highly_effective",
    ]
    assert AuditEntry.objects.filter(action="evaluation.framework.create").count() == 1


def test_an_overall_score_and_its_level(leap):
    _, weights, c, levels = _parts(leap, "Without a student survey")
    # every component at 3 of 1–4: two thirds of the way, 66.67 → Effective
    result = scoring.overall(
        {
            c[k]: 3
            for k in ["observation", "professionalism", "growth_individual", "growth_collective"]
        },
        weights,
        levels,
    )
    assert result.final and result.score == pytest.approx(66.67)
    assert result.level.name == "Effective" and result.level.state_rating == "effective"
    # the survey counts nowhere in this set, so a survey score changes nothing
    assert scoring.overall({c["observation"]: 1}, weights, levels).level.name == "Not meeting"


def test_a_projection_scales_up_what_is_in_and_names_what_is_missing(leap):
    _, weights, c, levels = _parts(leap, "With a student survey")
    result = scoring.overall({c["observation"]: 4, c["professionalism"]: 2.5}, weights, levels)
    # observation 45 at 1.0 and professionalism 15 at 0.5 over 60: 87.5
    assert result.projected and result.score == pytest.approx(87.5)
    assert result.level.name == "Distinguished"
    assert {m.kind for m in result.missing} == {"survey", "growth_individual", "growth_collective"}
    nothing = scoring.overall({}, weights, levels)
    assert nothing.score is None and nothing.level is None and len(nothing.missing) == 5
    with pytest.raises(ValidationError, match="scored from 1 to 4"):
        scoring.overall({c["observation"]: 5}, weights, levels)


def test_weights_must_add_up_and_cut_points_must_rise(leap, world):
    hr = world.users["hr"]
    ws, weights, c, levels = _parts(leap, "Without a student survey")
    shares = dict(weights)
    shares[c["observation"]] = Decimal(50)
    with pytest.raises(ValidationError, match="add up to 95"):
        actions.set_weights(ws, shares, acting_user=hr)
    approaching = OverallLevel.objects.get(framework=leap, name="Approaching")
    with pytest.raises(ValidationError, match="higher score"):
        actions.set_cut_point(approaching, 70, acting_user=hr)
    approaching.refresh_from_db()
    assert approaching.min_score == 40
    assert sum(w.percent for w in ws.weights.all()) == 100


def test_a_closed_year_never_changes_and_next_year_is_a_copy(leap, world):
    hr = world.users["hr"]
    actions.close_framework(leap, acting_user=hr)
    next_year = SchoolYear.objects.create(
        district=world.district,
        name="2027-2028",
        start_date=dt.date(2027, 8, 16),
        end_date=dt.date(2028, 5, 19),
    )
    copy = actions.copy_to_year(leap, next_year, acting_user=hr)
    ws, weights, c, _ = _parts(copy, "Without a student survey")
    shares = dict(weights)
    shares[c["observation"]] = Decimal(45)
    shares[c["professionalism"]] = Decimal(25)
    actions.set_weights(ws, shares, acting_user=hr)
    closed_ws, closed_weights, closed_c, _ = _parts(leap, "Without a student survey")
    assert closed_weights[closed_c["observation"]] == 55  # the closed year is as it was
    with pytest.raises(ValidationError, match="closed"):
        actions.set_weights(closed_ws, dict(closed_weights), acting_user=hr)
    with pytest.raises(ValidationError, match="closed"):
        actions.set_cut_point(leap.levels.get(order=3), 65, acting_user=hr)
    assert Component.objects.filter(framework=copy).count() == 5


@pytest.mark.parametrize("who", ["pm", "slt", "principal_a", "evaluator_a", "teacher_a", "board"])
def test_only_the_admin_and_hr_set_the_framework(leap, world, who):
    ws, weights, _, _ = _parts(leap, "Without a student survey")
    with pytest.raises(PermissionDenied):
        actions.set_weights(ws, dict(weights), acting_user=world.users[who])
    with pytest.raises(PermissionDenied):
        actions.create_from_preset(world.year, name="Other", acting_user=world.users[who])
    assert Framework.objects.count() == 1


def test_the_admin_sets_it_too(world):
    assert actions.create_from_preset(world.year, acting_user=world.users["admin"]).pk
    assert actions.create_from_preset(world.year, name="Second", acting_user=SYSTEM).pk
