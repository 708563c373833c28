from __future__ import annotations

from django.urls import path

from districtpm.rubrics import views

app_name = "rubrics"
urlpatterns = [
    path("", views.home, name="home"),
    path("frameworks/", views.frameworks, name="frameworks"),
    path("frameworks/import/", views.framework_import, name="import"),
    path("frameworks/<int:pk>/", views.framework, name="framework"),
    path("frameworks/<int:pk>/framework.xlsx", views.framework_xlsx, name="framework_xlsx"),
    path("frameworks/<int:pk>/framework.pdf", views.framework_pdf, name="framework_pdf"),
    path("frameworks/<int:pk>/trend/", views.trend, name="trend"),
    path("frameworks/<int:pk>/weak/", views.framework_weak, name="framework_weak"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("assessments/new/", views.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", views.assessment, name="assessment"),
    path("assessments/<int:pk>/rate/", views.rate, name="rate"),
    path("assessments/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("assessments/<int:pk>/indicators/<int:indicator>/decide/", views.decide, name="decide"),
    path("assessments/<int:pk>/finalise/", views.finalise, name="finalise"),
    path("assessments/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("assessments/<int:pk>/members/<int:member>/reopen/", views.reopen, name="reopen_member"),
    path("assessments/<int:pk>/report/", views.report, name="report"),
    path("assessments/<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("assessments/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("finals/<int:pk>/link/", views.link, name="link"),
    path("links/<int:pk>/remove/", views.unlink, name="unlink"),
    path("ratings/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("heatmap/", views.heatmap, name="heatmap"),
]
