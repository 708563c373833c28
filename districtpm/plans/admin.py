from __future__ import annotations

from django.contrib import admin

from districtpm.audit.admin import AuditedModelAdmin
from districtpm.plans import models


class PriorityInline(admin.TabularInline):
    model = models.Priority
    extra = 0


class TargetInline(admin.TabularInline):
    model = models.Target
    extra = 0


class KeyActionInline(admin.TabularInline):
    model = models.KeyAction
    extra = 0


@admin.register(models.Plan)
class PlanAdmin(AuditedModelAdmin):
    list_display = ["name", "first_year", "last_year"]
    inlines = [PriorityInline]


@admin.register(models.Priority)
class PriorityAdmin(AuditedModelAdmin):
    list_display = ["name", "plan", "order"]


@admin.register(models.Goal)
class GoalAdmin(AuditedModelAdmin):
    list_display = ["statement", "priority", "metric", "level", "entity_code", "goal_year"]
    inlines = [TargetInline]


@admin.register(models.Initiative)
class InitiativeAdmin(AuditedModelAdmin):
    list_display = ["name", "priority"]
    inlines = [KeyActionInline]
