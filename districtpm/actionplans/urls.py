from __future__ import annotations

from django.urls import path

from districtpm.actionplans import views

app_name = "actionplans"
urlpatterns = [
    path("", views.home, name="home"),
    path("teams/new/", views.team_edit, name="team_new"),
    path("teams/<int:pk>/", views.team, name="team"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/plan/", views.start_plan, name="start_plan"),
    path("teams/<int:pk>/updates/<str:month>/", views.update, name="update"),
    path("teams/<int:pk>/actions/", views.add_action, name="add_action"),
    path("teams/<int:pk>/actions/<int:action>/status/", views.action_status, name="action_status"),
    path("teams/<int:pk>/actions/<int:action>/edit/", views.action_edit, name="action_edit"),
    path("teams/<int:pk>/actions/<int:action>/delete/", views.action_delete, name="action_delete"),
    path("teams/<int:pk>/close-year/", views.close_year, name="close_year"),
]
