"""The framework's import, download and editing pages, added to the evaluation app's URLs (its
namespace, "evaluation")."""

from __future__ import annotations

from django.urls import path

from districtpm.evaluation import framework_views as views

urlpatterns = [
    path("framework/import/", views.framework_import, name="framework_import"),
    path("framework/preset.xlsx", views.framework_preset, name="framework_preset"),
    path("framework/<int:pk>/export.xlsx", views.framework_export, name="framework_export"),
    path("framework/<int:pk>/weights/<int:ws>/", views.framework_weights, name="framework_weights"),
    path("framework/<int:pk>/levels/", views.framework_levels, name="framework_levels"),
    path("framework/<int:pk>/close/", views.framework_close, name="framework_close"),
]
