from __future__ import annotations

from django.contrib import admin

from districtpm.improvement.models import StepRule


@admin.register(StepRule)
class StepRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "school_year", "due_on"]
