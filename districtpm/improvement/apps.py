"""School improvement (capability 7): designations and their deadlines, problem statements and
their verified causes, school plans, the School Blueprint, the problem-solving workshops."""

from __future__ import annotations

from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "districtpm.improvement"
    label = "improvement"
    verbose_name = "School improvement"
    # Above meetings, beside rubrics: it may use rubrics (causes are verified against a school's
    # self-assessment); rubrics never imports it.
    layer_above = "meetings"

    def ready(self) -> None:
        from districtpm.core.navigation import register_capability

        # Importing the rules registers the app's permissions and scope rules.
        from districtpm.improvement import rules, workshop_rules  # noqa: F401
        from districtpm.improvement.problems import causes_verified_by
        from districtpm.rubrics.uses import register_uses

        # A self-assessment's page shows where a final rating verified a problem's cause.
        register_uses("improvement", causes_verified_by)

        register_capability(
            "improvement",
            "School improvement",
            permission="improvement.view",
            url_name="improvement:designations",
            summary="Designated schools and their deadlines, problem statements from data, verified "
            "causes, school plans, the public School Blueprints and the workshops.",
            order=70,
        )
