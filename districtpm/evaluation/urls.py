from __future__ import annotations

from django.urls import path

from districtpm.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.home, name="home"),
    path("framework/", views.framework, name="framework"),
    path("<int:pk>/", views.evaluation, name="evaluation"),
    path("<int:pk>/components/<int:component>/score/", views.score, name="score"),
    path("<int:pk>/finalise/", views.finalise, name="finalise"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
