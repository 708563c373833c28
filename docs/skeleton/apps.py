"""The skeleton app: copy this folder to start a new app (docs/adding-an-app.md)."""

from __future__ import annotations

from django.apps import AppConfig


class SkeletonConfig(AppConfig):
    name = "districtpm.skeleton"
    label = "skeleton"
    verbose_name = "School visits"
    # Its place in the layers (core/layers.py): it may import meetings and everything below.
    layer_above = "meetings"

    def ready(self) -> None:
        # Permissions and scope rules first: the views name the permissions when they load.
        from districtpm.core.navigation import register_capability
        from districtpm.skeleton import rules  # noqa: F401  (registers permissions and rules)

        register_capability(
            "skeleton",
            "School visits",
            permission="skeleton.view",
            url_name="skeleton:visits",
            summary="Visits to schools with their focus, by school.",
            order=100,
        )
