from __future__ import annotations

from django.apps import AppConfig


class ActionPlansConfig(AppConfig):
    name = "districtpm.actionplans"
    label = "actionplans"
    verbose_name = "Action teams and action plans"

    def ready(self) -> None:
        from districtpm.actionplans import rules  # noqa: F401  (registers the scope rules)
        from districtpm.core.navigation import register_capability

        register_capability(
            "actionplans",
            "Action teams and plans",
            permission="actionplans.view",
            url_name="actionplans:home",
            summary="Teams per priority, action plans, milestones and monthly status updates.",
            order=50,
        )
