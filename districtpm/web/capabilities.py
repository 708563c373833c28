"""The nine capabilities of DESIGN.md as the navigation shows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    slug: str
    title: str
    permission: str
    url_name: str
    summary: str
    built: bool = False

    @property
    def section(self) -> str:
        """The URL namespace whose pages belong to this capability, for the navigation."""
        namespace = self.url_name.split(":")[0]
        return self.slug if namespace == "web" else namespace


CAPABILITIES: list[Capability] = [
    Capability(
        "org",
        "Organisation",
        "org.view",
        "org:home",
        "Networks, schools, school years and calendars, staff and positions.",
        built=True,
    ),
    Capability(
        "data",
        "Data and metrics",
        "data.view",
        "metrics:catalogue",
        "Student and school data, metric definitions, values by group with small-group "
        "suppression.",
        built=True,
    ),
    Capability(
        "plan",
        "Strategic plan",
        "plan.view",
        "plans:home",
        "Goals with baselines and yearly targets, priorities, initiatives, status and forecasts; "
        "district, network and school scorecards and the board view.",
        built=True,
    ),
    Capability(
        "meetings",
        "Meeting cycles",
        "meetings.view",
        "meetings:year",
        "Explore, Engage and Empower meetings and PM sessions, with agendas, data packs, "
        "decisions and commitments; calendars to subscribe to.",
        built=True,
    ),
    Capability(
        "actionplans",
        "Action teams and plans",
        "actionplans.view",
        "actionplans:home",
        "Teams per priority, action plans, milestones and monthly status updates.",
        built=True,
    ),
    Capability(
        "rubrics",
        "Self-assessment rubrics",
        "rubrics.view",
        "web:rubrics",
        "Rubric ratings with evidence, consensus, and trends across years.",
    ),
    Capability(
        "improvement",
        "School improvement",
        "improvement.view",
        "web:improvement",
        "Problem statements, root causes, school action plans and the School Blueprint.",
    ),
    Capability(
        "evaluation",
        "Educator evaluation",
        "evaluation.view",
        "web:evaluation",
        "The evaluation year, conversations, ratings with rationale, and plans of support.",
    ),
    Capability(
        "processmaps",
        "Process maps",
        "processmaps.view",
        "web:processmaps",
        "Swimlane maps of initiative processes, hand-offs and gaps.",
    ),
]
BY_SLUG = {c.slug: c for c in CAPABILITIES}
