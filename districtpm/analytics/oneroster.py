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
import csv
import hashlib
import io
import re
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
    """The bundle's CSV files as text frames; reading goes through the shared input limits."""
    if isinstance(path, dict):
        raw = path
    elif Path(path).is_dir():
        raw = intake.read_folder(path, name=Path(path).name)
    else:
        raw = intake.read_zip(path, name=Path(path).name)
    frames = {}
    for name, data in raw.items():
        text = intake.decode_text(data, name=name)
        header = next(csv.reader(io.StringIO(text, newline="")), None)
        intake.check_headers([h.strip() for h in header or []], name=name)
        try:
            frames[name] = pd.read_csv(
                io.StringIO(text, newline=""), dtype=str, keep_default_na=False
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
            raise intake.InputRefused(
                f"{name} cannot be read as CSV ({str(exc).splitlines()[0]})."
            ) from None
    return frames


def _refused(exc: intake.InputRefused) -> ImportFailed:
    """A refused bundle as an import failure, so every caller reports it the same way."""
    result = ImportResult(file="OneRoster bundle", file_hash="")
    result.errors.append(RowError("OneRoster bundle", 0, "-", str(exc)))
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
    for name, columns in REQUIRED.items():
        if name not in files:
            errors.append(RowError(name, 0, "-", "file is missing from the bundle"))
            continue
        missing = [c for c in columns if c not in files[name].columns]
        if missing:
            errors.append(RowError(name, 1, ", ".join(missing), "missing column(s)"))
    if errors:
        raise ImportFailed(result)

    orgs = files["orgs.csv"]
    school_codes = {
        r["sourcedId"]: (r.get("identifier") or r["sourcedId"])
        for r in orgs.to_dict("records")
        if r["type"] == "school"
    }
    sessions = files["academicSessions.csv"].set_index("sourcedId")

    # students and their demographics
    demo = files["demographics.csv"].set_index("sourcedId").to_dict("index")
    students: dict[str, dict] = {}
    for i, r in enumerate(files["users.csv"].to_dict("records")):
        if r["role"] != "student":
            continue
        line = i + 2
        try:
            grades = [g for g in r.get("grades", "").split(",") if g.strip()]
            grade = _grade(grades[0]) if grades else None
        except ValueError as exc:
            errors.append(RowError("users.csv", line, "grades", str(exc)))
            continue
        d = demo.get(r["sourcedId"], {})
        if d.get("hispanicOrLatinoEthnicity", "").lower() == "true":
            race = "Hispanic"
        elif _truthy(d.get("demographicRaceTwoOrMoreRaces", "")):
            race = "Multiracial"
        else:
            flagged = [label for flag, label in RACE_FLAGS if _truthy(d.get(flag, ""))]
            race = flagged[0] if len(flagged) == 1 else ("Multiracial" if flagged else None)
        sex = d.get("sex", "").strip().lower()
        if sex and sex not in SEX:
            errors.append(
                RowError("demographics.csv", 0, "sex", f"unknown sex {sex!r} for {r['sourcedId']}")
            )
        students[r["sourcedId"]] = {
            "grade": grade,
            "race": race,
            "gender": SEX.get(sex),
            "orgs": [o.strip() for o in r["orgSourcedIds"].split(",")],
        }

    # enrollments of students at schools, by school year
    enrollment_rows = []
    for i, r in enumerate(files["enrollments.csv"].to_dict("records")):
        if r["role"] != "student":
            continue
        line = i + 2
        if r["userSourcedId"] not in students:
            errors.append(
                RowError(
                    "enrollments.csv",
                    line,
                    "userSourcedId",
                    f"unknown student {r['userSourcedId']!r}",
                )
            )
            continue
        if r["schoolSourcedId"] not in school_codes:
            errors.append(
                RowError(
                    "enrollments.csv",
                    line,
                    "schoolSourcedId",
                    f"unknown school {r['schoolSourcedId']!r}",
                )
            )
            continue
        try:
            begin = pd.Timestamp(r.get("beginDate")).date() if r.get("beginDate") else None
            end = pd.Timestamp(r.get("endDate")).date() if r.get("endDate") else None
        except ValueError as exc:
            errors.append(RowError("enrollments.csv", line, "beginDate", str(exc)))
            continue
        if begin is None:
            errors.append(RowError("enrollments.csv", line, "beginDate", "beginDate is empty"))
            continue
        enrollment_rows.append(
            {
                "student_id": r["userSourcedId"],
                "school_year": PERIOD_PARSERS["date"](str(begin)),
                "school_code": school_codes[r["schoolSourcedId"]],
                "entry_date": begin,
                "exit_date": end,
            }
        )

    # results of assessment line items
    item_rules = [(re.compile(rule["title"]), rule) for rule in rules["line_items"]]
    items: dict[str, dict] = {}
    for i, r in enumerate(files["lineItems.csv"].to_dict("records")):
        for pattern, rule in item_rules:
            m = pattern.fullmatch(r["title"].strip())
            if m:
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
                            i + 2,
                            "gradingPeriodSourcedId",
                            "no academic session or assignDate to date it",
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
                            i + 2,
                            "title",
                            f"{r['title']!r} gives an unknown subject, test or window",
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
    assessment_rows = []
    student_school = {}
    for e in enrollment_rows:
        student_school[(e["student_id"], e["school_year"])] = e["school_code"]
    for i, r in enumerate(files["results.csv"].to_dict("records")):
        item = items.get(r["lineItemSourcedId"])
        if item is None:
            continue  # not an assessment the rules know: homework, quizzes…
        line = i + 2
        student = students.get(r["studentSourcedId"])
        if student is None:
            errors.append(
                RowError(
                    "results.csv",
                    line,
                    "studentSourcedId",
                    f"unknown student {r['studentSourcedId']!r}",
                )
            )
            continue
        if r.get("scoreStatus", "fully graded") not in ("fully graded", "partially graded", ""):
            continue
        try:
            score = float(r["score"])
        except ValueError:
            errors.append(RowError("results.csv", line, "score", f"{r['score']!r} is not a number"))
            continue
        school = student_school.get((r["studentSourcedId"], item["school_year"]))
        if school is None:
            errors.append(
                RowError(
                    "results.csv",
                    line,
                    "studentSourcedId",
                    f"student has no enrollment in {item['school_year']}",
                )
            )
            continue
        level = bisect.bisect_right(item["cuts"], score) + 1 if item["cuts"] else None
        assessment_rows.append(
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
    if errors:
        raise ImportFailed(result)

    years_rows = []
    for (student_id, year), school in sorted(student_school.items()):
        s = students[student_id]
        if s["grade"] is None:
            continue
        years_rows.append(
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
    frames = {
        "student_years": pd.DataFrame(years_rows, columns=TABLES["student_years"].column_names),
        "enrollments": pd.DataFrame(enrollment_rows, columns=TABLES["enrollments"].column_names),
        "assessments": pd.DataFrame(assessment_rows, columns=TABLES["assessments"].column_names),
    }
    frames["student_years"][["econ_disadv", "ell", "swd"]] = frames["student_years"][
        ["econ_disadv", "ell", "swd"]
    ].astype("boolean")
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
                        digest,
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
    result.source_rows = sum(len(f) for f in files.values())
    return result
