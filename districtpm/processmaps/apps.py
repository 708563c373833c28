"""Process maps (capability 9): an initiative's processes as steps owned by divisions, drawn as
swimlanes with the hand-offs between divisions marked and numbered, the gaps found from the
map itself (a step with no owner, an unreachable step, a dead end, a loop with no way out, a
decision with one outcome), the critical path in days, and versions compared before and after
re-engineering."""

from __future__ import annotations

from django.apps import AppConfig


class ProcessMapsConfig(AppConfig):
    name = "districtpm.processmaps"
    label = "processmaps"
    verbose_name = "Process maps"
    # Above meetings: a PM session's data pack shows the map of its focal area by registration.
    layer_above = "meetings"

    def ready(self) -> None:
        from districtpm.core.navigation import register_capability
        from districtpm.meetings.sections import register_sections
        from districtpm.processmaps import rules  # noqa: F401
        from districtpm.processmaps.packs import map_sections

        # a PM session's data pack shows the maps of its focal area's initiatives
        register_sections("processmaps", map_sections)
        register_capability(
            "processmaps",
            "Process maps",
            permission="processmaps.view",
            url_name="processmaps:home",
            summary="Initiatives' processes as swimlanes across divisions, with hand-offs and "
            "gaps found, before and after.",
            order=90,
        )
