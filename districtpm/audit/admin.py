from __future__ import annotations

from django.contrib import admin

from districtpm.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be searched here but never changed."""

    list_display = ["at", "actor_username", "action", "object_repr", "source"]
    list_filter = ["action", "source"]
    search_fields = ["actor_username", "object_repr", "action"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
