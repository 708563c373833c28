"""The canonical schema of the analytics store.

Student-level data live here, in DuckDB (or another engine through Ibis), never in the app
database. Every table is keyed by the student and the school year so group attributes (the
student's yearly demographics) can be joined onto any measure. Codes are the district's own:
`school_code` matches `org.School.code`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB / Ibis type name
    doc: str
    required: bool = True
    values: tuple[str, ...] = ()  # allowed codes, when the column is a code list


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


GRADES = ("PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
RACES = (
    "American Indian",
    "Asian",
    "Black",
    "Hispanic",
    "Multiracial",
    "Pacific Islander",
    "White",
)
GENDERS = ("F", "M", "X")
SUBJECTS = ("ela", "math", "science")
WINDOWS = ("fall", "winter", "spring", "annual")


def period_order(period: str) -> int:
    """Where a period falls in time, as a number that sorts like the calendar: a school year
    ("2025-2026") before its windows in their order ("2025-2026 fall", "… winter", "… spring"),
    and a month ("2025-09") by its place in the school year that runs from July to June.
    Pages, charts, packs, exports and the API sort periods by it, never by their names."""
    text = str(period).strip()
    head, _, window = text.partition(" ")
    if len(head) == 9 and head[4] == "-" and head[:4].isdigit() and head[5:].isdigit():
        start = int(head[:4])
        if not window:
            return start * 100
        if window in WINDOWS:
            return start * 100 + 1 + WINDOWS.index(window)
        return start * 100 + 50  # an unknown window: after the known ones of its year
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        year, month = int(text[:4]), int(text[5:])
        if 1 <= month <= 12:
            start = year if month >= 7 else year - 1
            return start * 100 + 10 + (month - 7) % 12  # July 10 … June 21
    if len(text) >= 4 and text[:4].isdigit():
        return int(text[:4]) * 100 + 99  # a published file's own label, like "2024"
    return 0


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "student_years",
            "One row per student per school year: where they were enrolled on the count date "
            "and the attributes that define student groups.",
            (
                C("student_id", "string", "The district's student identifier."),
                C("school_year", "string", "Like 2025-2026."),
                C("school_code", "string", "School of record on the count date."),
                C("grade", "string", "Grade level.", values=GRADES),
                C(
                    "econ_disadv",
                    "boolean",
                    "Economically disadvantaged; empty when unknown.",
                    required=False,
                ),
                C("ell", "boolean", "English learner; empty when unknown.", required=False),
                C(
                    "swd",
                    "boolean",
                    "Student with a disability (IEP); empty when unknown.",
                    required=False,
                ),
                C("race", "string", "Race/ethnicity (federal categories).", values=RACES),
                C("gender", "string", "Gender.", values=GENDERS),
            ),
            ("student_id", "school_year"),
        ),
        Table(
            "enrollments",
            "Enrollment spells at schools.",
            (
                C("student_id", "string", "Student."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School."),
                C("entry_date", "date", "First day enrolled."),
                C("exit_date", "date", "Last day enrolled, empty while enrolled.", required=False),
            ),
            ("student_id", "school_year", "school_code", "entry_date"),
        ),
        Table(
            "assessments",
            "Test results: the state test (window 'annual') and interim windows.",
            (
                C("student_id", "string", "Student."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School where tested."),
                C("grade", "string", "Grade when tested.", values=GRADES),
                C("subject", "string", "Subject.", values=SUBJECTS),
                C("test", "string", "state or interim.", values=("state", "interim")),
                C("test_window", "string", "Testing window.", values=WINDOWS),
                C("scale_score", "float64", "Scale score.", required=False),
                C(
                    "performance_level",
                    "int64",
                    "Performance level, 1 (lowest) to 4.",
                    required=False,
                ),
                C(
                    "growth_percentile",
                    "float64",
                    "Student growth percentile, 1-99.",
                    required=False,
                ),
            ),
            ("student_id", "school_year", "subject", "test", "test_window"),
        ),
        Table(
            "attendance",
            "Days enrolled and present per student, school and month.",
            (
                C("student_id", "string", "Student."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School."),
                C("grade", "string", "Grade.", values=GRADES),
                C("month", "string", "Calendar month, like 2025-09."),
                C("days_enrolled", "int64", "Instructional days enrolled."),
                C("days_present", "int64", "Days present."),
            ),
            ("student_id", "school_year", "school_code", "month"),
        ),
        Table(
            "discipline",
            "Discipline incidents with their consequence.",
            (
                C("incident_id", "string", "Incident identifier."),
                C("student_id", "string", "Student."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School."),
                C("grade", "string", "Grade.", values=GRADES),
                C("incident_date", "date", "Date of the incident."),
                C(
                    "consequence",
                    "string",
                    "Consequence.",
                    values=(
                        "none",
                        "in_school_suspension",
                        "out_of_school_suspension",
                        "expulsion",
                    ),
                ),
                C("days_removed", "float64", "Days removed from class.", required=False),
            ),
            ("incident_id",),
        ),
        Table(
            "credits",
            "Course credits per student and year (high school).",
            (
                C("student_id", "string", "Student."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School."),
                C("grade", "string", "Grade.", values=GRADES),
                C("credits_attempted", "float64", "Credits attempted."),
                C("credits_earned", "float64", "Credits earned."),
                C("core_failures", "int64", "Failed semester courses in core subjects."),
            ),
            ("student_id", "school_year"),
        ),
        Table(
            "graduation_cohorts",
            "Four-year graduation cohorts: each student counted once, in the cohort of the year "
            "they first entered grade 9 plus four.",
            (
                C("student_id", "string", "Student."),
                C("school_year", "string", "The cohort's expected graduation year."),
                C("school_code", "string", "School accountable for the student."),
                C("grade", "string", "Always 12 for the cohort.", values=GRADES),
                C("graduated_4yr", "boolean", "Graduated within four years."),
                C("still_enrolled", "boolean", "Still enrolled after four years."),
                C("dropped_out", "boolean", "Dropped out."),
            ),
            ("student_id",),
        ),
        Table(
            "survey_responses",
            "Student survey responses, one row per student, construct and year.",
            (
                C("student_id", "string", "Student (kept to join groups, never shown)."),
                C("school_year", "string", "School year."),
                C("school_code", "string", "School."),
                C("grade", "string", "Grade.", values=GRADES),
                C(
                    "construct",
                    "string",
                    "What was asked about.",
                    values=("belonging", "climate", "safety", "engagement"),
                ),
                C("score", "float64", "Mean of the construct's items, 1 to 5."),
            ),
            ("student_id", "school_year", "construct"),
        ),
        Table(
            "school_values",
            "Published school-level figures (state report cards, public files): counts and "
            "rates by entity, period and group, as published.",
            (
                C("source", "string", "Which file or publisher."),
                C(
                    "entity_level",
                    "string",
                    "district, school or grade.",
                    values=("district", "network", "school", "grade"),
                ),
                C("entity_code", "string", "School or district code."),
                C("entity_name", "string", "Name as published.", required=False),
                C("grade", "string", "Grade, or 'all'."),
                C("period", "string", "School year or other period."),
                C("group_name", "string", "Student group, or 'all'."),
                C("measure", "string", "What is measured, like ela_proficient."),
                C(
                    "numerator",
                    "float64",
                    "Count meeting the measure; empty when suppressed.",
                    required=False,
                ),
                C(
                    "denominator",
                    "float64",
                    "Count measured; empty when suppressed.",
                    required=False,
                ),
                C("value", "float64", "Published value; empty when suppressed.", required=False),
                C("suppressed", "boolean", "The publisher suppressed the cell."),
            ),
            ("source", "entity_level", "entity_code", "grade", "period", "group_name", "measure"),
        ),
        Table(
            "schools",
            "The schools and their networks, copied from the app database so metrics can roll "
            "up by network.",
            (
                C("school_code", "string", "School code."),
                C("school_name", "string", "School name."),
                C("network_code", "string", "Network code.", required=False),
                C("level", "string", "School level."),
            ),
            ("school_code",),
        ),
    ]
}

# Student-group dimensions: the column of student_years each one reads and how values show.
GROUP_DIMENSIONS: dict[str, str] = {
    "econ_disadv": "Economically disadvantaged",
    "ell": "English learners",
    "swd": "Students with disabilities",
    "race": "Race/ethnicity",
    "gender": "Gender",
}

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "date": "DATE",
}


def ddl(table: Table) -> str:
    cols = ",\n  ".join(f"{c.name} {DUCKDB_TYPES[c.type]}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {cols}\n)"


def markdown() -> str:
    """The schema as documentation (docs/analytics-schema.md is generated from this)."""
    lines = [
        "# Analytics store: canonical schema",
        "",
        "Generated from `districtpm/analytics/schema.py`.",
        "",
    ]
    for table in TABLES.values():
        lines += [
            f"## `{table.name}`",
            "",
            table.doc,
            "",
            f"Key: {', '.join(table.key)}",
            "",
            "| column | type | required | meaning |",
            "|---|---|---|---|",
        ]
        for c in table.columns:
            doc = c.doc + (f" One of: {', '.join(c.values)}." if c.values else "")
            lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {doc} |")
        lines.append("")
    return "\n".join(lines)
