from __future__ import annotations

from django.contrib import admin

from districtpm.accounts.models import CaseloadEntry, RoleAssignment
from districtpm.audit.admin import AuditedModelAdmin


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "school", "network"]
    list_filter = ["role"]
    search_fields = ["user__username", "school__name"]
    raw_id_fields = ["user"]


@admin.register(CaseloadEntry)
class CaseloadEntryAdmin(AuditedModelAdmin):
    list_display = ["evaluator", "staff", "school_year"]
    raw_id_fields = ["evaluator", "staff"]
