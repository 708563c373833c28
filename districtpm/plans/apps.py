from __future__ import annotations

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "districtpm.plans"
    label = "plans"
    verbose_name = "Strategic plan"

    def ready(self) -> None:
        from districtpm.metrics.signals import values_recomputed
        from districtpm.plans import rules  # noqa: F401  (registers the scope rules)
        from districtpm.plans.progress import refresh_on_recompute

        values_recomputed.connect(refresh_on_recompute, dispatch_uid="plans.status")

        from districtpm.plans.cache import connect_receivers

        connect_receivers()  # cached scorecards are dropped when the plan changes

        from districtpm.core.navigation import register_capability

        register_capability(
            "plan",
            "Strategic plan",
            permission="plan.view",
            url_name="plans:home",
            summary=(
                "Goals with baselines and yearly targets, priorities, initiatives, status and forecasts; "
                "district, network and school scorecards and the board view."
            ),
            order=30,
        )
