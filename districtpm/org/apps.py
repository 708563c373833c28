from __future__ import annotations

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "districtpm.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from districtpm.core.navigation import register_capability
        from districtpm.org import rules  # noqa: F401  (registers permissions and change rules)

        register_capability(
            "org",
            "Organisation",
            permission="org.view",
            url_name="org:home",
            summary="Networks, schools, school years and calendars, staff and positions.",
            order=10,
        )
