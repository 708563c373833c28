"""Self-assessment rubrics: frameworks, assessments, consensus, results and heatmaps."""

from __future__ import annotations

from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "districtpm.rubrics"
    label = "rubrics"
    verbose_name = "Self-assessment rubrics"
    # It may import meetings and everything below; nothing below imports it.
    layer_above = "meetings"

    def ready(self) -> None:
        from districtpm.audit.log import private_details
        from districtpm.core.navigation import register_capability
        from districtpm.plans.answers import register_answers
        from districtpm.rubrics import rules  # noqa: F401  (registers permissions and rules)
        from districtpm.rubrics.results import answered_by_initiatives

        register_capability(
            "rubrics",
            "Self-assessment rubrics",
            permission="rubrics.view",
            url_name="rubrics:home",
            summary="Ratings with evidence, the team's consensus, trends and every school's "
            "heatmap.",
            order=60,
        )
        # The plan and meeting pages show which weak indicators each initiative answers.
        register_answers("rubrics", answered_by_initiatives)
        # The audit log shows a rating's (or a draft final rating's) change only to those who
        # may read the rating itself.
        private_details("rubrics.Rating", "rubrics.FinalRating")
