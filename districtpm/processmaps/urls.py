from __future__ import annotations

from django.urls import path

from districtpm.processmaps import views

app_name = "processmaps"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new_map, name="new"),
    path("<int:pk>/", views.process_map, name="map"),
    path("<int:pk>/v<int:number>/", views.version, name="version"),
    path("<int:pk>/v<int:number>/map.svg", views.version_svg, name="svg"),
    path("<int:pk>/v<int:number>/map.png", views.version_png, name="png"),
    path("<int:pk>/v<int:number>/steps.csv", views.version_csv, name="csv"),
    path("<int:pk>/v<int:number>/steps.xlsx", views.version_xlsx, name="xlsx"),
    path("<int:pk>/v<int:number>/steps/", views.add_step, name="add_step"),
    path("<int:pk>/v<int:number>/steps/<int:step>/", views.edit_step, name="edit_step"),
    path("<int:pk>/v<int:number>/steps/<int:step>/move/", views.move_step, name="move_step"),
    path("<int:pk>/v<int:number>/steps/<int:step>/remove/", views.remove_step, name="remove_step"),
    path("<int:pk>/v<int:number>/flows/", views.add_flow, name="add_flow"),
    path("<int:pk>/v<int:number>/flows/<int:flow>/remove/", views.remove_flow, name="remove_flow"),
    path("<int:pk>/v<int:number>/next/", views.next_version, name="next_version"),
    path("<int:pk>/v<int:number>/publish/", views.publish, name="publish"),
    path("<int:pk>/import/", views.import_version, name="import"),
    path("<int:pk>/compare/", views.compare, name="compare"),
]
