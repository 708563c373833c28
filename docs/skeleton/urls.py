from __future__ import annotations

from django.urls import path

from districtpm.skeleton import views

app_name = "skeleton"
urlpatterns = [
    path("", views.visits, name="visits"),
    path("new/", views.new_visit, name="new_visit"),
]
