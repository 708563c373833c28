from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from districtpm.core.access import public
from districtpm.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("login/", public(auth_views.LoginView.as_view()), name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("org/", include("districtpm.org.urls")),
    path("audit/", include("districtpm.audit.urls")),
    path("data/", include("districtpm.metrics.urls")),
    path("plan/", include("districtpm.plans.urls")),
    path("meetings/", include("districtpm.meetings.urls")),
    path("action-plans/", include("districtpm.actionplans.urls")),
    path("rubrics/", include("districtpm.rubrics.urls")),
    path("school-improvement/", include("districtpm.improvement.urls")),
    path("blueprints/", include("districtpm.improvement.public_urls")),
    path("evaluation/", include("districtpm.evaluation.urls")),
    path("process-maps/", include("districtpm.processmaps.urls")),
    path("", include("districtpm.web.urls")),
    path("admin/", admin.site.urls),
]
