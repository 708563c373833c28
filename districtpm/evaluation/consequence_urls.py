"""The routes of plans of support, non-renewals and appeals, and HR's list of deadlines passed
(added to the app's urls.py, namespace "evaluation")."""

from __future__ import annotations

from django.urls import path

from districtpm.evaluation import consequence_views as views

urlpatterns = [
    path("overdue/", views.overdue, name="overdue"),
    path("<int:pk>/support/", views.support, name="support"),
    path("<int:pk>/support/<int:plan>/", views.support_plan, name="support_plan"),
    path("<int:pk>/support/<int:plan>/check-in/", views.support_check_in, name="support_check_in"),
    path("<int:pk>/support/<int:plan>/close/", views.support_close, name="support_close"),
    path("<int:pk>/nonrenewal/", views.nonrenewal, name="nonrenewal"),
    path(
        "<int:pk>/nonrenewal/notice/",
        views.nonrenewal_step,
        {"step": "notice"},
        name="nonrenewal_notice",
    ),
    path(
        "<int:pk>/nonrenewal/reasons-requested/",
        views.nonrenewal_step,
        {"step": "reasons_requested"},
        name="nonrenewal_reasons_requested",
    ),
    path(
        "<int:pk>/nonrenewal/reasons-given/",
        views.nonrenewal_step,
        {"step": "reasons_given"},
        name="nonrenewal_reasons_given",
    ),
    path("<int:pk>/nonrenewal/withdraw/", views.nonrenewal_withdraw, name="nonrenewal_withdraw"),
    path("<int:pk>/appeals/", views.appeals, name="appeals"),
    path("<int:pk>/appeals/<int:appeal>/", views.appeal, name="appeal"),
    path("<int:pk>/appeals/<int:appeal>/panel/", views.appeal_panel, name="appeal_panel"),
]
