from __future__ import annotations

from django.urls import path

from districtpm.improvement import public_views

app_name = "blueprints"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("<str:school>/<str:year>/", public_views.show, name="show"),
    path("<str:school>/<str:year>/blueprint.pdf", public_views.pdf, name="pdf"),
]
