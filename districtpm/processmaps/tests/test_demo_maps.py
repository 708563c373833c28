"""The demo district's process maps (demo/processmap_data.py), built on the test world with the
demo's divisions and initiatives: three maps of the plan's initiatives; the absences map as it
is (published) has gaps and hand-offs across at least five divisions, and its to-be version,
started from it, closes the gaps, removes hand-offs and shortens the critical path."""

from __future__ import annotations

import pytest

from districtpm.audit.models import AuditEntry
from districtpm.demo.generator import DIVISIONS
from districtpm.demo.processmap_data import build_demo_maps
from districtpm.org.models import Division
from districtpm.plans.models import Initiative, Plan, Priority
from districtpm.processmaps import drawing, maps
from districtpm.processmaps.analysis import DEAD_END, NO_OWNER
from districtpm.processmaps.models import ProcessMap


def demo_divisions(world) -> None:
    """The demo's divisions and departments, made as demo/generator.py makes them."""
    for code, name, departments in DIVISIONS:
        division, _ = Division.objects.get_or_create(
            district=world.district, code=code, defaults={"name": name}
        )
        for i, dept in enumerate(departments, start=1):
            Division.objects.create(
                district=world.district,
                code=f"{code}-{i}",
                name=dept,
                kind=Division.Kind.DEPARTMENT,
                parent=division,
            )


@pytest.fixture
def built(world):
    demo_divisions(world)
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    for order, (priority, initiative) in enumerate(
        [
            ("Whole Child", "Attendance outreach"),
            ("Teachers & Leaders", "Instructional coaching"),
            ("Opportunity Gap", "Restorative practices"),
        ],
        start=1,
    ):
        p = Priority.objects.create(plan=plan, name=priority, order=order)
        Initiative.objects.create(priority=p, name=initiative)
    return build_demo_maps(2026)


def _division_of(lane: Division) -> str:
    return (lane.parent or lane).code


def test_three_maps_of_the_plans_initiatives(built):
    found = {pm.name: pm for pm in ProcessMap.objects.select_related("initiative")}
    assert len(found) == built["maps"] == 3
    assert {pm.initiative.name for pm in found.values()} == {
        "Attendance outreach",
        "Instructional coaching",
        "Restorative practices",
    }
    for pm in found.values():
        for v in pm.versions.all():
            graph = maps.graph_of(v)
            assert 8 <= len(graph.nodes) <= 12, (pm.name, v.number)
            assert "<svg" in drawing.draw(graph, title=pm.name)
        assert pm.versions.filter(published=True).exists()  # the board reads each


def test_the_absences_map_as_is_and_to_be(built):
    pm = ProcessMap.objects.get(initiative__name="Attendance outreach")
    as_is, to_be = pm.versions.order_by("number")
    assert (as_is.kind, as_is.published) == ("as_is", True)
    assert (to_be.kind, to_be.published) == ("to_be", False)
    _, before = maps.analysis_of(as_is)
    _, after = maps.analysis_of(to_be)
    # as it is: gaps, and many hand-offs across five divisions' departments
    assert {g.kind for g in before.gaps} >= {NO_OWNER, DEAD_END} and len(before.gaps) >= 2
    lanes = {s.lane for s in as_is.steps.select_related("lane__parent") if s.lane}
    assert len(lanes) >= 5 and len({_division_of(lane) for lane in lanes}) >= 5
    # as it is to be: no gaps, fewer hand-offs, a shorter critical path
    assert after.gaps == []
    assert len(after.handoffs) < len(before.handoffs)
    assert after.critical_days < before.critical_days
    assert (built["handoffs_before"], built["handoffs_after"]) == (8, 6)
    assert (built["days_before"], built["days_after"]) == (32, 18)
    # the to-be started as a copy of the as-is: its steps keep their keys
    assert set(to_be.steps.values_list("key", flat=True)) <= set(
        as_is.steps.values_list("key", flat=True)
    )
    made = AuditEntry.objects.get(action="processmaps.version.create", object_id=str(pm.pk))
    assert made.after["from"] == as_is.title


def test_every_step_of_the_demo_is_in_the_audit_log(built):
    steps = AuditEntry.objects.filter(action="processmaps.step.add").count()
    assert steps == 12 + 12 + 10  # the as-is absences map, the coaching map, the re-entry map
    assert AuditEntry.objects.filter(action="processmaps.map.create").count() == 3
    assert AuditEntry.objects.filter(action="processmaps.version.publish").count() == 3


def test_the_demo_team_member_changes_their_own_lane_of_the_draft_only(built, world):
    from districtpm.processmaps.actions import may_edit_lane
    from districtpm.processmaps.models import Version

    assert built["division_member"] == 1
    member = world.users["team_member"]
    draft = Version.objects.get(process_map__name="Following up a student's absences", number=2)
    published = Version.objects.get(process_map=draft.process_map, number=1)
    lanes = {s.lane.name: s.lane_id for s in draft.steps.select_related("lane") if s.lane}
    assert may_edit_lane(member, draft, lanes["Whole Child Supports"])
    assert not may_edit_lane(member, draft, lanes["Transportation"])
    assert not may_edit_lane(member, published, lanes["Whole Child Supports"])
