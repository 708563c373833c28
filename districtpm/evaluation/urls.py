from __future__ import annotations

from django.urls import path

from districtpm.evaluation import cycle_views as cv
from districtpm.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.home, name="home"),
    path("framework/", views.framework, name="framework"),
    path("<int:pk>/", views.evaluation, name="evaluation"),
    path("<int:pk>/components/<int:component>/score/", views.score, name="score"),
    path("<int:pk>/finalise/", views.finalise, name="finalise"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("year/", cv.year, name="year"),
    path("caseloads/", cv.caseloads, name="caseloads"),
    path("results/import/", cv.results_import, name="results_import"),
    path("<int:pk>/observations/new/", cv.observation_new, name="observation_new"),
    path("<int:pk>/observations/<int:obs>/", cv.observation, name="observation"),
    path("<int:pk>/observations/<int:obs>/notes/", cv.observation_note, name="observation_note"),
    path("<int:pk>/observations/<int:obs>/share/", cv.observation_share, name="observation_share"),
    path("<int:pk>/conversations/<str:kind>/", cv.conversation, name="conversation"),
    path(
        "<int:pk>/conversations/<str:kind>/reflection/",
        cv.conversation_reflection,
        name="conversation_reflection",
    ),
    path("<int:pk>/conversations/<str:kind>/held/", cv.conversation_hold, name="conversation_hold"),
    path(
        "<int:pk>/conversations/<str:kind>/acknowledge/",
        cv.conversation_acknowledge,
        name="conversation_acknowledge",
    ),
    path("<int:pk>/followup/", cv.followup, name="followup"),
    path("<int:pk>/record.pdf", cv.record_pdf, name="record_pdf"),
]

from districtpm.evaluation import framework_urls  # noqa: E402

urlpatterns += framework_urls.urlpatterns

from districtpm.evaluation import consequence_urls  # noqa: E402

urlpatterns += consequence_urls.urlpatterns
