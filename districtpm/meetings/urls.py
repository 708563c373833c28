from __future__ import annotations

from django.urls import path

from districtpm.meetings import log_views, views

app_name = "meetings"
urlpatterns = [
    path("", views.year, name="year"),
    path("plan/", views.plan, name="plan"),
    path("remind/", views.remind, name="remind"),
    path("cycles/<int:pk>/settings/", views.cycle_settings, name="cycle_settings"),
    path("<int:pk>/", views.meeting, name="meeting"),
    path("<int:pk>/items/", views.add_item, name="add_item"),
    path("<int:pk>/items/<int:item>/close/", views.close_item, name="close_item"),
    path("<int:pk>/items/<int:item>/edit/", views.edit_item, name="edit_item"),
    path("<int:pk>/items/<int:item>/delete/", views.delete_item, name="delete_item"),
    path("log/", log_views.decision_log, name="log"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/state/", views.set_state, name="set_state"),
    path("<int:pk>/attendees/", views.attendees, name="attendees"),
    path("<int:pk>/pack.pptx", views.pack_pptx, name="pack_pptx"),
    path("<int:pk>/pack.pdf", views.pack_pdf, name="pack_pdf"),
    path("calendar/", views.feeds, name="feeds"),
    path("calendar/mine.ics", views.my_calendar, name="my_calendar"),
    path("feeds/<str:token>.ics", views.user_feed, name="user_feed"),
    path("feeds/<str:token>/teams/<int:team>.ics", views.team_feed, name="team_feed"),
]
