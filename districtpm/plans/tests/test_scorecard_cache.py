"""Scorecard rows are kept between requests until values are recomputed or the plan changes,
and never cross from one scope to another."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from districtpm.metrics.compute import recompute
from districtpm.metrics.models import ComputeRun, MetricValue
from districtpm.metrics.signals import values_recomputed
from districtpm.org.models import SchoolYear
from districtpm.plans import actions, cache, scorecard
from districtpm.plans.models import CacheGeneration
from districtpm.plans.tests.test_plan_pages import TODAY, plan  # noqa: F401  (fixture)
from districtpm.plans.tests.test_scorecards import make_goal

URL = reverse("plans:district_scorecard")


@pytest.fixture(autouse=True)
def empty_cache():
    cache._memo.clear()
    yield
    cache._memo.clear()


@pytest.fixture
def computed(monkeypatch):
    """How many times the scorecards' rows were worked out (not taken from the cache)."""
    calls = []
    real = scorecard._rows
    monkeypatch.setattr(scorecard, "_rows", lambda *a: calls.append(a[2]) or real(*a))
    return calls


def _district_value() -> MetricValue:
    return MetricValue.objects.get(
        metric_id="ela_proficiency",
        level="district",
        grade="",
        group_dim="all",
        period="2025-2026",
    )


def _shown(value: float) -> str:
    return f"{value * 100:.1f}%"


@time_machine.travel(TODAY)
def test_rows_are_worked_out_once_and_then_reused(plan, login, world, computed):  # noqa: F811
    make_goal(plan)
    client = login(world.users["pm"])
    first, second = (client.get(URL).content.decode() for _ in range(2))
    assert len(computed) == 1
    # the same page (but for the per-request CSRF token in the header)
    assert first[first.index("<main") :] == second[second.index("<main") :]


@time_machine.travel(TODAY)
def test_a_recompute_shows_the_new_value(plan, login, world):  # noqa: F811
    make_goal(plan)
    client = login(world.users["pm"])
    stored = _district_value()
    old = stored.value
    assert _shown(old) in client.get(URL).content.decode()
    # A value changed behind the cache's back (no compute run): the kept rows still show the old.
    MetricValue.objects.filter(pk=stored.pk).update(value=old - 0.05)
    assert _shown(old) in client.get(URL).content.decode()
    # Once values are recomputed, the new one shows.
    values_recomputed.send(sender=ComputeRun, run=ComputeRun.objects.order_by("-pk").first())
    assert _shown(old - 0.05) in client.get(URL).content.decode()
    # And a real compute run, which stores the engine's value again, shows that.
    recompute()
    assert _district_value().value == pytest.approx(old)
    assert _shown(old) in client.get(URL).content.decode()


@time_machine.travel(TODAY)
def test_a_change_to_the_plan_shows_at_once(plan, login, world):  # noqa: F811
    goal = make_goal(plan)
    client = login(world.users["pm"])
    assert "Raise ELA proficiency" in client.get(URL).content.decode()
    pm = world.users["pm"]
    targets = {"2025-2026": 0.40, "2028-2029": 0.45}
    actions.save_goal(
        goal.pk, {"statement": "Lift ELA proficiency"}, targets, plan=plan, acting_user=pm
    )
    page = client.get(URL).content.decode()
    assert "Lift ELA proficiency" in page and "Raise ELA proficiency" not in page
    assert scorecard.district(pm, plan).rows[0].status.target == pytest.approx(0.40)
    # A priority renamed, a goal removed: each shows at once too.
    priority = goal.priority
    priority.name = "Every Student Reads"
    priority.save()
    assert "Every Student Reads" in client.get(URL).content.decode()
    goal.delete()
    assert "The plan has no goals for this district yet." in client.get(URL).content.decode()


@time_machine.travel(TODAY)
def test_a_change_made_by_another_process_is_seen(plan, login, world, computed):  # noqa: F811
    """The generation token is in the database: another server process that changes it (here,
    written directly, as that process would) makes this one work the rows out again."""
    make_goal(plan)
    client = login(world.users["pm"])
    client.get(URL)
    CacheGeneration.objects.filter(name=cache.GENERATION).update(token="another-process")
    client.get(URL)
    assert len(computed) == 2


@time_machine.travel(TODAY)
@pytest.mark.parametrize("first", ["network_1", "principal_a"])
def test_scopes_never_see_each_others_rows(plan, login, world, first):  # noqa: F811
    """The supervisor of network 1 and a principal in it see the same district scorecard with
    the same network listed, but only the supervisor may read the network's own figures, so
    only their card gives it a status. Whoever asks first, neither gets the other's rows."""
    make_goal(plan)
    second = {"network_1": "principal_a", "principal_a": "network_1"}[first]
    cards = {}
    for name in (first, second):
        user = world.users[name]
        card = scorecard.district(user, plan)
        assert [c.code for c in card.children] == ["N1"]
        current = SchoolYear.objects.current()
        fresh = scorecard._rows(user, plan, card.entity, card.children, card.period, current)
        assert [r.children for r in card.rows] == [r.children for r in fresh]
        cards[name] = card
    assert cards["network_1"].rows[0].children["N1"] is not None
    assert cards["principal_a"].rows[0].children.get("N1") is None
    assert cache.scope_key(world.users["network_1"]) != cache.scope_key(world.users["principal_a"])


@time_machine.travel(TODAY)
def test_viewers_with_the_same_scope_share_rows(plan, login, world, computed):  # noqa: F811
    make_goal(plan)
    assert cache.scope_key(world.users["pm"]) == cache.scope_key(world.users["slt"])
    login(world.users["pm"]).get(URL)
    login(world.users["slt"]).get(URL)
    assert len(computed) == 1


def test_only_the_current_generation_is_kept():
    memo = cache._Memo(size=2)
    assert memo.get("g1", "a") is None
    memo.put("g1", "a", 1)
    memo.put("g1", "b", 2)
    memo.put("g1", "c", 3)  # the least recently used goes
    assert (memo.get("g1", "a"), memo.get("g1", "c")) == (None, 3)
    assert memo.get("g2", "c") is None  # a new generation: nothing of the old one is served
    memo.put("g1", "d", 4)  # worked out under the old generation: not kept
    assert memo.get("g2", "d") is None and memo.get("g1", "c") is None
