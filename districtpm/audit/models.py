"""The append-only audit log: who changed which object, when, from what to what."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AppendOnlyError(Exception):
    """Raised when anything tries to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One change (or sensitive read) of one object, with its values before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No foreign-key constraint: removing a user must never rewrite history.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    source = models.CharField(max_length=20, default="web")
    content_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit log is append-only.")

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def readable_changes(self) -> list[tuple[str, str | None, str | None]]:
        """The changes with each field named in words and each value written out plainly
        (lists joined, mappings as "key: value", true and false as yes and no)."""
        model = (
            ContentType.objects.get_for_id(self.content_type_id).model_class()
            if self.content_type_id
            else None
        )
        return [
            (field_label(model, name), plain(old), plain(new)) for name, old, new in self.changes
        ]

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """The fields whose value differs between before and after, in a stable order."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


APP_ALIASES = {"data": "metrics", "plan": "plans"}  # action prefixes that are not app labels
VERBS = {
    "create": "created",
    "change": "changed",
    "update": "changed",
    "delete": "removed",
    "remove": "removed",
    "read": "read",
    "close": "closed",
    "state": "state changed",
    "move": "moved",
    "started": "started",
    "unchanged": "found unchanged",
}


def action_label(action: str) -> str:
    """ "actionplans.action.change" as "Action plans: action changed"."""
    from django.apps import apps

    parts = action.split(".")
    try:
        app = apps.get_app_config(APP_ALIASES.get(parts[0], parts[0])).verbose_name
    except LookupError:
        app = parts[0]
    rest = [p.replace("_", " ") for p in parts[1:]]
    if rest and rest[-1] in VERBS:
        rest[-1] = VERBS[rest[-1]]
    return f"{app}: {' '.join(rest)}" if rest else str(app)


def field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # noqa: BLE001 - a field since removed, or a key of an import's record
        return name.replace("_", " ").capitalize()


LONGEST = 600  # characters of a value shown in the log's page; the entry keeps it whole


def plain(value: Any, depth: int = 0) -> str | None:
    """A value written out for people: a list's items joined (the items of a list of lists
    each in parentheses), a mapping as "key: value", true and false as yes and no."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        items = [plain(v, depth + 1) or "—" for v in value]
        nested = any(isinstance(v, list | tuple | dict) for v in value)
        text = ("; " if nested else ", ").join(items) or "none"
    elif isinstance(value, dict):
        text = "; ".join(
            f"{k.replace('_', ' ')}: {plain(v, depth + 1) or '—'}" for k, v in value.items()
        )
    else:
        text = str(value)
    if depth:
        return f"({text})" if isinstance(value, list | tuple | dict) else text
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"
