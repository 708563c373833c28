from __future__ import annotations

from django.urls import path

from districtpm.audit import views

app_name = "audit"
urlpatterns = [path("", views.entries, name="list")]
