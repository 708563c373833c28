"""Designations from a CSV file, as a state publishes them: one row per designated school and
year. All or nothing: a file with any bad row changes nothing, and every bad row is named with
its line, column and reason. Importing the same file twice changes nothing, and a column the
file leaves out (groups, note) is left as it was on the designations already there."""

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


def _key(header: str) -> str:
    """A header as the importer knows it: case and spacing ignored ("School code")."""
    return "_".join(header.split()).casefold()


def _check_headers(shown: str, headers: list[str]) -> dict[str, bool]:
    keys = {_key(h): h for h in headers}
    reasons = []
    missing = [c for c in COLUMNS if c not in keys]
    if missing:
        reasons.append(
            f"The file needs the column{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(and may have {', '.join(OPTIONAL)})."
        )
    unknown = [h for k, h in keys.items() if k not in COLUMNS + OPTIONAL]
    if unknown:
        reasons.append(f"Unknown column{'s' * (len(unknown) > 1)}: {', '.join(unknown)}.")
    if reasons:
        raise ImportFailed(Rejected([RowError(shown, None, r) for r in reasons]))
    return {c: c in keys for c in OPTIONAL}


def _row_problems(row: dict[str, str], extra: list[str], shown: str, line: int) -> list:
    problems = []
    for column, value in row.items():
        reason = intake.check_field(value, name=shown, line=line, column=column)
        if reason:
            problems.append((column, reason))
    if any(v.strip() for v in extra):
        problems.append(
            (
                "",
                f"the row has {len(extra)} value(s) more than the header names (a comma "
                "inside a value needs quotes)",
            )
        )
    return problems


def import_designations(
    data: bytes, *, name: str, acting_user: Any, source: str = "web"
) -> Imported:
    require(acting_user, StepRule, "change", "Your role does not allow importing designations.")
    table = intake.read_csv(data, name=name)
    shown = table.name
    has = _check_headers(shown, table.headers)
    schools = {s.code: s for s in School.objects.all()}
    years = {y.name: y for y in SchoolYear.objects.all()}
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    result = Imported()
    for line, raw_row, extra in table.rows:
        row = {_key(h): v for h, v in raw_row.items()}
        problems = _row_problems(row, extra, shown, line)
        code, year_name = row.get("school_code", "").strip(), row.get("school_year", "").strip()
        kind = KINDS.get(row.get("kind", "").strip().lower())
        groups = "; ".join(
            g.strip() for g in row.get("groups", "").replace(",", ";").split(";") if g.strip()
        )
        note = row.get("note", "").strip()
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
                    source=source,
                )
                result.created += 1
                continue
            groups = groups if has["groups"] else existing.groups
            note = note if has["note"] else existing.note
            if (existing.groups, existing.note) == (groups, note):
                result.unchanged += 1
                continue
            before = snapshot(existing)
            existing.groups, existing.note = groups, note
            existing.save(update_fields=["groups", "note"])
            record(
                actor=acting_user,
                action="improvement.designation.import",
                obj=existing,
                before=before,
                after=snapshot(existing),
                source=source,
            )
            result.updated += 1
    return result
