from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "districtpm.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from districtpm.audit import rules  # noqa: F401  (registers the permission)
