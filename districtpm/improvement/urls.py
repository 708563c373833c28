from __future__ import annotations

from django.urls import include, path

from districtpm.improvement import plan_views, views

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
    path("plans/", plan_views.plans, name="plans"),
    path("plans/start/", plan_views.plan_start, name="plan_start"),
    path("plans/<int:pk>/", plan_views.plan, name="plan"),
    path("plans/<int:pk>/theory/", plan_views.theory, name="plan_theory"),
    path("plans/<int:pk>/comments/", plan_views.comment, name="plan_comment"),
    path("plans/<int:pk>/download.<str:fmt>", plan_views.plan_download, name="plan_download"),
    path("plans/<int:pk>/blueprint/", plan_views.blueprint_edit, name="blueprint_edit"),
    path(
        "plans/<int:pk>/blueprint/preview/", plan_views.blueprint_preview, name="blueprint_preview"
    ),
    path(
        "plans/<int:pk>/blueprint/publish/", plan_views.blueprint_publish, name="blueprint_publish"
    ),
    path("plans/<str:kind>/<int:parent>/add/", plan_views.part_add, name="part_add"),
    path("plans/parts/<str:kind>/<int:pk>/", plan_views.part_edit, name="part_edit"),
    path("plans/parts/<str:kind>/<int:pk>/remove/", plan_views.part_remove, name="part_remove"),
    path("checkpoints/<int:pk>/record/", plan_views.checkpoint_record, name="checkpoint_record"),
    path("workshops/", include("districtpm.improvement.workshop_urls")),
]
