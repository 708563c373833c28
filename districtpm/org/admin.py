from __future__ import annotations

from django.contrib import admin

from districtpm.audit.admin import AuditedModelAdmin
from districtpm.org import models


class DesignationInline(admin.TabularInline):
    model = models.Designation
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = models.Assignment
    extra = 0
    autocomplete_fields = ["school"]


class CalendarEventInline(admin.TabularInline):
    model = models.CalendarEvent
    extra = 0


@admin.register(models.District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "state"]


@admin.register(models.Division)
class DivisionAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(models.Network)
class NetworkAdmin(AuditedModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(models.School)
class SchoolAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "lowest_grade", "highest_grade", "network", "active"]
    list_filter = ["level", "network", "active"]
    search_fields = ["name", "code"]
    inlines = [DesignationInline]


@admin.register(models.SchoolYear)
class SchoolYearAdmin(AuditedModelAdmin):
    list_display = ["name", "start_date", "end_date"]
    inlines = [CalendarEventInline]


@admin.register(models.CalendarEvent)
class CalendarEventAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "start_date", "end_date", "school_year"]
    list_filter = ["kind", "school_year"]


@admin.register(models.Designation)
class DesignationAdmin(AuditedModelAdmin):
    list_display = ["school", "school_year", "kind"]
    list_filter = ["kind", "school_year"]


@admin.register(models.Position)
class PositionAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "category", "evaluated"]


@admin.register(models.Staff)
class StaffAdmin(AuditedModelAdmin):
    list_display = ["employee_id", "last_name", "first_name", "position", "active"]
    list_filter = ["position", "active"]
    search_fields = ["employee_id", "last_name", "first_name", "email"]
    inlines = [AssignmentInline]
    raw_id_fields = ["user"]


@admin.register(models.Assignment)
class AssignmentAdmin(AuditedModelAdmin):
    list_display = ["staff", "school", "position", "fte"]
    search_fields = ["staff__last_name", "school__name"]
    raw_id_fields = ["staff"]
