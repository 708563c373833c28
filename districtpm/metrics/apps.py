from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "districtpm.metrics"
    label = "metrics"
    verbose_name = "Data and metrics"

    def ready(self) -> None:
        from districtpm.core.navigation import register_capability
        from districtpm.metrics import rules  # noqa: F401  (registers the scope rules)

        register_capability(
            "data",
            "Data and metrics",
            permission="data.view",
            url_name="metrics:catalogue",
            summary=(
                "Student and school data, metric definitions, values by group with small-group "
                "suppression."
            ),
            order=20,
        )
