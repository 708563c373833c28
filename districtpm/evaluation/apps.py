"""Educator evaluation (capability 8): so far the framework as data (components, weights,
cut points), the overall score from component scores, and the status engine that carries a
teacher's ratings across years into status, risk and deadlines. Its pages so far: one's
evaluations, an evaluation's scores and rating, teachers at risk, the ratings by school."""

from __future__ import annotations

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "districtpm.evaluation"
    label = "evaluation"
    verbose_name = "Educator evaluation"
    # Above meetings, beside rubrics and improvement: personnel records need nothing of theirs.
    layer_above = "meetings"

    def ready(self) -> None:
        # Importing the rules registers the app's permissions and scope rules.
        from districtpm.audit.log import private_details
        from districtpm.core.navigation import register_capability
        from districtpm.evaluation import rules  # noqa: F401

        # The audit log shows an evaluation's changes and reads only to those who read it.
        private_details("evaluation.Evaluation", "evaluation.ComponentScore")
        register_capability(
            "evaluation",
            "Educator evaluation",
            permission="evaluation.view",
            url_name="evaluation:home",
            summary="Evaluations with their scores and rationale, teachers at risk, and the "
            "ratings by school.",
            order=80,
        )
