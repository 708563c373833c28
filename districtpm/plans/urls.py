from __future__ import annotations

from django.urls import path

from districtpm.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.plan_new, name="plan_new"),
    path("goals/new/", views.goal_edit, name="goal_new"),
    path("goals/<int:pk>/", views.goal, name="goal"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
]
