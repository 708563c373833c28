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

# Models whose entries show their details (before, after, note) only to those who may read the
# object itself: an app registers them (rubrics: a member's ratings are hidden from the rest of
# the district until the process shows them). The audit page asks, one query per model a page.
PRIVATE_DETAILS: set[str] = set()
# Actions (by prefix) whose entries are private whatever their object: personnel records'.
# Such an entry is shown — its object and its details — to the one who acted, and to those who
# may read its object when that is of a private model; to no one else.
PRIVATE_ACTIONS: set[str] = set()


def private_details(*model_labels: str) -> None:
    PRIVATE_DETAILS.update(model_labels)


def private_actions(*prefixes: str) -> None:
    PRIVATE_ACTIONS.update(prefixes)


def is_private_action(action: str) -> bool:
    return any(action.startswith(prefix) for prefix in PRIVATE_ACTIONS)


def without_private_actions(queryset: Any, user: Any) -> Any:
    """The entries without the private actions the user may not see (see PRIVATE_ACTIONS):
    left out of a list altogether, so that neither a name, a time nor a count gives them away."""
    from django.apps import apps
    from django.db.models import CharField, Q
    from django.db.models.functions import Cast

    from districtpm.core.scoping import restrict

    private = Q()
    for prefix in PRIVATE_ACTIONS:
        private |= Q(action__startswith=prefix)
    if not private:
        return queryset
    shown = Q(actor_id=getattr(user, "pk", None))
    for label in PRIVATE_DETAILS:
        model = apps.get_model(label)
        readable = restrict(model.objects.all(), user).annotate(
            key=Cast("pk", output_field=CharField())
        )
        shown |= Q(  # by the content type's name: no query of its own, whatever is cached
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id__in=readable.values("key"),
        )
    return queryset.exclude(private & ~shown)


def withhold_details(entries: Iterable[AuditEntry], user: Any) -> None:
    """Mark (`entry.withheld`) the entries the user may not see in full: those of private
    models whose object they may not read, and those of private actions they did not take
    (unless of a private model's object they may read). A withheld entry shows neither its
    object nor its details."""
    from django.apps import apps

    from districtpm.core.scoping import restrict

    by_model: dict[str, list[AuditEntry]] = {}
    user_id = getattr(user, "pk", None)
    for entry in entries:
        private = is_private_action(entry.action) and entry.actor_id != user_id
        entry.withheld = private
        if entry.content_type_id is None:
            continue
        ct = ContentType.objects.get_for_id(entry.content_type_id)  # cached by Django
        label = f"{ct.app_label}.{ct.model_class().__name__}" if ct.model_class() else ""
        if label in PRIVATE_DETAILS and (private or not is_private_action(entry.action)):
            by_model.setdefault(label, []).append(entry)
    for label, group in by_model.items():
        model = apps.get_model(label)
        ids = {e.object_id for e in group}
        seen = {
            str(pk)
            for pk in restrict(model.objects.filter(pk__in=ids), user).values_list("pk", flat=True)
        }
        for entry in group:
            entry.withheld = entry.object_id not in seen


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
