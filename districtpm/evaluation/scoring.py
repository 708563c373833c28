"""An educator's overall score and rating from the component scores in so far.

Each component's score is placed on 0–1 within its own scale, weighted by the educator's weight
set, and summed to an overall score of 0–100, which the framework's cut points turn into an
overall level (and so a state rating). Before every component is in, the rating is a projection:
the weights of the components present are scaled up to 100%, and the missing ones are named."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Result:
    score: float | None  # 0–100; None with nothing in
    level: Any  # an OverallLevel, or None
    missing: list[Any]  # components weighted above 0 with no score yet
    final: bool  # every weighted component is in

    @property
    def projected(self) -> bool:
        return not self.final


def check_weights(weights: dict[Any, Decimal]) -> None:
    total = sum(weights.values(), Decimal(0))
    if total != Decimal(100):
        raise ValidationError(f"A weight set's weights add up to 100%; these add up to {total}%.")


def check_levels(levels: list[Any]) -> None:
    """Cut points rise with the levels, and the lowest level starts at 0."""
    ordered = sorted(levels, key=lambda lv: lv.order)
    if not ordered or ordered[0].min_score != 0:
        raise ValidationError("The lowest overall level starts at a score of 0.")
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher.min_score <= lower.min_score:
            raise ValidationError(
                f"“{higher.name}” must start at a higher score than “{lower.name}”."
            )


def level_for(score: float, levels: list[Any]) -> Any:
    reached = [lv for lv in levels if score >= lv.min_score]
    return max(reached, key=lambda lv: lv.order) if reached else None


def overall(scores: dict[Any, float], weights: dict[Any, Decimal], levels: list[Any]) -> Result:
    """`scores` and `weights` are keyed by component; a score outside its component's scale is
    refused."""
    weighted = {c: w for c, w in weights.items() if w > 0}
    for component, score in scores.items():
        if not component.scale_min <= score <= component.scale_max:
            raise ValidationError(
                f"{component.name} is scored from {component.scale_min:g} to "
                f"{component.scale_max:g}; {score:g} is outside that."
            )
    present = [c for c in weighted if c in scores]
    missing = [c for c in weighted if c not in scores]
    if not present:
        return Result(None, None, missing, final=False)
    share = sum((weighted[c] for c in present), Decimal(0))
    total = 0.0
    for c in present:
        place = (scores[c] - c.scale_min) / (c.scale_max - c.scale_min)
        total += place * float(weighted[c] / share)
    score = round(total * 100, 2)
    return Result(score, level_for(score, levels), missing, final=not missing)
