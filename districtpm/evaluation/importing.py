"""Survey and growth results from a CSV file, one row per educator: `employee_id` and `score`
(and optionally `rationale`), for one component of a school year's framework. All or nothing:
a file with any bad row changes nothing, and every bad row is named with its line, column and
reason. HR partners import; the scores land on the educators' open evaluations, each change
audited."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core import intake
from districtpm.core.intake import ImportFailed, Rejected, RowError
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM, access_for
from districtpm.evaluation.models import Component, ComponentScore, Evaluation

COLUMNS = ["employee_id", "score"]
OPTIONAL = ["rationale"]
IMPORTED_KINDS = {"survey", "growth_individual", "growth_collective"}


@dataclass
class Imported:
    scored: int = 0
    changed: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"{self.scored} scores added, {self.changed} changed, {self.unchanged} unchanged."


def _key(header: str) -> str:
    return "_".join(header.split()).casefold()


def import_results(
    data: bytes, component: Component, *, name: str, acting_user: Any, source: str = "web"
) -> Imported:
    if acting_user is not SYSTEM and Role.HR_PARTNER not in access_for(acting_user).roles:
        raise PermissionDenied("Only HR partners import survey and growth results.")
    if component.kind not in IMPORTED_KINDS:
        raise ImportFailed(
            Rejected(
                [RowError(name, None, f"{component.name} is scored by evaluators, not imported.")]
            )
        )
    table = intake.read_csv(data, name=name)
    shown = table.name
    keys = {_key(h): h for h in table.headers}
    missing = [c for c in COLUMNS if c not in keys]
    unknown = [h for k, h in keys.items() if k not in COLUMNS + OPTIONAL]
    if missing or unknown:
        reasons = []
        if missing:
            reasons.append(
                f"The file needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}."
            )
        if unknown:
            reasons.append(f"Unknown columns: {', '.join(unknown)}.")
        raise ImportFailed(Rejected([RowError(shown, None, r) for r in reasons]))
    framework = component.framework
    evaluations = {
        e.staff.employee_id: e
        for e in Evaluation.objects.filter(framework=framework).select_related("staff")
    }
    existing = {s.evaluation_id: s for s in ComponentScore.objects.filter(component=component)}
    errors: list[RowError] = []
    rows: list[tuple[Evaluation, float, str]] = []
    seen: dict[str, int] = {}
    for line, raw, extra in table.rows:
        row = {_key(h): v for h, v in raw.items()}
        problems = []
        for column, value in row.items():
            reason = intake.check_field(value, name=shown, line=line, column=column)
            if reason:
                problems.append((column, reason))
        if any(v.strip() for v in extra):
            problems.append(("", "the row has more values than the header names"))
        employee = row.get("employee_id", "").strip()
        evaluation = evaluations.get(employee)
        if evaluation is None:
            problems.append(
                (
                    "employee_id",
                    f"no one with the employee id “{employee}” has a {framework.school_year} evaluation",
                )
            )
        elif evaluation.state == Evaluation.State.FINAL:
            problems.append(
                ("employee_id", f"{evaluation.staff}'s evaluation is final: reopen it first")
            )
        try:
            score = float(row.get("score", "").strip())
        except ValueError:
            score = None
        if score is None or not math.isfinite(score):
            problems.append(("score", "the score must be a number"))
        elif not component.scale_min <= score <= component.scale_max:
            problems.append(
                (
                    "score",
                    f"the score must be from {component.scale_min:g} to {component.scale_max:g}",
                )
            )
        if employee in seen and employee:
            problems.append(("employee_id", f"this employee is on line {seen[employee]} too"))
        seen.setdefault(employee, line)
        rationale = row.get("rationale", "").strip()[:4000] or f"From {shown}."
        errors += [RowError(shown, line, reason, column) for column, reason in problems]
        if not problems:
            rows.append((evaluation, score, rationale))
    if errors:
        raise ImportFailed(Rejected(errors))
    result = Imported()
    user = acting_user if getattr(acting_user, "pk", None) else None
    with transaction.atomic():
        for evaluation, score, rationale in rows:
            current = existing.get(evaluation.pk)
            if current is not None and (current.score, current.rationale) == (score, rationale):
                result.unchanged += 1
                continue
            before = snapshot(current) if current else None
            made = current or ComponentScore(evaluation=evaluation, component=component)
            made.score, made.rationale, made.scored_by = score, rationale, user
            made.save()
            record(
                actor=acting_user,
                action="evaluation.score.import",
                obj=evaluation,
                before=before,
                after=snapshot(made),
                source=source,
            )
            if current is None:
                result.scored += 1
            else:
                result.changed += 1
    return result
