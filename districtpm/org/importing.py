"""Importing schools and staff from CSV files and from OneRoster 1.1 CSV bundles.

Every import first reads and checks the whole input, collecting every bad row with its file,
line and reason. Only when nothing is wrong does it write, in one transaction, so a failed import
changes nothing. Rows are matched on their code or source identifier, so importing the same file
again changes nothing either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from districtpm.audit.log import record, snapshot
from districtpm.core import intake
from districtpm.core.intake import InputRefused, RowError  # noqa: F401  (re-exported for callers)
from districtpm.core.scoping import require
from districtpm.org.models import GRADES, Assignment, District, Network, Position, School, Staff


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, bucket: str, kind: str, n: int = 1) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + n

    def summary(self) -> str:
        if self.errors:
            return f"Nothing was imported: {len(self.errors)} bad row(s)."
        parts = []
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("skipped", self.skipped),
        ):
            if counts:
                parts.append(f"{label} " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        return "Imported: " + ("; ".join(parts) if parts else "no rows") + "."


class ImportFailed(intake.ImportFailed):
    """An org import that changed nothing; its report lists every bad row."""

    @property
    def report(self) -> ImportReport:
        return self.outcome


def _read_bytes(stream: IO[bytes] | IO[str], name: str) -> bytes | str:
    """The whole stream, never more than the upload limit (a larger file is refused)."""
    cap = intake.limits().max_upload_bytes
    size = getattr(stream, "size", None)
    if isinstance(size, int):
        intake.check_size(size, name=name)
    raw = stream.read(cap + 1)
    intake.check_size(len(raw), name=name)
    return raw


def _read_csv(
    name: str, stream: IO[bytes] | IO[str]
) -> tuple[list[str], Iterator[tuple[int, dict]], list[RowError]]:
    """The header, the rows (values stripped) and a row error for every unacceptable field.

    Refuses the whole file (InputRefused) when it cannot be read: wrong encoding, NUL bytes,
    blank or repeated headers, too big or too many rows.
    """
    return _checked_rows(intake.read_csv(_read_bytes(stream, name), name=name), name)


def _checked_rows(
    table: intake.CsvTable, name: str
) -> tuple[list[str], Iterator[tuple[int, dict]], list[RowError]]:
    """A parsed CSV's header, its rows (values stripped) and a row error per unacceptable field."""
    errors: list[RowError] = []
    rows = []
    for line, values, extra in table.rows:
        row = {}
        for column, value in values.items():
            reason = intake.check_field(value, name=name, line=line, column=column)
            if reason:
                errors.append(RowError(name, line, reason, column))
            row[column] = value.strip()
        if any(v.strip() for v in extra):
            errors.append(
                RowError(
                    name,
                    line,
                    f"the row has {len(table.headers) + len(extra)} values but the header "
                    f"names only {len(table.headers)} columns",
                )
            )
        rows.append((line, row))
    return table.headers, iter(rows), errors


def _too_long(
    model: type, field_name: str, value: str, file: str, line: int, column: str
) -> list[RowError]:
    """A row error when the value does not fit the model field it will be stored in."""
    max_length = model._meta.get_field(field_name).max_length
    if max_length and len(value) > max_length:
        return [
            RowError(
                file,
                line,
                f"{value[:20]!r}… is {len(value):,} characters long; at most {max_length} fit",
                column,
            )
        ]
    return []


def _missing_columns(name: str, header: list[str], required: Iterable[str]) -> list[RowError]:
    missing = [c for c in required if c not in header]
    if missing:
        return [RowError(name, 1, f"missing required column(s): {', '.join(missing)}")]
    return []


def _district() -> District:
    district = District.objects.order_by("pk").first()
    if district is None:
        raise ImportFailed(
            ImportReport(errors=[RowError("-", 0, "Create the district before importing.")])
        )
    return district


IMPORT_NOTE = "Your role does not allow imports."

LEVEL_ALIASES = {
    **{choice.value: choice.value for choice in School.Level},
    **{choice.label.lower(): choice.value for choice in School.Level},
    "es": "elementary",
    "ms": "middle",
    "hs": "high",
    "k-8": "k8",
    "6-12": "secondary",
}


def _grade(value: str) -> str | None:
    value = value.upper().removeprefix("0") if value not in ("0",) else "K"
    if value in ("KG", "KF"):
        value = "K"
    if value in ("PK", "PRE-K", "P"):
        value = "PK"
    return value if value in GRADES else None


def _upsert(
    model: type,
    lookup: dict[str, Any],
    values: dict[str, Any],
    kind: str,
    report: ImportReport,
    acting_user: Any,
    source: str,
) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        report.count("created", kind)
        record(
            actor=acting_user,
            action=f"org.{kind}.import",
            obj=obj,
            before=None,
            after=snapshot(obj),
            source=source,
        )
        return obj
    before = snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    after = snapshot(obj)
    if after == before:
        report.count("unchanged", kind)
        return obj
    obj.save()
    report.count("updated", kind)
    record(
        actor=acting_user,
        action=f"org.{kind}.import",
        obj=obj,
        before=before,
        after=after,
        source=source,
    )
    return obj


# ---------------------------------------------------------------- plain CSV: schools


SCHOOL_COLUMNS = ["code", "name"]


def import_schools_csv(
    stream: IO, *, acting_user: Any, name: str = "schools.csv", source: str = "web"
) -> ImportReport:
    """Schools from a CSV with columns code, name[, level, lowest_grade, highest_grade,
    network_code, network_name, address]."""
    require(acting_user, School, "import", IMPORT_NOTE)
    report, rows = _read_checked(name, stream, SCHOOL_COLUMNS)
    district = _district()
    known_networks = {n.code: n for n in Network.objects.filter(district=district)}
    seen: dict[str, int] = {}
    clean_rows = []
    for line, row in rows:
        errors, grades = _school_row_errors(name, line, row, seen, known_networks)
        report.errors += errors
        if not errors:
            clean_rows.append((row, *grades))
    if report.errors:
        raise ImportFailed(report)
    with transaction.atomic():
        for row, level, low, high in clean_rows:
            network = None
            if row.get("network_code"):
                network = _upsert(
                    Network,
                    {"district": district, "code": row["network_code"]},
                    {"name": row.get("network_name") or known_networks[row["network_code"]].name},
                    "network",
                    report,
                    acting_user,
                    source,
                )
                known_networks[network.code] = network
            _upsert(
                School,
                {"code": row["code"]},
                {
                    "district": district,
                    "name": row["name"],
                    "level": level,
                    "lowest_grade": low,
                    "highest_grade": high,
                    "network": network,
                    "address": row.get("address", ""),
                },
                "school",
                report,
                acting_user,
                source,
            )
        _log_import(acting_user, name, report, source)
    return report


def _read_checked(
    name: str, stream: IO, required: list[str]
) -> tuple[ImportReport, list[tuple[int, dict[str, str]]]]:
    """The CSV's rows that passed the field checks, and a report holding the ones that did not;
    ImportFailed at once when a required column is missing."""
    report = ImportReport()
    header, rows, field_errors = _read_csv(name, stream)
    report.errors += _missing_columns(name, header, required)
    if report.errors:
        raise ImportFailed(report)
    report.errors += field_errors
    bad_lines = {e.line for e in field_errors}
    return report, [(line, row) for line, row in rows if line not in bad_lines]


def _repeated(name: str, line: int, column: str, label: str, value: str, seen: dict) -> list:
    """An error for a key seen on an earlier line (and remember this one's line)."""
    if value in seen:
        reason = f"{label} {value} is repeated (first on line {seen[value]})"
        return [RowError(name, line, reason, column)]
    seen[value] = line
    return []


def _school_row_errors(
    name: str, line: int, row: dict[str, str], seen: dict[str, int], known_networks: dict
) -> tuple[list[RowError], tuple[str | None, str | None, str | None]]:
    """What is wrong with one school's row, and its level and lowest and highest grades."""
    errors: list[RowError] = []
    for column, model, field_name in (
        ("code", School, "code"),
        ("name", School, "name"),
        ("address", School, "address"),
        ("network_code", Network, "code"),
        ("network_name", Network, "name"),
    ):
        errors += _too_long(model, field_name, row.get(column, ""), name, line, column)
    code = row.get("code", "")
    if not code:
        errors.append(RowError(name, line, "school code is empty", "code"))
    else:
        errors += _repeated(name, line, "code", "school code", code, seen)
    if not row.get("name", ""):
        errors.append(RowError(name, line, "school name is empty", "name"))
    level = LEVEL_ALIASES.get(row.get("level", "").lower() or "elementary")
    if level is None:
        errors.append(RowError(name, line, f"unknown level {row.get('level')!r}", "level"))
    low = _grade(row.get("lowest_grade") or "K")
    high = _grade(row.get("highest_grade") or "5")
    for grade, column in ((low, "lowest_grade"), (high, "highest_grade")):
        if grade is None:
            errors.append(RowError(name, line, f"unknown grade {row.get(column)!r}", column))
    if low and high and GRADES.index(low) > GRADES.index(high):
        errors.append(RowError(name, line, "highest grade is below lowest grade", "highest_grade"))
    network_code = row.get("network_code", "")
    if network_code and network_code not in known_networks and not row.get("network_name"):
        reason = f"unknown network {network_code!r} and no network_name to create it"
        errors.append(RowError(name, line, reason, "network_code"))
    return errors, (level, low, high)


# ---------------------------------------------------------------- plain CSV: staff


STAFF_COLUMNS = ["employee_id", "first_name", "last_name"]


def import_staff_csv(
    stream: IO, *, acting_user: Any, name: str = "staff.csv", source: str = "web"
) -> ImportReport:
    """Staff from a CSV with columns employee_id, first_name, last_name[, email, position,
    school_codes] where school_codes lists schools separated by semicolons."""
    require(acting_user, Staff, "import", IMPORT_NOTE)
    report, rows = _read_checked(name, stream, STAFF_COLUMNS)
    positions = {p.code: p for p in Position.objects.all()}
    schools = {s.code: s for s in School.objects.all()}
    seen: dict[str, int] = {}
    clean_rows = []
    for line, row in rows:
        errors, codes = _staff_row_errors(name, line, row, seen, positions, schools)
        report.errors += errors
        if not errors:
            position = positions.get(row.get("position", ""))
            clean_rows.append((row, position, [schools[c] for c in codes]))
    if report.errors:
        raise ImportFailed(report)
    with transaction.atomic():
        for row, position, row_schools in clean_rows:
            staff = _upsert(
                Staff,
                {"employee_id": row["employee_id"]},
                {
                    "first_name": row["first_name"],
                    "last_name": row["last_name"],
                    "email": row.get("email", ""),
                    "position": position,
                },
                "staff",
                report,
                acting_user,
                source,
            )
            _sync_assignments(staff, position, row_schools, report, acting_user, source)
        _log_import(acting_user, name, report, source)
    return report


def _staff_row_errors(
    name: str,
    line: int,
    row: dict[str, str],
    seen: dict[str, int],
    positions: dict[str, Position],
    schools: dict[str, School],
) -> tuple[list[RowError], list[str]]:
    """What is wrong with one person's row, and the codes of the schools it assigns them to."""
    errors: list[RowError] = []
    for column in ("employee_id", "first_name", "last_name", "email"):
        errors += _too_long(Staff, column, row.get(column, ""), name, line, column)
    emp = row.get("employee_id", "")
    if not emp:
        errors.append(RowError(name, line, "employee_id is empty", "employee_id"))
    else:
        errors += _repeated(name, line, "employee_id", "employee_id", emp, seen)
    for col in ("first_name", "last_name"):
        if not row.get(col):
            errors.append(RowError(name, line, f"{col} is empty", col))
    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(RowError(name, line, f"{email!r} is not an email address", "email"))
    position_code = row.get("position", "")
    if position_code and position_code not in positions:
        errors.append(RowError(name, line, f"unknown position {position_code!r}", "position"))
    codes = [c.strip() for c in re.split(r"[;|]", row.get("school_codes", "")) if c.strip()]
    unknown = [c for c in codes if c not in schools]
    if unknown:
        reason = f"unknown school code(s): {', '.join(unknown)}"
        errors.append(RowError(name, line, reason, "school_codes"))
    if codes and not position_code:
        errors.append(RowError(name, line, "a position is needed to assign a school", "position"))
    return errors, codes


def _sync_assignments(
    staff: Staff,
    position: Position | None,
    schools: list[School],
    report: ImportReport,
    acting_user: Any,
    source: str,
) -> None:
    if position is None:
        return
    for school in schools:
        _, created = Assignment.objects.get_or_create(staff=staff, school=school, position=position)
        if created:
            report.count("created", "assignment")
            record(
                actor=acting_user,
                action="org.assignment.import",
                obj=staff,
                before=None,
                after={"assignment": f"{position} at {school}"},
                source=source,
            )


# ---------------------------------------------------------------- OneRoster 1.1 CSV bundle


ONEROSTER_STAFF_ROLES = {
    "teacher": ("teacher", "Teacher", Position.Category.TEACHER, True),
    "administrator": ("administrator", "Administrator", Position.Category.SCHOOL_LEADER, True),
    "aide": ("aide", "Aide", Position.Category.SUPPORT, False),
    "proctor": ("proctor", "Proctor", Position.Category.SUPPORT, False),
}
# Student and family rows are never stored in the app database; they are counted and passed by.
ONEROSTER_SKIPPED_ROLES = {"student", "parent", "guardian", "relative"}
ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
ORG_COLUMNS = ["sourcedId", "name", "type"]
USER_COLUMNS = ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName"]


def import_oneroster(
    path: Path | str | dict[str, bytes], *, acting_user: Any, source: str = "web"
) -> ImportReport:
    """Schools from orgs.csv and staff with their school assignments from users.csv."""
    require(acting_user, Staff, "import", IMPORT_NOTE)
    tables = intake.read_bundle(path, only=("orgs.csv", "users.csv"))
    report = ImportReport()
    for required in ("orgs.csv", "users.csv"):
        if required not in tables:
            report.errors.append(RowError(required, 0, "file is missing from the bundle"))
    if report.errors:
        raise ImportFailed(report)
    district = _district()

    org_header, org_rows, org_field_errors = _checked_rows(tables["orgs.csv"], "orgs.csv")
    user_header, user_rows, user_field_errors = _checked_rows(tables["users.csv"], "users.csv")
    report.errors += _missing_columns("orgs.csv", org_header, ORG_COLUMNS)
    report.errors += _missing_columns("users.csv", user_header, USER_COLUMNS)
    if report.errors:
        raise ImportFailed(report)
    report.errors += org_field_errors + user_field_errors
    orgs = _checked_orgs(org_rows, {e.line for e in org_field_errors}, report)
    existing_schools = {s.source_id: s for s in School.objects.exclude(source_id="")}
    school_ids = {sid for sid, row in orgs.items() if row["type"] == "school"} | set(
        existing_schools
    )
    users = _checked_users(user_rows, {e.line for e in user_field_errors}, orgs, school_ids, report)
    if report.errors:
        raise ImportFailed(report)
    with transaction.atomic():
        _save_oneroster(district, orgs, users, existing_schools, report, acting_user, source)
        _log_import(acting_user, "OneRoster bundle", report, source)
    return report


def _checked_orgs(
    rows: Iterable[tuple[int, dict]], bad_lines: set[int], report: ImportReport
) -> dict[str, dict]:
    """The good rows of orgs.csv by sourcedId; a row error in the report for every bad one."""
    orgs: dict[str, dict] = {}
    seen_orgs: dict[str, int] = {}
    for line, row in rows:
        before = len(report.errors)
        if line in bad_lines:
            continue
        sid = row["sourcedId"]
        if row["type"] == "school":
            code_column = "identifier" if row.get("identifier") else "sourcedId"
            report.errors += _too_long(
                School, "code", row.get("identifier") or sid, "orgs.csv", line, code_column
            )
            report.errors += _too_long(School, "source_id", sid, "orgs.csv", line, "sourcedId")
            report.errors += _too_long(School, "name", row["name"], "orgs.csv", line, "name")
        if not sid:
            report.errors.append(RowError("orgs.csv", line, "sourcedId is empty", "sourcedId"))
        elif sid in seen_orgs:
            report.errors.append(
                RowError(
                    "orgs.csv",
                    line,
                    f"sourcedId {sid} is repeated (first on line {seen_orgs[sid]})",
                    "sourcedId",
                )
            )
        if row["type"] not in ORG_TYPES:
            report.errors.append(
                RowError("orgs.csv", line, f"unknown org type {row['type']!r}", "type")
            )
        if not row["name"]:
            report.errors.append(RowError("orgs.csv", line, "name is empty", "name"))
        if row.get("status") and row["status"] not in ("active", "tobedeleted"):
            report.errors.append(
                RowError("orgs.csv", line, f"unknown status {row['status']!r}", "status")
            )
        if sid:
            seen_orgs.setdefault(sid, line)
        if len(report.errors) == before:
            orgs[sid] = row
    return orgs


def _checked_users(
    rows: Iterable[tuple[int, dict]],
    bad_lines: set[int],
    orgs: dict[str, dict],
    school_ids: set[str],
    report: ImportReport,
) -> list[tuple[dict, list[str]]]:
    """The good staff rows of users.csv with the schools they name; students are passed by."""
    users = []
    seen_users: dict[str, int] = {}
    for line, row in rows:
        before = len(report.errors)
        role = row["role"]
        sid = row["sourcedId"]
        if role in ONEROSTER_SKIPPED_ROLES:
            report.count("skipped", f"{role} row(s), not stored")
            continue
        if line in bad_lines:
            continue
        id_column = "identifier" if row.get("identifier") else "sourcedId"
        for column, field_name, value in (
            (id_column, "employee_id", row.get("identifier") or sid),
            ("sourcedId", "source_id", sid),
            ("givenName", "first_name", row["givenName"]),
            ("familyName", "last_name", row["familyName"]),
            ("email", "email", row.get("email", "")),
        ):
            report.errors += _too_long(Staff, field_name, value, "users.csv", line, column)
        if role not in ONEROSTER_STAFF_ROLES:
            report.errors.append(RowError("users.csv", line, f"unknown role {role!r}", "role"))
        if not sid:
            report.errors.append(RowError("users.csv", line, "sourcedId is empty", "sourcedId"))
        else:
            report.errors += _repeated("users.csv", line, "sourcedId", "sourcedId", sid, seen_users)
        for col in ("givenName", "familyName"):
            if not row[col]:
                report.errors.append(RowError("users.csv", line, f"{col} is empty", col))
        org_refs = [o.strip() for o in row["orgSourcedIds"].split(",") if o.strip()]
        unknown = [o for o in org_refs if o not in school_ids and o not in orgs]
        if unknown:
            report.errors.append(
                RowError(
                    "users.csv", line, f"unknown org(s): {', '.join(unknown)}", "orgSourcedIds"
                )
            )
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.errors.append(
                    RowError("users.csv", line, f"{email!r} is not an email address", "email")
                )
        enabled = row.get("enabledUser", "true").lower() or "true"
        if enabled not in ("true", "false"):
            report.errors.append(
                RowError(
                    "users.csv",
                    line,
                    f"enabledUser must be true or false, not {enabled!r}",
                    "enabledUser",
                )
            )
        if len(report.errors) == before:
            users.append((row, [o for o in org_refs if o in school_ids]))
    return users


def _save_oneroster(
    district: District,
    orgs: dict[str, dict],
    users: list[tuple[dict, list[str]]],
    existing_schools: dict[str, School],
    report: ImportReport,
    acting_user: Any,
    source: str,
) -> None:
    """Write the checked schools and staff (inside the caller's transaction)."""
    schools_by_sid = dict(existing_schools)
    for sid, row in orgs.items():
        if row["type"] != "school":
            report.count("skipped", f"{row['type']} org(s)")
            continue
        code = row.get("identifier") or sid
        match = (
            School.objects.filter(source_id=sid).first() or School.objects.filter(code=code).first()
        )
        lookup = {"pk": match.pk} if match else {"code": code}
        values = {
            "district": district,
            "name": row["name"],
            "source_id": sid,
            "active": row.get("status", "active") != "tobedeleted",
        }
        schools_by_sid[sid] = _upsert(School, lookup, values, "school", report, acting_user, source)
    positions: dict[str, Position] = {}
    for role, (code, label, category, evaluated) in ONEROSTER_STAFF_ROLES.items():
        positions[role], _ = Position.objects.get_or_create(
            code=code, defaults={"name": label, "category": category, "evaluated": evaluated}
        )
    for row, org_refs in users:
        employee_id = row.get("identifier") or row["sourcedId"]
        match = Staff.objects.filter(source_id=row["sourcedId"]).first()
        lookup = {"pk": match.pk} if match else {"employee_id": employee_id}
        staff = _upsert(
            Staff,
            lookup,
            {
                "first_name": row["givenName"],
                "last_name": row["familyName"],
                "email": row.get("email", ""),
                "position": positions[row["role"]],
                "source_id": row["sourcedId"],
                "active": row.get("status", "active") != "tobedeleted"
                and row.get("enabledUser", "true").lower() != "false",
            },
            "staff",
            report,
            acting_user,
            source,
        )
        _sync_assignments(
            staff,
            positions[row["role"]],
            [schools_by_sid[o] for o in org_refs],
            report,
            acting_user,
            source,
        )


def _log_import(acting_user: Any, name: str, report: ImportReport, source: str) -> None:
    record(
        actor=acting_user,
        action="org.import",
        obj=None,
        before=None,
        after={
            "file": name,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
        },
        source=source,
        note=report.summary(),
    )


def bundle_from_upload(upload: Any) -> dict[str, bytes]:
    """The CSV files of an uploaded OneRoster zip, by file name, within the input limits."""
    name = getattr(upload, "name", None) or "upload"
    return intake.read_zip(_read_bytes(upload, name), name=name)
