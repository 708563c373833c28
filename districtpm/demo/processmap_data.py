"""The demo district's process maps (capability 9): three processes of the plan's
initiatives, each a lane per department.

1. Following up a student's absences (Attendance outreach). As it works today — published, so
   the board reads it — a weekly list goes from the research office to each school, the school
   refers the families it cannot reach to a liaison, a family worker visits, and any change of
   bus stop or of address goes from one department to the next: eight hand-offs across seven
   departments of five divisions, nobody owning the attendance plan itself, and special-education
   referrals that are never brought back. As it is to be (a draft started from it): one
   attendance liaison holds each case from the first alert to the student's return, the other
   departments answer the liaison and hand back, the plan has an owner and the referral comes
   back to it — fewer hand-offs, no gaps, a shorter critical path.
2. Matching an instructional coach to a school (Instructional coaching), with a loop back
   while a coach is hired and another while coaching cycles go on.
3. Bringing a student back after a suspension (Restorative practices): who checks in with the
   student afterwards is not settled yet, so the map shows a step with no owner.

Everything goes through processmaps.actions as the system, so the audit log holds it as it
would a person's work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Division, Position, Staff
from districtpm.plans.models import Initiative
from districtpm.processmaps import actions, maps
from districtpm.processmaps.models import ProcessMap, Version

# Department names, as demo/generator.py's DIVISIONS makes them.
RESEARCH = "Accountability and Research"
SCHOOLS = "School Leadership"
WHOLE_CHILD = "Whole Child Supports"
FAMILY = "Family Engagement"
TRANSPORT = "Transportation"
ENROLLMENT = "Enrollment"
SPECIAL_ED = "Exceptional Student Services"
MULTILINGUAL = "Multilingual Education"
NETWORKS = "Network Support"
IMPROVEMENT = "School Improvement"
TEACHING = "Teaching and Learning"
HR = "Human Resources"
BUDGET = "Budget"
EFFECTIVENESS = "Educator Effectiveness"


@dataclass(frozen=True)
class S:
    """A step: key, kind, name, lane (None: nobody owns it), days, position code, produces."""

    key: str
    kind: str
    name: str
    lane: str | None
    days: float = 0
    position: str = ""
    produces: str = ""


# ------------------------------------------------------------------ 1. absences, as is

ABSENCES_AS_IS = [
    S("S1", "start", "Weekly absence list is run", RESEARCH, 0, "analyst"),
    S("S2", "task", "List emailed to each school", RESEARCH, 2, "analyst", "Absence list"),
    S("S3", "task", "School office phones the family", SCHOOLS, 3, "principal", "Call notes"),
    S("S4", "decision", "Family reached?", SCHOOLS),
    S("S5", "task", "Refer the student to an attendance liaison", WHOLE_CHILD, 5, "counselor"),
    S("S6", "task", "Family worker visits the home", FAMILY, 5, "", "Visit notes"),
    S("S7", "decision", "What keeps the student away?", FAMILY),
    S("S8", "task", "Request a new bus stop", TRANSPORT, 10, "", "Route change"),
    S("S9", "task", "Update the address and school of record", ENROLLMENT, 7),
    S("S10", "task", "Plan supports for the student", None, 5, "", "Attendance plan"),
    S("S11", "task", "Refer for a special-education review", SPECIAL_ED, 10),
    S("S12", "end", "Student attends again", SCHOOLS),
]
ABSENCES_AS_IS_FLOWS = [
    ("S1", "S2", ""),
    ("S2", "S3", ""),
    ("S3", "S4", ""),
    ("S4", "S10", "Yes"),
    ("S4", "S5", "No"),
    ("S5", "S6", ""),
    ("S6", "S7", ""),
    ("S7", "S8", "Transport"),
    ("S7", "S9", "Moved house"),
    ("S7", "S11", "Health or disability"),
    ("S7", "S10", "Something else"),
    ("S8", "S9", ""),
    ("S9", "S12", ""),
    ("S10", "S12", ""),
    # S11 leads nowhere: the referral is made and nobody brings it back
]

# ------------------------------------------------------------------ 1. absences, to be
# (changes made to a copy of the as-is version, so each step keeps its key)

ABSENCES_TO_BE_CHANGES: dict[str, dict[str, Any]] = {
    "S1": {"name": "Absence alert: a third day missed", "lane": WHOLE_CHILD, "position": ""},
    "S3": {
        "name": "Liaison phones the family within two days",
        "lane": WHOLE_CHILD,
        "days": 2,
        "position": "counselor",
    },
    "S4": {"lane": WHOLE_CHILD},
    "S6": {"name": "Liaison visits the home", "lane": WHOLE_CHILD, "days": 3},
    "S7": {"lane": WHOLE_CHILD},
    "S8": {"name": "Move the bus stop", "days": 5},
    "S9": {"days": 3},
    "S10": {"name": "Attendance plan agreed with the family", "lane": WHOLE_CHILD, "days": 3},
    "S12": {"lane": WHOLE_CHILD},
}
ABSENCES_TO_BE_REMOVED = ["S2", "S5"]  # the emailed list, the referral to a liaison
ABSENCES_TO_BE_FLOWS_OUT = [("S8", "S9"), ("S9", "S12")]  # no more relay between departments
ABSENCES_TO_BE_FLOWS_IN = [
    ("S1", "S3", ""),
    ("S4", "S6", "No"),
    ("S8", "S10", "Stop moved"),
    ("S9", "S10", "Record updated"),
    ("S11", "S10", "Review done"),
]

# ------------------------------------------------------------------ 2. a coach for a school

COACHING = [
    S("C1", "start", "A school asks for coaching support", NETWORKS, 0, "supervisor"),
    S("C2", "task", "Review the school's data and goals", IMPROVEMENT, 3, "", "Needs summary"),
    S("C3", "decision", "Is coaching the right support?", IMPROVEMENT),
    S("C4", "task", "Confirm funding for the coach's time", BUDGET, 5),
    S("C5", "task", "Match a coach to the school", TEACHING, 4),
    S("C6", "decision", "A coach free to start?", TEACHING),
    S("C7", "task", "Post and fill a coaching position", HR, 20),
    S("C8", "task", "Agree a coaching plan with the principal", TEACHING, 2, "coach", "Plan"),
    S("C9", "task", "Coaching cycles with teachers", TEACHING, 30, "coach"),
    S("C10", "task", "Check progress against the plan", EFFECTIVENESS, 2, "", "Progress note"),
    S("C11", "end", "Coaching plan closed", NETWORKS),
    S("C12", "end", "Other support arranged", NETWORKS),
]
COACHING_FLOWS = [
    ("C1", "C2", ""),
    ("C2", "C3", ""),
    ("C3", "C4", "Yes"),
    ("C3", "C12", "No"),
    ("C4", "C5", ""),
    ("C5", "C6", ""),
    ("C6", "C8", "Yes"),
    ("C6", "C7", "No"),
    ("C7", "C5", ""),
    ("C8", "C9", ""),
    ("C9", "C10", ""),
    ("C10", "C9", "Not yet"),
    ("C10", "C11", "Goals met"),
]

# ------------------------------------------------------------------ 3. back after a suspension

REENTRY = [
    S("R1", "start", "A suspension is issued", SCHOOLS, 0, "principal"),
    S("R2", "task", "Record the suspension and its days", RESEARCH, 1, "analyst"),
    S("R3", "decision", "Does the student have an IEP?", SPECIAL_ED),
    S("R4", "task", "Hold a manifestation review", SPECIAL_ED, 10, "", "Review decision"),
    S("R5", "task", "Invite the family to a re-entry meeting", FAMILY, 2),
    S("R6", "handoff", "Book an interpreter from the language service", MULTILINGUAL, 2),
    S("R7", "task", "Re-entry circle: student, family and staff", WHOLE_CHILD, 1, "counselor"),
    S("R8", "task", "Write the restorative agreement", WHOLE_CHILD, 1, "", "Agreement"),
    S("R9", "task", "Check in with the student at two and four weeks", None, 20),
    S("R10", "end", "Agreement kept", SCHOOLS),
]
REENTRY_FLOWS = [
    ("R1", "R2", ""),
    ("R2", "R3", ""),
    ("R3", "R4", "Yes"),
    ("R3", "R5", "No"),
    ("R4", "R5", ""),
    ("R5", "R6", "Family asks for one"),
    ("R5", "R7", "No interpreter needed"),
    ("R6", "R7", ""),
    ("R7", "R8", ""),
    ("R8", "R9", ""),
    ("R9", "R10", ""),
]


def _divisions() -> dict[str, Division]:
    return {d.name: d for d in Division.objects.order_by("pk")}


def _draw(version: Version, steps: list[S], flows: list[tuple[str, str, str]]) -> None:
    lanes = _divisions()
    positions = {p.code: p for p in Position.objects.all()}
    made = {}
    for s in steps:
        made[s.key] = actions.add_step(
            version,
            key=s.key,
            kind=s.kind,
            name=s.name,
            lane=lanes.get(s.lane) if s.lane else None,
            position=positions.get(s.position),
            days=s.days,
            produces=s.produces,
            acting_user=SYSTEM,
        )
    for source, target, label in flows:
        actions.connect(made[source], made[target], label, acting_user=SYSTEM)


def _initiative(name: str) -> Initiative | None:
    return Initiative.objects.filter(name=name).order_by("pk").first()


def _absences() -> tuple[ProcessMap, Version, Version]:
    pm = actions.create_map(
        "Following up a student's absences",
        initiative=_initiative("Attendance outreach"),
        description="From the day a student's absences add up to the day they attend again: "
        "who notices, who calls the family, who visits, and who changes the bus stop, the "
        "address or the supports when something keeps the student away.",
        acting_user=SYSTEM,
    )
    as_is = pm.versions.get(number=1)
    as_is.label = "As it works today"
    as_is.save(update_fields=["label"])
    _draw(as_is, ABSENCES_AS_IS, ABSENCES_AS_IS_FLOWS)
    actions.publish_version(as_is, acting_user=SYSTEM)

    to_be = actions.new_version(
        as_is,
        kind=Version.Kind.TO_BE,
        label="To be: one liaison follows each case",
        acting_user=SYSTEM,
    )
    lanes = _divisions()
    positions = {p.code: p for p in Position.objects.all()}
    for key in ABSENCES_TO_BE_REMOVED:
        actions.remove_step(to_be.steps.get(key=key), acting_user=SYSTEM)
    for source, target in ABSENCES_TO_BE_FLOWS_OUT:
        flow = to_be.flows.get(source__key=source, target__key=target)
        actions.disconnect(flow, acting_user=SYSTEM)
    for key, changes in ABSENCES_TO_BE_CHANGES.items():
        fields = dict(changes)
        if "lane" in fields:
            fields["lane"] = lanes.get(fields["lane"])
        if "position" in fields:
            fields["position"] = positions.get(fields["position"])
        actions.change_step(to_be.steps.get(key=key), acting_user=SYSTEM, **fields)
    steps = {s.key: s for s in to_be.steps.all()}
    for source, target, label in ABSENCES_TO_BE_FLOWS_IN:
        actions.connect(steps[source], steps[target], label, acting_user=SYSTEM)
    return pm, as_is, to_be


def _single(
    name: str, initiative: str, description: str, steps: list[S], flows: list
) -> ProcessMap:
    pm = actions.create_map(
        name, initiative=_initiative(initiative), description=description, acting_user=SYSTEM
    )
    version = pm.versions.get(number=1)
    _draw(version, steps, flows)
    actions.publish_version(version, acting_user=SYSTEM)
    return pm


def _division_member() -> bool:
    """The demo's team member works in Whole Child Supports, a central office department:
    their staff record (made here if they have none) puts them there, so signing in as them
    shows a division member changing their own lane's steps of the draft. True when set."""
    from django.contrib.auth.models import User

    user = User.objects.filter(username="team.member").first()
    lane = Division.objects.filter(name=WHOLE_CHILD).first()
    if user is None or lane is None:
        return False
    staff = Staff.objects.filter(user=user).first()
    if staff is None:
        staff = Staff.objects.create(
            employee_id="CO-team-member",
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            user=user,
            division=lane,
        )
    Staff.objects.filter(pk=staff.pk).update(division=lane)
    return True


def build_demo_maps(seed: int = 2026) -> dict[str, int]:
    """The three maps (the seed is taken for the builders' common shape: these maps are
    written out, not drawn at random). Their figures, for the build's report."""
    del seed
    absences, as_is, to_be = _absences()
    _single(
        "Matching a coach to a school",
        "Instructional coaching",
        "From a school's request for coaching to the close of its coaching plan.",
        COACHING,
        COACHING_FLOWS,
    )
    _single(
        "Back to school after a suspension",
        "Restorative practices",
        "From the day a suspension is issued to the student's restorative agreement kept.",
        REENTRY,
        REENTRY_FLOWS,
    )
    _, before = maps.analysis_of(as_is)
    _, after = maps.analysis_of(to_be)
    lanes = {s.lane_id for s in as_is.steps.all() if s.lane_id}
    return {
        "maps": ProcessMap.objects.count(),
        "versions": Version.objects.count(),
        "lanes_before": len(lanes),
        "handoffs_before": len(before.handoffs),
        "handoffs_after": len(after.handoffs),
        "gaps_before": len(before.gaps),
        "gaps_after": len(after.gaps),
        "days_before": int(before.critical_days),
        "days_after": int(after.critical_days),
        "division_member": int(_division_member()),
    }
