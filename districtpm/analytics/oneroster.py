"""Student data from a OneRoster 1.1 CSV bundle into the analytics store.

Reads users.csv (students: grade and school), demographics.csv (sex and race flags),
enrollments.csv (spells at schools), academicSessions.csv (school years), lineItems.csv and
results.csv (scores). Which line items are which assessments is data too: a small YAML file
(`line_items`) matches line item titles with a pattern whose named groups give the subject,
test and window, and optional cut scores turn a score into a performance level.

OneRoster 1.1 carries no income, language or disability status, so those groups stay unknown.
Like every import, the bundle is checked whole first: every bad row is reported with its file,
line, column and reason, and nothing is written unless all rows are good.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from districtpm.analytics import store
from districtpm.analytics.importer import (
    PERIOD_PARSERS,
    ImportFailed,
    ImportResult,
    MappingError,
    RowError,
    _grade,
)
from districtpm.analytics.schema import SUBJECTS, TABLES, WINDOWS
from districtpm.core import intake

RACE_FLAGS = [
    ("americanIndianOrAlaskaNative", "American Indian"),
    ("asian", "Asian"),
    ("blackOrAfricanAmerican", "Black"),
    ("nativeHawaiianOrOtherPacificIslander", "Pacific Islander"),
    ("white", "White"),
]
SEX = {"male": "M", "female": "F", "other": "X", "unspecified": None}
REQUIRED = {
    "users.csv": ["sourcedId", "role", "orgSourcedIds"],
    "demographics.csv": ["sourcedId"],
    "enrollments.csv": ["sourcedId", "schoolSourcedId", "userSourcedId", "role"],
    "orgs.csv": ["sourcedId", "type"],
    "academicSessions.csv": ["sourcedId", "type", "startDate", "endDate"],
    "lineItems.csv": ["sourcedId", "title"],
    "results.csv": ["sourcedId", "lineItemSourcedId", "studentSourcedId", "score"],
}


def _files(path: Path | dict[str, bytes]) -> dict[str, pd.DataFrame]:
    """The bundle's CSV files as text frames, read by the shared bundle reader; each frame
    keeps its rows' physical line numbers in `attrs["lines"]`."""
    frames = {}
    for name, table in intake.read_bundle(path).items():
        for line, _, extra in table.rows:
            if extra:  # as the CSV reader this replaced did: such a file is not a table
                raise intake.InputRefused(
                    f"{name} cannot be read as CSV (line {line} has {len(table.headers) + len(extra)}"
                    f" values but the header names only {len(table.headers)} columns)."
                )
        frame = pd.DataFrame(
            [values for _, values, _ in table.rows], columns=table.headers, dtype=str
        )
        frame.attrs["lines"] = [line for line, _, _ in table.rows]
        frames[name] = frame
    return frames


def _rows(frame: pd.DataFrame) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a bundle file with its line number."""
    return zip(frame.attrs["lines"], frame.to_dict("records"), strict=True)


def _refused(exc: intake.InputRefused) -> ImportFailed:
    """A refused bundle as an import failure, so every caller reports it the same way."""
    result = ImportResult(file="OneRoster bundle", file_hash="")
    result.errors.append(RowError("OneRoster bundle", 0, str(exc), "-"))
    return ImportFailed(result)


def _truthy(value: str) -> bool:
    return str(value).strip().lower() == "true"


def load_rules(path: Path | str) -> dict[str, Any]:
    shown = Path(path).name  # messages name the file, never the server's folders
    try:
        rules = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{shown}: cannot read the rules ({type(exc).__name__})") from exc
    items = rules.get("line_items") if isinstance(rules, dict) else None
    if not isinstance(items, list) or not items:
        raise MappingError(f"{shown}: needs a list of line_items")
    for rule in items:
        try:
            pattern = re.compile(rule["title"])
        except (KeyError, re.error) as exc:
            raise MappingError(f"{shown}: each line item needs a title pattern ({exc})") from exc
        if not {"subject", "test", "window"} <= set(pattern.groupindex) | set(rule.get("set", {})):
            raise MappingError(
                f"{shown}: pattern {rule['title']!r} must give subject, test and "
                "window (as named groups or in set)"
            )
    return rules


def import_bundle(
    path: Path | dict[str, bytes],
    rules: dict[str, Any] | Path | str,
    *,
    store_path: Path | None = None,
) -> ImportResult:
    """Students, enrollments and assessment results from a bundle; nothing if any row is bad."""
    rules = rules if isinstance(rules, dict) else load_rules(rules)
    try:
        files = _files(path)
    except intake.InputRefused as exc:
        raise _refused(exc) from None
    digest = hashlib.sha256(
        b"".join(
            pd.util.hash_pandas_object(f, index=False).values.tobytes()
            for _, f in sorted(files.items())
        )
    ).hexdigest()
    result = ImportResult(file="OneRoster bundle", file_hash=digest)
    errors = result.errors
    errors += _missing(files)
    if errors:
        raise ImportFailed(result)

    school_codes = {
        r["sourcedId"]: (r.get("identifier") or r["sourcedId"])
        for r in files["orgs.csv"].to_dict("records")
        if r["type"] == "school"
    }
    students = _students(files, errors)
    enrollment_rows = _enrollments(files["enrollments.csv"], students, school_codes, errors)
    items = _line_items(files, rules, errors)
    student_school = {
        (e["student_id"], e["school_year"]): e["school_code"] for e in enrollment_rows
    }
    assessment_rows = _results(files["results.csv"], items, students, student_school, errors)
    if errors:
        raise ImportFailed(result)
    frames = {
        "student_years": _student_years(students, student_school),
        "enrollments": pd.DataFrame(enrollment_rows, columns=TABLES["enrollments"].column_names),
        "assessments": pd.DataFrame(assessment_rows, columns=TABLES["assessments"].column_names),
    }
    _save(frames, result, store_path)
    result.source_rows = sum(len(f) for f in files.values())
    return result


def _missing(files: dict[str, pd.DataFrame]) -> list[RowError]:
    """A row error for every file or column the import needs and the bundle lacks."""
    errors = []
    for name, columns in REQUIRED.items():
        if name not in files:
            errors.append(RowError(name, 0, "file is missing from the bundle", "-"))
            continue
        missing = [c for c in columns if c not in files[name].columns]
        if missing:
            errors.append(RowError(name, 1, "missing column(s)", ", ".join(missing)))
    return errors


def _race(d: dict[str, str]) -> str | None:
    """One race or ethnicity from OneRoster's flags: Hispanic first, several flags multiracial."""
    if d.get("hispanicOrLatinoEthnicity", "").lower() == "true":
        return "Hispanic"
    if _truthy(d.get("demographicRaceTwoOrMoreRaces", "")):
        return "Multiracial"
    flagged = [label for flag, label in RACE_FLAGS if _truthy(d.get(flag, ""))]
    return flagged[0] if len(flagged) == 1 else ("Multiracial" if flagged else None)


def _students(files: dict[str, pd.DataFrame], errors: list[RowError]) -> dict[str, dict]:
    """The students of users.csv with their grade and demographics, by sourcedId."""
    demo = files["demographics.csv"].set_index("sourcedId").to_dict("index")
    students: dict[str, dict] = {}
    for line, r in _rows(files["users.csv"]):
        if r["role"] != "student":
            continue
        try:
            grades = [g for g in r.get("grades", "").split(",") if g.strip()]
            grade = _grade(grades[0]) if grades else None
        except ValueError as exc:
            errors.append(RowError("users.csv", line, str(exc), "grades"))
            continue
        d = demo.get(r["sourcedId"], {})
        sex = d.get("sex", "").strip().lower()
        if sex and sex not in SEX:
            errors.append(
                RowError("demographics.csv", 0, f"unknown sex {sex!r} for {r['sourcedId']}", "sex")
            )
        students[r["sourcedId"]] = {
            "grade": grade,
            "race": _race(d),
            "gender": SEX.get(sex),
            "orgs": [o.strip() for o in r["orgSourcedIds"].split(",")],
        }
    return students


def _enrollments(
    frame: pd.DataFrame,
    students: dict[str, dict],
    school_codes: dict[str, str],
    errors: list[RowError],
) -> list[dict]:
    """Students' enrollment spells at schools, with the school year each began in."""
    rows = []
    for line, r in _rows(frame):
        if r["role"] != "student":
            continue
        if r["userSourcedId"] not in students:
            errors.append(
                RowError(
                    "enrollments.csv",
                    line,
                    f"unknown student {r['userSourcedId']!r}",
                    "userSourcedId",
                )
            )
            continue
        if r["schoolSourcedId"] not in school_codes:
            errors.append(
                RowError(
                    "enrollments.csv",
                    line,
                    f"unknown school {r['schoolSourcedId']!r}",
                    "schoolSourcedId",
                )
            )
            continue
        try:
            begin = pd.Timestamp(r.get("beginDate")).date() if r.get("beginDate") else None
            end = pd.Timestamp(r.get("endDate")).date() if r.get("endDate") else None
        except ValueError as exc:
            errors.append(RowError("enrollments.csv", line, str(exc), "beginDate"))
            continue
        if begin is None:
            errors.append(RowError("enrollments.csv", line, "beginDate is empty", "beginDate"))
            continue
        rows.append(
            {
                "student_id": r["userSourcedId"],
                "school_year": PERIOD_PARSERS["date"](str(begin)),
                "school_code": school_codes[r["schoolSourcedId"]],
                "entry_date": begin,
                "exit_date": end,
            }
        )
    return rows


def _line_items(
    files: dict[str, pd.DataFrame], rules: dict[str, Any], errors: list[RowError]
) -> dict[str, dict]:
    """The line items the rules name as assessments (subject, test, window, year, cuts)."""
    sessions = files["academicSessions.csv"].set_index("sourcedId")
    item_rules = [(re.compile(rule["title"]), rule) for rule in rules["line_items"]]
    items: dict[str, dict] = {}
    for line, r in _rows(files["lineItems.csv"]):
        for pattern, rule in item_rules:
            m = pattern.fullmatch(r["title"].strip())
            if not m:
                continue
            values = {**rule.get("set", {}), **m.groupdict()}
            values = {k: rule.get("values", {}).get(k, {}).get(v, v) for k, v in values.items()}
            session = r.get("gradingPeriodSourcedId", "")
            year = None
            if session in sessions.index:
                year = PERIOD_PARSERS["date"](sessions.loc[session, "startDate"])
            elif r.get("assignDate"):
                year = PERIOD_PARSERS["date"](r["assignDate"])
            if year is None:
                errors.append(
                    RowError(
                        "lineItems.csv",
                        line,
                        "no academic session or assignDate to date it",
                        "gradingPeriodSourcedId",
                    )
                )
                break
            if (
                values["subject"] not in SUBJECTS
                or values["window"] not in WINDOWS
                or values["test"] not in ("state", "interim")
            ):
                errors.append(
                    RowError(
                        "lineItems.csv",
                        line,
                        f"{r['title']!r} gives an unknown subject, test or window",
                        "title",
                    )
                )
                break
            items[r["sourcedId"]] = {
                **values,
                "school_year": year,
                "cuts": rule.get("cuts"),
                "class": r.get("classSourcedId"),
            }
            break
    return items


def _results(
    frame: pd.DataFrame,
    items: dict[str, dict],
    students: dict[str, dict],
    student_school: dict[tuple[str, str], str],
    errors: list[RowError],
) -> list[dict]:
    """Assessment rows from the results of the line items that are assessments."""
    rows = []
    for line, r in _rows(frame):
        item = items.get(r["lineItemSourcedId"])
        if item is None:
            continue  # not an assessment the rules know: homework, quizzes…
        student = students.get(r["studentSourcedId"])
        if student is None:
            errors.append(
                RowError(
                    "results.csv",
                    line,
                    f"unknown student {r['studentSourcedId']!r}",
                    "studentSourcedId",
                )
            )
            continue
        if r.get("scoreStatus", "fully graded") not in ("fully graded", "partially graded", ""):
            continue
        try:
            score = float(r["score"])
        except ValueError:
            errors.append(RowError("results.csv", line, f"{r['score']!r} is not a number", "score"))
            continue
        school = student_school.get((r["studentSourcedId"], item["school_year"]))
        if school is None:
            errors.append(
                RowError(
                    "results.csv",
                    line,
                    f"student has no enrollment in {item['school_year']}",
                    "studentSourcedId",
                )
            )
            continue
        level = bisect.bisect_right(item["cuts"], score) + 1 if item["cuts"] else None
        rows.append(
            {
                "student_id": r["studentSourcedId"],
                "school_year": item["school_year"],
                "school_code": school,
                "grade": student["grade"],
                "subject": item["subject"],
                "test": item["test"],
                "test_window": item["window"],
                "scale_score": score,
                "performance_level": level,
                "growth_percentile": None,
            }
        )
    return rows


def _student_years(
    students: dict[str, dict], student_school: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """One row per enrolled student and year with a grade; OneRoster has no income, language
    or disability status, so those stay unknown."""
    rows = []
    for (student_id, year), school in sorted(student_school.items()):
        s = students[student_id]
        if s["grade"] is None:
            continue
        rows.append(
            {
                "student_id": student_id,
                "school_year": year,
                "school_code": school,
                "grade": s["grade"],
                "econ_disadv": None,
                "ell": None,
                "swd": None,
                "race": s["race"],
                "gender": s["gender"],
            }
        )
    frame = pd.DataFrame(rows, columns=TABLES["student_years"].column_names)
    frame[["econ_disadv", "ell", "swd"]] = frame[["econ_disadv", "ell", "swd"]].astype("boolean")
    return frame


def _save(frames: dict[str, pd.DataFrame], result: ImportResult, store_path: Path | None) -> None:
    """Replace the bundle's rows in the store in one transaction, with its import record."""
    with store.connect(store_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for name, frame in frames.items():
                result.rows[name] = store.replace_rows(con, name, frame)
                result.school_years[name] = set(frame["school_year"].unique())
                con.execute(
                    "INSERT INTO _imports (file_hash, file_name, table_name, rows, school_years) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        result.file_hash,
                        result.file,
                        name,
                        len(frame),
                        ",".join(sorted(result.school_years[name])),
                    ],
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
