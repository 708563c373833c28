"""Writing to the audit log. Action functions call `record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import require


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The object's field values as JSON-ready data, foreign keys by their display name."""
    result: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.primary_key:
            continue
        if isinstance(field, models.ForeignKey):
            related = getattr(obj, field.name)
            result[field.name] = str(related) if related is not None else None
        else:
            result[field.name] = _plain(getattr(obj, field.attname))
    for field in obj._meta.many_to_many:
        if fields is not None and field.name not in fields:
            continue
        if obj.pk:
            result[field.name] = sorted(str(o) for o in getattr(obj, field.name).all())
    return result


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    source: str = "web",
    note: str = "",
) -> AuditEntry:
    """Append one entry. `actor` is a user or None for the system."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "system",
        action=action,
        source=source,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        note=note[:500],
    )


def save_recorded(
    obj: models.Model, before: dict[str, Any], *, actor: Any, action: str
) -> AuditEntry:
    """Save a changed object and append its entry, `before` against the saved state (call it
    inside the action's transaction)."""
    obj.save()
    return record(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj))


@contextmanager
def recorded_change(
    obj: models.Model,
    *,
    acting_user: Any,
    action: str,
    permission: str = "change",
    message: str | None = None,
) -> Iterator[dict[str, Any] | None]:
    """The three steps of one change to a workflow object, for an app's actions.py:

        with recorded_change(goal, acting_user=user, action="plans.goal.update"):
            goal.name = name

    checks that the user may `permission` the object (`require`, by its app's scope rules), opens
    one transaction, and on leaving the block validates and saves the object and appends the audit
    entry with its state before (None for a new object, which is also what the block receives)
    and after. An exception inside the block saves and records nothing."""
    require(acting_user, obj, permission, message)
    with transaction.atomic():
        before = snapshot(obj) if obj.pk is not None else None
        yield before
        obj.full_clean()
        obj.save()
        record(actor=acting_user, action=action, obj=obj, before=before, after=snapshot(obj))
