from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "districtpm.web"
    label = "web"
    verbose_name = "Web shell"

    def ready(self) -> None:
        from districtpm.web import rules  # noqa: F401  (registers the unbuilt capabilities' permissions)
        from districtpm.web.capabilities import register_placeholders

        register_placeholders()
