from __future__ import annotations

from typing import Any

from django.contrib import admin

from districtpm.audit.log import record, snapshot, withhold_details, without_private_actions
from districtpm.audit.models import AuditEntry


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes, inlines included, are written to the audit log."""

    def _action(self, obj: Any, verb: str) -> str:
        return f"admin.{obj._meta.label_lower}.{verb}"

    def _stored(self, obj: Any) -> dict | None:
        if obj.pk is None:
            return None
        stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        return snapshot(stored) if stored is not None else None

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = self._stored(obj) if change else None
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        if before != after:
            verb = "update" if change else "create"
            record(
                actor=request.user,
                action=self._action(obj, verb),
                obj=obj,
                before=before,
                after=after,
                source="admin",
            )

    def delete_model(self, request: Any, obj: Any) -> None:
        record(
            actor=request.user,
            action=self._action(obj, "delete"),
            obj=obj,
            before=snapshot(obj),
            after=None,
            source="admin",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            record(
                actor=request.user,
                action=self._action(obj, "delete"),
                obj=obj,
                before=snapshot(obj),
                after=None,
                source="admin",
            )
        super().delete_queryset(request, queryset)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        befores = {
            f.instance.pk: self._stored(f.instance)
            for f in formset.forms
            if f.instance.pk is not None and f.has_changed()
        }
        deleted = [snapshot(f.instance) for f in formset.deleted_forms if f.instance.pk]
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(
                actor=request.user,
                action=self._action(obj, "create"),
                obj=obj,
                before=None,
                after=snapshot(obj),
                source="admin",
            )
        for obj, _fields in formset.changed_objects:
            record(
                actor=request.user,
                action=self._action(obj, "update"),
                obj=obj,
                before=befores.get(obj.pk),
                after=snapshot(obj),
                source="admin",
            )
        for obj, before in zip(formset.deleted_objects, deleted, strict=False):
            record(
                actor=request.user,
                action=self._action(obj, "delete"),
                obj=None,
                before=before,
                after=None,
                source="admin",
                note=f"{obj._meta.verbose_name}: {obj}",
            )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be searched here but never changed."""

    list_display = ["at", "actor_username", "action", "object_repr", "source"]
    list_filter = ["action", "source"]
    search_fields = ["actor_username", "object_repr", "action"]
    date_hierarchy = "at"

    def get_queryset(self, request):  # noqa: ANN001, ANN201
        # the private actions of others (personnel records) are not listed here at all: the
        # audit page shows them to those who may read their record
        return without_private_actions(super().get_queryset(request), request.user)

    def get_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            withhold_details([obj], request.user)
            if obj.withheld:
                fields = [f for f in fields if f not in {"before", "after", "note", "object_repr"}]
        return fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
