"""School improvement: designations and their deadlines (the first part of capability 7)."""

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
        from districtpm.improvement import rules  # noqa: F401  (registers permissions and rules)

        register_capability(
            "improvement",
            "School improvement",
            permission="improvement.view",
            url_name="improvement:designations",
            summary="Designated schools, the steps each designation requires and their due dates.",
            order=70,
        )
