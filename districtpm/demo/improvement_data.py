"""The steps each designation requires in the demo's last two school years, and the
designated schools' progress: last year's mostly done (a few never were), this year's due."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions
from districtpm.improvement.models import StepDone, StepRule
from districtpm.org.models import Designation, SchoolYear


def build_demo_improvement(seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 29)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    years = list(
        SchoolYear.objects.filter(start_date__lte=current.start_date).order_by("-start_date")[:2]
    )
    rules = 0
    done = []
    for year in years:
        rules += len(actions.add_usual_steps(year, acting_user=SYSTEM))
        by_kind: dict[str, list[StepRule]] = {}
        for rule in StepRule.objects.filter(school_year=year):
            by_kind.setdefault(rule.kind, []).append(rule)
        for designation in Designation.objects.filter(school_year=year):
            for rule in by_kind.get(designation.kind, []):
                if rule.due_on >= today or rng.random() < 0.12:
                    continue  # not due yet, or never done: overdue
                done_on = rule.due_on - dt.timedelta(days=rng.randint(0, 20))
                done.append(
                    StepDone(
                        designation=designation,
                        rule=rule,
                        done_on=done_on,
                        note=rng.choice(["", "", "Entered by the principal."]),
                    )
                )
    StepDone.objects.bulk_create(done)
    return {"rules": rules, "done": len(done)}
