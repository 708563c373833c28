from __future__ import annotations

from django.urls import path

from districtpm.web import views

app_name = "web"
urlpatterns = [
    path("health/", views.health, name="health"),
    path("people/search/", views.people_search, name="people_search"),
]
