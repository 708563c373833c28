from __future__ import annotations

from django.contrib import admin

from districtpm.rubrics.models import Assessment, Framework, FrameworkVersion


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ["framework", "number", "created_at"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["version", "school", "school_year", "status"]
    list_filter = ["status", "school_year"]
