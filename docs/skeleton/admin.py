from __future__ import annotations

from django.contrib import admin

from districtpm.skeleton.models import SchoolVisit


@admin.register(SchoolVisit)
class SchoolVisitAdmin(admin.ModelAdmin):
    list_display = ["school", "visited_on", "focus"]
    list_filter = ["school"]
