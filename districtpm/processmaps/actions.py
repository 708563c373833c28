"""Every write to a process map: permission first, atomic, one audit row. The PM office and
senior leaders (processmaps.change) draw anything; a division member changes the steps of their
own division's lane — and the flows out of them — in a version not yet published. A published
version no longer changes: a new version starts as its copy."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from districtpm.audit.log import record, snapshot
from districtpm.core.plaintext import clean, one_line
from districtpm.core.scoping import SYSTEM, access_for, require
from districtpm.processmaps.graph import KINDS
from districtpm.processmaps.models import Flow, ProcessMap, Step, Version

DRAWERS = "Only the PM office and senior leaders draw process maps."
MAX_STEPS = 300  # a version's steps: beyond this a map is no longer a picture anyone reads
OWN_LANE = "You change the steps of your own division's lane only."


def _division_of(user: Any) -> int | None:
    from districtpm.org.models import Staff

    return Staff.objects.filter(user_id=user.pk).values_list("division_id", flat=True).first()


def may_draw(user: Any) -> bool:
    return user is SYSTEM or access_for(user).can("processmaps.change")


def may_edit_lane(user: Any, version: Version, lane_id: int | None) -> bool:
    """Whether the user changes a step in this lane of this version."""
    if may_draw(user):
        return True
    if version.published or lane_id is None or not access_for(user).can("processmaps.view"):
        return False
    return _division_of(user) == lane_id


def _open(version: Version) -> None:
    if version.published:
        raise ValidationError(
            f"{version.title} is published and no longer changes: start a new version from it."
        )


def _describe(version: Version) -> dict[str, Any]:
    return {
        "version": version.title,
        "steps": [
            [s.key, s.kind, s.name, s.lane.name if s.lane else None, str(s.days)]
            for s in version.steps.select_related("lane")
        ],
        "flows": [
            [f.source.key, f.target.key, f.label]
            for f in version.flows.select_related("source", "target")
        ],
    }


# ------------------------------------------------------------------ maps and versions


@transaction.atomic
def create_map(
    name: str, *, initiative: Any = None, description: str = "", acting_user: Any
) -> ProcessMap:
    """A new map, with its first version (as it is), empty."""
    require(acting_user, ProcessMap, message=DRAWERS)
    name = one_line(name)[:200]
    if not name:
        raise ValidationError("Give the process a name.")
    pm = ProcessMap.objects.create(
        name=name,
        initiative=initiative,
        description=clean(description).strip()[:4000],
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    Version.objects.create(process_map=pm, number=1, kind=Version.Kind.AS_IS)
    record(actor=acting_user, action="processmaps.map.create", obj=pm, after=snapshot(pm))
    return pm


@transaction.atomic
def new_version(
    source: Version, *, kind: str = Version.Kind.TO_BE, label: str = "", acting_user: Any
) -> Version:
    """The next version of the map, a copy of `source` to change."""
    require(acting_user, source.process_map, message=DRAWERS)
    if kind not in Version.Kind.values:
        raise ValidationError("A version is as is, to be or a revision.")
    pm = source.process_map
    number = (pm.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = Version.objects.create(
        process_map=pm, number=number, kind=kind, label=one_line(label)[:200]
    )
    copies = {}
    for step in source.steps.all():
        old = step.pk
        step.pk, step.version = None, version
        step.save()
        copies[old] = step
    Flow.objects.bulk_create(
        Flow(version=version, source=copies[f.source_id], target=copies[f.target_id], label=f.label)
        for f in source.flows.all()
    )
    record(
        actor=acting_user,
        action="processmaps.version.create",
        obj=pm,
        after={"from": source.title, **_describe(version)},
    )
    return version


@transaction.atomic
def publish_version(version: Version, *, acting_user: Any) -> Version:
    require(acting_user, version, message=DRAWERS)
    if not version.published:
        version.published = True
        version.save(update_fields=["published"])
        record(
            actor=acting_user,
            action="processmaps.version.publish",
            obj=version.process_map,
            after=_describe(version),
        )
    return version


# ------------------------------------------------------------------ steps and flows


def _days(value: Any) -> Decimal:
    try:
        days = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation as exc:
        raise ValidationError("Give the expected duration in days, as a number.") from exc
    if not days.is_finite() or days < 0 or days > 99999:
        raise ValidationError("The expected duration is a number of days from 0 to 99,999.")
    return days.quantize(Decimal("0.1"))


def _next_key(version: Version) -> str:
    taken = set(version.steps.values_list("key", flat=True))
    n = version.steps.count() + 1
    while f"S{n}" in taken:
        n += 1
    return f"S{n}"


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "kind" in out and out["kind"] not in KINDS:
        raise ValidationError("A step is a start, a task, a decision, a hand-off or an end.")
    if "name" in out:
        out["name"] = one_line(out["name"])[:200]
        if not out["name"]:
            raise ValidationError("Give the step a name.")
    if "days" in out:
        out["days"] = _days(out["days"])
    if "produces" in out:
        out["produces"] = one_line(out["produces"])[:200]
    if "key" in out:
        out["key"] = one_line(out["key"])[:20]
    return out


@transaction.atomic
def add_step(version: Version, *, acting_user: Any, **fields: Any) -> Step:
    """A step: kind, name, lane (a Division or None), position, days, produces, key."""
    version = Version.objects.select_for_update().get(pk=version.pk)
    lane = fields.get("lane")
    if not may_edit_lane(acting_user, version, lane.pk if lane else None):
        raise PermissionDenied(
            OWN_LANE if access_for(acting_user).can("processmaps.view") else DRAWERS
        )
    _open(version)
    fields = _check(fields)
    if version.steps.count() >= MAX_STEPS:
        raise ValidationError(f"A version holds at most {MAX_STEPS} steps: split the process.")
    key = fields.pop("key", "") or _next_key(version)
    if version.steps.filter(key=key).exists():
        raise ValidationError(f"The version has a step {key} already.")
    order = (version.steps.aggregate(n=Max("order"))["n"] or 0) + 1
    step = Step.objects.create(version=version, key=key, order=fields.pop("order", order), **fields)
    record(
        actor=acting_user,
        action="processmaps.step.add",
        obj=version.process_map,
        after={"version": version.title, **snapshot(step)},
    )
    return step


@transaction.atomic
def change_step(step: Step, *, acting_user: Any, **fields: Any) -> Step:
    """Change a step's name, kind, days, produces or position; moving it to another lane
    needs the right to change both lanes."""
    step = Step.objects.select_for_update().select_related("version").get(pk=step.pk)
    version = step.version
    if not may_edit_lane(acting_user, version, step.lane_id):
        raise PermissionDenied(OWN_LANE)
    if "lane" in fields:
        lane = fields["lane"]
        if not may_edit_lane(acting_user, version, lane.pk if lane else None):
            raise PermissionDenied(OWN_LANE)
    _open(version)
    fields = _check(fields)
    if "key" in fields and fields["key"] != step.key:
        if not fields["key"] or version.steps.filter(key=fields["key"]).exists():
            raise ValidationError(f"The version has a step {fields['key']} already.")
    before = snapshot(step)
    for name, value in fields.items():
        setattr(step, name, value)
    step.save()
    after = snapshot(step)
    if before != after:
        record(
            actor=acting_user,
            action="processmaps.step.change",
            obj=version.process_map,
            before={"version": version.title, **before},
            after={"version": version.title, **after},
        )
    return step


@transaction.atomic
def move_step(step: Step, direction: int, *, acting_user: Any) -> Step:
    """One place earlier (-1) or later (+1) in the map's order."""
    step = Step.objects.select_for_update().select_related("version").get(pk=step.pk)
    if not may_edit_lane(acting_user, step.version, step.lane_id):
        raise PermissionDenied(OWN_LANE)
    _open(step.version)
    steps = list(step.version.steps.order_by("order", "pk"))
    i = steps.index(step)
    j = i + (1 if direction > 0 else -1)
    if 0 <= j < len(steps):
        steps[i], steps[j] = steps[j], steps[i]
        for n, s in enumerate(steps, start=1):
            if s.order != n:
                Step.objects.filter(pk=s.pk).update(order=n)
        record(
            actor=acting_user,
            action="processmaps.step.move",
            obj=step.version.process_map,
            after={
                "version": step.version.title,
                "step": step.key,
                "order": [s.key for s in steps],
            },
        )
    return step


@transaction.atomic
def remove_step(step: Step, *, acting_user: Any) -> None:
    step = Step.objects.select_for_update().select_related("version").get(pk=step.pk)
    if not may_edit_lane(acting_user, step.version, step.lane_id):
        raise PermissionDenied(OWN_LANE)
    _open(step.version)
    if not may_draw(acting_user):
        others = Flow.objects.filter(target=step).exclude(source__lane_id=step.lane_id)
        if others.exists():
            raise ValidationError(
                "Another division's steps lead to this one: the PM office removes it, or "
                "those flows first."
            )
    before = {"version": step.version.title, **snapshot(step)}
    before["flows"] = [
        [f.source.key, f.target.key, f.label]
        for f in Flow.objects.filter(version=step.version).select_related("source", "target")
        if step.pk in (f.source_id, f.target_id)
    ]
    pm = step.version.process_map
    step.delete()
    record(actor=acting_user, action="processmaps.step.remove", obj=pm, before=before)


@transaction.atomic
def connect(source: Step, target: Step, label: str = "", *, acting_user: Any) -> Flow:
    """A flow from one step to another of the same version (the source's lane's to draw)."""
    if source.version_id != target.version_id:
        raise ValidationError("A flow joins two steps of the same version.")
    if source.pk == target.pk:
        raise ValidationError("A flow goes to another step.")
    version = Version.objects.select_for_update().get(pk=source.version_id)
    if not may_edit_lane(acting_user, version, source.lane_id):
        raise PermissionDenied(OWN_LANE)
    _open(version)
    if Flow.objects.filter(source=source, target=target).exists():
        raise ValidationError(f"{source.key} already leads to {target.key}.")
    flow = Flow.objects.create(
        version=version, source=source, target=target, label=one_line(label)[:100]
    )
    record(
        actor=acting_user,
        action="processmaps.flow.add",
        obj=version.process_map,
        after={"version": version.title, "flow": [source.key, target.key, flow.label]},
    )
    return flow


@transaction.atomic
def disconnect(flow: Flow, *, acting_user: Any) -> None:
    flow = Flow.objects.select_related("version", "source", "target").get(pk=flow.pk)
    if not may_edit_lane(acting_user, flow.version, flow.source.lane_id):
        raise PermissionDenied(OWN_LANE)
    _open(flow.version)
    before = {"version": flow.version.title, "flow": [flow.source.key, flow.target.key, flow.label]}
    pm = flow.version.process_map
    flow.delete()
    record(actor=acting_user, action="processmaps.flow.remove", obj=pm, before=before)
