from __future__ import annotations

from django.apps import AppConfig


class ActionPlansConfig(AppConfig):
    name = "districtpm.actionplans"
    label = "actionplans"
    verbose_name = "Action teams and action plans"
