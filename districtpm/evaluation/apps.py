"""Educator evaluation (capability 8): the framework as data (components, weights, cut points;
XLSX in and out), the year's windows from the school calendar and each role's checklist,
caseloads, observations, conversations with the teacher's reflection and acknowledgement,
follow-up emails, scores with rationales, the status engine that carries ratings across years
into status, risk and deadlines, and what follows a rating: plans of support, non-renewal,
disagreements, grievances and appeals with their clocks. Personnel records, read by the
teacher, their evaluator, their principal and HR partners only; the ratings by school,
suppressed, for everyone else in the section."""

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
        from districtpm.audit.log import private_actions, private_details
        from districtpm.core.navigation import register_capability
        from districtpm.evaluation import rules  # noqa: F401

        # The audit log shows an evaluation's changes and reads only to those who read it.
        # Its actions name a teacher (a non-renewal proposed, a plan of support started) or
        # list whose records were read: only the actor and the record's readers see them.
        private_actions("evaluation.")
        private_details(
            "evaluation.Evaluation",
            "evaluation.ComponentScore",
            "evaluation.Observation",
            "evaluation.ObservationNote",
            "evaluation.ObservationScore",
            "evaluation.Conversation",
            "evaluation.FollowUp",
            "evaluation.SupportPlan",
            "evaluation.CheckIn",
            "evaluation.NonRenewal",
            "evaluation.Appeal",
        )
        register_capability(
            "evaluation",
            "Educator evaluation",
            permission="evaluation.view",
            url_name="evaluation:home",
            summary="The evaluation year: observations, conversations, ratings with their "
            "rationale, teachers at risk, plans of support and appeals; the ratings by school.",
            order=80,
        )
