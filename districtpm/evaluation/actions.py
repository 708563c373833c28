"""Every write to the evaluation framework: atomic, permission first, one audit row. A closed
framework no longer changes; a new year starts as a copy of the last."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core.scoping import require
from districtpm.evaluation import presets, scoring
from districtpm.evaluation.models import (
    Component,
    Framework,
    Indicator,
    OverallLevel,
    Weight,
    WeightSet,
)

SETTERS = "Only the district admin and HR partners set the evaluation framework."


def _open(framework: Framework) -> None:
    if framework.closed:
        raise ValidationError(
            f"The {framework.school_year} framework is closed: its ratings are final. "
            "Change next year's."
        )


def _check(framework: Framework) -> None:
    for weight_set in framework.weight_sets.all():
        scoring.check_weights({w.component_id: w.percent for w in weight_set.weights.all()})
    scoring.check_levels(list(framework.levels.all()))


def _describe(framework: Framework) -> dict[str, Any]:
    return {
        "components": [c.name for c in framework.components.all()],
        "weights": {
            ws.name: {
                w.component.name: str(w.percent) for w in ws.weights.select_related("component")
            }
            for ws in framework.weight_sets.all()
        },
        "levels": [(lv.name, lv.state_rating, lv.min_score) for lv in framework.levels.all()],
    }


@transaction.atomic
def create_from_preset(school_year: Any, *, acting_user: Any, name: str = "LEAP") -> Framework:
    """The shipped framework for a school year."""
    require(acting_user, Framework, message=SETTERS)
    if Framework.objects.filter(school_year=school_year, name=name).exists():
        raise ValidationError(f"{school_year} has a framework called {name} already.")
    framework = Framework.objects.create(school_year=school_year, name=name)
    by_kind = {}
    for order, (kind, title, (low, high), indicators) in enumerate(presets.COMPONENTS):
        component = Component.objects.create(
            framework=framework, kind=kind, name=title, order=order, scale_min=low, scale_max=high
        )
        by_kind[kind] = component
        Indicator.objects.bulk_create(
            Indicator(component=component, code=code, name=text, gateway=gateway, order=i)
            for i, (code, text, gateway) in enumerate(indicators)
        )
    for title, default, shares in presets.WEIGHT_SETS:
        ws = WeightSet.objects.create(framework=framework, name=title, default=default)
        Weight.objects.bulk_create(
            Weight(weight_set=ws, component=by_kind[kind], percent=Decimal(p))
            for kind, p in shares.items()
        )
    OverallLevel.objects.bulk_create(
        OverallLevel(framework=framework, order=o, name=n, state_rating=r, min_score=m)
        for o, n, r, m in presets.LEVELS
    )
    _check(framework)
    record(
        actor=acting_user,
        action="evaluation.framework.create",
        obj=framework,
        after=_describe(framework),
    )
    return framework


@transaction.atomic
def copy_to_year(framework: Framework, school_year: Any, *, acting_user: Any) -> Framework:
    """Next year's framework, starting as this one: changing it never changes this one."""
    require(acting_user, Framework, message=SETTERS)
    if Framework.objects.filter(school_year=school_year, name=framework.name).exists():
        raise ValidationError(f"{school_year} has a framework called {framework.name} already.")
    copy = Framework.objects.create(school_year=school_year, name=framework.name)
    components = {}
    for c in framework.components.all():
        components[c.pk] = Component.objects.create(
            framework=copy,
            kind=c.kind,
            name=c.name,
            order=c.order,
            scale_min=c.scale_min,
            scale_max=c.scale_max,
        )
        Indicator.objects.bulk_create(
            Indicator(
                component=components[c.pk],
                code=i.code,
                name=i.name,
                gateway=i.gateway,
                order=i.order,
            )
            for i in c.indicators.all()
        )
    for ws in framework.weight_sets.all():
        new = WeightSet.objects.create(framework=copy, name=ws.name, default=ws.default)
        Weight.objects.bulk_create(
            Weight(weight_set=new, component=components[w.component_id], percent=w.percent)
            for w in ws.weights.all()
        )
    OverallLevel.objects.bulk_create(
        OverallLevel(
            framework=copy,
            order=lv.order,
            name=lv.name,
            state_rating=lv.state_rating,
            min_score=lv.min_score,
        )
        for lv in framework.levels.all()
    )
    record(
        actor=acting_user,
        action="evaluation.framework.copy",
        obj=copy,
        after={"from": str(framework), **_describe(copy)},
    )
    return copy


@transaction.atomic
def set_weights(
    weight_set: WeightSet, shares: dict[Component, Decimal], *, acting_user: Any
) -> WeightSet:
    """A weight set's shares, all at once (they add up to 100%)."""
    require(acting_user, weight_set, message=SETTERS)
    _open(weight_set.framework)
    if any(c.framework_id != weight_set.framework_id for c in shares):
        raise ValidationError("A weight set weighs its own framework's components.")
    scoring.check_weights(shares)
    before = {
        w.component.name: str(w.percent) for w in weight_set.weights.select_related("component")
    }
    weight_set.weights.all().delete()
    Weight.objects.bulk_create(
        Weight(weight_set=weight_set, component=c, percent=p) for c, p in shares.items()
    )
    record(
        actor=acting_user,
        action="evaluation.weights.change",
        obj=weight_set,
        before=before,
        after={c.name: str(p) for c, p in shares.items()},
    )
    return weight_set


@transaction.atomic
def set_cut_point(level: OverallLevel, min_score: float, *, acting_user: Any) -> OverallLevel:
    require(acting_user, level, message=SETTERS)
    _open(level.framework)
    before = snapshot(level)
    level.min_score = min_score
    others = [lv for lv in level.framework.levels.all() if lv.pk != level.pk]
    scoring.check_levels([*others, level])
    level.save()
    record(
        actor=acting_user,
        action="evaluation.level.change",
        obj=level,
        before=before,
        after=snapshot(level),
    )
    return level


@transaction.atomic
def close_framework(framework: Framework, *, acting_user: Any) -> Framework:
    require(acting_user, framework, message=SETTERS)
    before = snapshot(framework)
    framework.closed = True
    framework.save()
    record(
        actor=acting_user,
        action="evaluation.framework.close",
        obj=framework,
        before=before,
        after=snapshot(framework),
    )
    return framework
