from __future__ import annotations

from django.urls import include, path

from districtpm.improvement import views

app_name = "improvement"
urlpatterns = [
    path("", views.designations, name="designations"),
    path("designations/<int:designation>/steps/<int:rule>/done/", views.complete, name="complete"),
    path("steps/done/<int:pk>/undo/", views.undo, name="undo"),
    path("steps/", views.step_rules, name="steps"),
    path("problems/", views.problems, name="problems"),
    path("schools/<int:school>/prepare/", views.prepare, name="prepare"),
    path("problems/new/", views.problem_new, name="problem_new"),
    path("problems/<int:pk>/", views.problem, name="problem"),
    path("problems/<int:pk>/causes/", views.cause_new, name="cause_new"),
    path("causes/<int:pk>/decide/", views.cause_decide, name="cause_decide"),
    path("designations/import/", views.import_designations, name="import"),
    path("steps/<int:pk>/remove/", views.remove_rule, name="remove_rule"),
    path("workshops/", include("districtpm.improvement.workshop_urls")),
]
