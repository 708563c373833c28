from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "districtpm.metrics"
    label = "metrics"
    verbose_name = "Data and metrics"
