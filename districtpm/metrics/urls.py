from __future__ import annotations

from django.urls import path

from districtpm.metrics import mapping_views, views

app_name = "metrics"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("import/", views.import_upload, name="import"),
    path("import/map/", mapping_views.map_file, name="map_file"),
    path("api/metrics/", views.api_metrics, name="api_metrics"),
    path("api/metrics/<slug:metric_id>/values/", views.api_values, name="api_values"),
    path("import/<int:pk>/", views.import_task, name="import_task"),
    path("metrics/<slug:metric_id>/", views.metric_detail, name="metric"),
    path("metrics/<slug:metric_id>/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("metrics/<slug:metric_id>/export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
