from __future__ import annotations

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "districtpm.plans"
    label = "plans"
    verbose_name = "Strategic plan"
