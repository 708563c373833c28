from __future__ import annotations

from django.contrib import admin

from districtpm.audit.admin import AuditedModelAdmin
from districtpm.meetings import models


class RuleInline(admin.StackedInline):
    model = models.MeetingRule
    extra = 0


class FocusInline(admin.TabularInline):
    model = models.FocusMonth
    extra = 0


@admin.register(models.Cycle)
class CycleAdmin(AuditedModelAdmin):
    list_display = ["name", "school_year", "preset"]
    inlines = [RuleInline, FocusInline]


@admin.register(models.Meeting)
class MeetingAdmin(AuditedModelAdmin):
    list_display = ["title", "date", "state", "moved_reason"]
    list_filter = ["cycle", "rule__kind", "state"]
