"""A small process map on the `world` district, shared by the process map tests and the
downloads-by-role checker: a student's absences followed up across five lanes, as it is
(published) and as it is to be (a copy, not yet published), and a team member who works in
the family engagement lane.

    S1 start    Three days absent            Whole Child Supports
    S2 task     Call the family              Family Engagement      (2 days)
    S3 decision Family reached?              Family Engagement
    S4 task     Move the bus stop            Transportation         (3 days)
    S5 task     Update the enrollment record Enrollment             (1 day)
    S6 task     Plan supports                nobody (a gap; and a dead end)
    S7 end      Back in class                Whole Child Supports

    S1 → S2 → S3 →(Yes) S4 → S5 → S7;  S3 →(No) S6
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Division, Staff
from districtpm.processmaps import actions
from districtpm.processmaps.models import Flow, ProcessMap, Step, Version

LANES = {
    "WCS": "Whole Child Supports",
    "FAM": "Family Engagement",
    "TRN": "Transportation",
    "ENR": "Enrollment",
}
STEPS = [
    ("S1", "start", "Three days absent", "WCS", 0),
    ("S2", "task", "Call the family", "FAM", 2),
    ("S3", "decision", "Family reached?", "FAM", 0),
    ("S4", "task", "Move the bus stop", "TRN", 3),
    ("S5", "task", "Update the enrollment record", "ENR", 1),
    ("S6", "task", "Plan supports", None, 4),
    ("S7", "end", "Back in class", "WCS", 0),
]
FLOWS = [
    ("S1", "S2", ""),
    ("S2", "S3", ""),
    ("S3", "S4", "Yes"),
    ("S3", "S6", "No"),
    ("S4", "S5", ""),
    ("S5", "S7", ""),
]
MAP_NAME = "Absence follow-up"


@dataclass
class Sample:
    pm: ProcessMap
    published: Version  # version 1, as it is
    draft: Version  # version 2, to be: a copy of version 1
    lanes: dict[str, Division]
    member: Any  # the world's team member, on the family engagement lane's staff

    def step(self, version: Version, key: str) -> Step:
        return version.steps.get(key=key)

    def flow(self, version: Version, source: str, target: str) -> Flow:
        return version.flows.get(source__key=source, target__key=target)


def make_lanes(world: Any) -> dict[str, Division]:
    found = {}
    for code, name in LANES.items():
        found[code], _ = Division.objects.get_or_create(
            district=world.district, code=code, defaults={"name": name}
        )
    return found


def draw_steps(version: Version, lanes: dict[str, Division], steps=STEPS, flows=FLOWS) -> None:
    made = {}
    for key, kind, name, lane, days in steps:
        made[key] = actions.add_step(
            version,
            key=key,
            kind=kind,
            name=name,
            lane=lanes[lane] if lane else None,
            days=days,
            acting_user=SYSTEM,
        )
    for source, target, label in flows:
        actions.connect(made[source], made[target], label, acting_user=SYSTEM)


def make_sample(world: Any, *, initiative: Any = None, member_lane: str = "FAM") -> Sample:
    lanes = make_lanes(world)
    pm = actions.create_map(MAP_NAME, initiative=initiative, acting_user=SYSTEM)
    first = pm.versions.get(number=1)
    draw_steps(first, lanes)
    actions.publish_version(first, acting_user=SYSTEM)
    draft = actions.new_version(first, label="", acting_user=SYSTEM)
    member = world.users["team_member"]
    Staff.objects.update_or_create(
        user=member,
        defaults={
            "employee_id": "E-team-member",
            "first_name": member.first_name or "Tom",
            "last_name": member.last_name or "Nakamura",
            "division": lanes[member_lane],
        },
    )
    first.refresh_from_db()
    return Sample(pm, first, draft, lanes, member)


def digest() -> str:
    """Every process map row, as one hash: equal before and after means nothing changed."""
    rows = {
        "maps": list(ProcessMap.objects.order_by("pk").values()),
        "versions": list(Version.objects.order_by("pk").values()),
        "steps": list(Step.objects.order_by("pk").values()),
        "flows": list(Flow.objects.order_by("pk").values()),
    }
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
