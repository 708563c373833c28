from __future__ import annotations

from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "districtpm.meetings"
    label = "meetings"
    verbose_name = "Meeting cycles"

    def ready(self) -> None:
        from districtpm.actionplans.actions import provide_review_month
        from districtpm.meetings import rules  # noqa: F401  (registers the scope rules)
        from districtpm.meetings.reminders import explore_focus_month

        provide_review_month(explore_focus_month)

        from districtpm.core.navigation import register_capability

        register_capability(
            "meetings",
            "Meeting cycles",
            permission="meetings.view",
            url_name="meetings:year",
            summary=(
                "Explore, Engage and Empower meetings and PM sessions, with agendas, data packs, "
                "decisions and commitments; calendars to subscribe to."
            ),
            order=40,
        )
