"""The problem-solving workshops, under school-improvement/workshops/ (names `improvement:…`)."""

from __future__ import annotations

from django.urls import path

from districtpm.improvement import workshop_views as views

urlpatterns = [
    path("", views.workshop_list, name="workshops"),
    path("new/", views.workshop_new, name="workshop_new"),
    path("<int:pk>/", views.workshop, name="workshop"),
    path("<int:pk>/edit/", views.workshop_edit, name="workshop_edit"),
    path("<int:pk>/cancel/", views.workshop_cancel, name="workshop_cancel"),
    path("<int:pk>/register/", views.workshop_register, name="workshop_register"),
    path("<int:pk>/attendance/", views.workshop_attendance, name="workshop_attendance"),
    path("registrations/<int:pk>/team/", views.workshop_team, name="workshop_team"),
    path("registrations/<int:pk>/cancel/", views.workshop_withdraw, name="workshop_withdraw"),
    path(
        "registrations/<int:pk>/note-catchers/",
        views.workshop_note_upload,
        name="workshop_note_upload",
    ),
    path("note-catchers/<int:pk>/", views.workshop_note, name="workshop_note"),
    path("note-catchers/<int:pk>/remove/", views.workshop_note_remove, name="workshop_note_remove"),
]
