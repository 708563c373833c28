"""Designations from a CSV file, as a state publishes them: one row per designated school and
year. All or nothing: a file with any bad row changes nothing, and every bad row is named with
its line, column and reason. Importing the same file twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core import intake
from districtpm.core.intake import ImportFailed, Rejected, RowError
from districtpm.core.scoping import require
from districtpm.improvement.models import StepRule
from districtpm.org.models import Designation, School, SchoolYear

COLUMNS = ["school_code", "school_year", "kind"]
OPTIONAL = ["groups", "note"]
KINDS = {k.value: k.value for k in Designation.Kind} | {
    "comprehensive": "csi",
    "targeted": "tsi",
    "additional targeted": "atsi",
}


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[tuple[School, SchoolYear, str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} designation{'s' * (self.created != 1)} added, {self.updated} "
            f"changed, {self.unchanged} unchanged."
        )


def import_designations(data: bytes, *, name: str, acting_user: Any) -> Imported:
    require(acting_user, StepRule, "change", "Your role does not allow importing designations.")
    table = intake.read_data_csv(data, name=name)
    shown = table.name
    missing = [c for c in COLUMNS if c not in table.headers]
    if missing:
        raise ImportFailed(
            Rejected(
                [
                    RowError(
                        shown,
                        None,
                        f"The file needs the column{'s' * (len(missing) > 1)} "
                        f"{', '.join(missing)} (and may have {', '.join(OPTIONAL)}).",
                    )
                ]
            )
        )
    schools = {s.code: s for s in School.objects.all()}
    years = {y.name: y for y in SchoolYear.objects.all()}
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    result = Imported()
    for line, row, _ in table.rows:
        code, year_name = row.get("school_code", "").strip(), row.get("school_year", "").strip()
        kind = KINDS.get(row.get("kind", "").strip().lower())
        groups = "; ".join(
            g.strip() for g in row.get("groups", "").replace(",", ";").split(";") if g.strip()
        )
        note = row.get("note", "").strip()
        problems = []
        if code not in schools:
            problems.append(("school_code", f"no school has the code “{code}”"))
        if year_name not in years:
            problems.append(
                ("school_year", f"no school year is named “{year_name}” (for example 2026-2027)")
            )
        if kind is None:
            problems.append(("kind", "the kind must be csi, tsi, atsi or other"))
        if len(groups) > 300:
            problems.append(("groups", "the groups may be at most 300 characters"))
        if len(note) > 300:
            problems.append(("note", "the note may be at most 300 characters"))
        key = (code, year_name, kind or "")
        if not problems and key in seen:
            problems.append(
                ("school_code", f"this school, year and kind are on line {seen[key]} too")
            )
        seen.setdefault(key, line)
        errors += [RowError(shown, line, reason, column) for column, reason in problems]
        if not problems:
            result.rows.append((schools[code], years[year_name], kind, groups, note))
    if errors:
        raise ImportFailed(Rejected(errors))
    with transaction.atomic():
        for school, year, kind, groups, note in result.rows:
            existing = Designation.objects.filter(
                school=school, school_year=year, kind=kind
            ).first()
            if existing is None:
                made = Designation.objects.create(
                    school=school, school_year=year, kind=kind, groups=groups, note=note
                )
                record(
                    actor=acting_user,
                    action="improvement.designation.import",
                    obj=made,
                    after=snapshot(made),
                )
                result.created += 1
            elif (existing.groups, existing.note) != (groups, note):
                before = snapshot(existing)
                existing.groups, existing.note = groups, note
                existing.save(update_fields=["groups", "note"])
                record(
                    actor=acting_user,
                    action="improvement.designation.import",
                    obj=existing,
                    before=before,
                    after=snapshot(existing),
                )
                result.updated += 1
            else:
                result.unchanged += 1
    return result
