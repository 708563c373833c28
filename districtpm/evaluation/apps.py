"""Educator evaluation (capability 8): so far the status engine, the rules that carry a teacher's
ratings across years into status, risk and deadlines. Its pages are still the web shell's
placeholder."""

from __future__ import annotations

from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "districtpm.evaluation"
    label = "evaluation"
    verbose_name = "Educator evaluation"
    # Above meetings, beside rubrics and improvement: personnel records need nothing of theirs.
    layer_above = "meetings"
