"""Each designated school's steps in a year and where they stand on a day: done, due or
overdue, read in a fixed number of queries whatever the number of schools."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from districtpm.improvement.models import StepDone, StepRule
from districtpm.org.models import Designation

DONE, DUE, OVERDUE = "done", "due", "overdue"
LABELS = {DONE: "Done", DUE: "Due", OVERDUE: "Overdue"}


@dataclass
class Step:
    rule: StepRule
    done: StepDone | None
    state: str

    @property
    def label(self) -> str:
        return LABELS[self.state]


@dataclass
class DesignatedSchool:
    designation: Designation
    steps: list[Step] = field(default_factory=list)
    plan_id: int | None = None  # the school's plan for the year, when the reader sees one

    def count(self, state: str) -> int:
        return sum(1 for s in self.steps if s.state == state)


def state_of(rule: StepRule, done: StepDone | None, today: dt.date) -> str:
    if done is not None:
        return DONE
    return OVERDUE if rule.due_on < today else DUE


def designated(designations: QuerySet, year_id: int, today: dt.date) -> list[DesignatedSchool]:
    """Every designation of the year among `designations`, with its steps (three queries)."""
    rows = list(
        designations.filter(school_year_id=year_id)
        .select_related("school__network", "school_year")
        .order_by("school__name", "kind")
    )
    rules: dict[str, list[StepRule]] = {}
    for rule in StepRule.objects.filter(school_year_id=year_id).order_by("due_on", "name"):
        rules.setdefault(rule.kind, []).append(rule)
    done = {
        (d.designation_id, d.rule_id): d
        for d in StepDone.objects.filter(
            designation__in=designations.filter(school_year_id=year_id).values("pk")
        ).select_related("done_by")
    }
    result = []
    for designation in rows:
        entry = DesignatedSchool(designation)
        for rule in rules.get(designation.kind, []):
            completion = done.get((designation.pk, rule.pk))
            entry.steps.append(Step(rule, completion, state_of(rule, completion, today)))
        result.append(entry)
    return result


def totals(schools: list[DesignatedSchool]) -> dict[str, Any]:
    return {state: sum(s.count(state) for s in schools) for state in (DONE, DUE, OVERDUE)}
