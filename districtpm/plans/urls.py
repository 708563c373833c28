from __future__ import annotations

from django.urls import path

from districtpm.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.plan_new, name="plan_new"),
    path("edit/", views.plan_edit, name="plan_edit"),
    path("import/", views.plan_import, name="plan_import"),
    path("export.xlsx", views.plan_export, name="plan_export"),
    path("goals/new/", views.goal_edit, name="goal_new"),
    path("goals/<int:pk>/", views.goal, name="goal"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/commentary/", views.commentary, name="commentary"),
    path("goals/<int:pk>/commentary/<int:item>/review/", views.review, name="review"),
    path("scorecards/", views.district_scorecard, name="district_scorecard"),
    path("scorecards/network/<str:code>/", views.network_scorecard, name="network_scorecard"),
    path("scorecards/school/<str:code>/", views.school_scorecard, name="school_scorecard"),
    path("board/", views.board, name="board"),
    # a priority, an initiative or a key action; after every fixed path above
    path("<str:kind>/new/", views.part_edit, name="part_new"),
    path("<str:kind>/<int:pk>/edit/", views.part_edit, name="part_edit"),
]
