from __future__ import annotations

from django.contrib import admin

from districtpm.actionplans import models
from districtpm.audit.admin import AuditedModelAdmin


class ActionInline(admin.TabularInline):
    model = models.PlanAction
    extra = 0
    fk_name = "plan"


@admin.register(models.ActionTeam)
class ActionTeamAdmin(AuditedModelAdmin):
    list_display = ["name", "priority", "lead"]


@admin.register(models.ActionPlan)
class ActionPlanAdmin(AuditedModelAdmin):
    list_display = ["team", "school_year", "evaluated_at"]
    inlines = [ActionInline]


@admin.register(models.StatusUpdate)
class StatusUpdateAdmin(AuditedModelAdmin):
    list_display = ["team", "month", "timeline", "scope", "resources"]
