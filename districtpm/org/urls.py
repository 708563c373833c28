from __future__ import annotations

from django.urls import path

from districtpm.org import views

app_name = "org"
urlpatterns = [
    path("", views.home, name="home"),
    path("schools/", views.schools, name="schools"),
    path("schools/new/", views.school_edit, name="school_new"),
    path("schools/<int:pk>/", views.school, name="school"),
    path("schools/<int:pk>/edit/", views.school_edit, name="school_edit"),
    path("schools/<int:pk>/designations/", views.designation_add, name="designation_add"),
    path("designations/<int:pk>/remove/", views.designation_remove, name="designation_remove"),
    path("networks/", views.networks, name="networks"),
    path("networks/new/", views.network_edit, name="network_new"),
    path("networks/<int:pk>/", views.network, name="network"),
    path("networks/<int:pk>/edit/", views.network_edit, name="network_edit"),
    path("divisions/", views.divisions, name="divisions"),
    path("years/", views.years, name="years"),
    path("years/new/", views.year_edit, name="year_new"),
    path("years/<int:pk>/", views.year, name="year"),
    path("years/<int:pk>/edit/", views.year_edit, name="year_edit"),
    path("years/<int:year_pk>/events/new/", views.event_edit, name="event_new"),
    path("years/<int:year_pk>/events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("years/<int:year_pk>/events/<int:pk>/remove/", views.event_delete, name="event_delete"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/new/", views.staff_edit, name="staff_new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment_remove"),
    path("import/", views.import_view, name="import"),
]
