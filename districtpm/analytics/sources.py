"""The sources a metric can read: the canonical tables, a few derived ones built from them as
Ibis expressions (so they run on any engine), and the published figures of public files.

A published source is not a table of students: each row is a figure a publisher counted for one
school, grade (or 'all' grades) and school year. Metrics over it roll counts up — numerators
over denominators — and a cell the publisher suppressed stays unknown (see docs/metrics.md,
"Published sources")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from districtpm.analytics.schema import TABLES


@dataclass(frozen=True)
class Source:
    name: str
    doc: str
    columns: tuple[str, ...]
    tables: tuple[str, ...]  # canonical tables it reads: an import of one recomputes it
    build: Callable[[ibis.BaseBackend], ir.Table]
    has_groups: bool = False  # carries the group columns itself (no join needed)
    # Rows are a publisher's figures per school, grade and year, not students: no student groups,
    # and the engine rolls their counts up, keeping a suppressed cell unknown.
    published: bool = False
    # Types of the columns no canonical table holds under that name.
    types: dict[str, str] = field(default_factory=dict)


def _table(name: str) -> Callable[[ibis.BaseBackend], ir.Table]:
    return lambda con: con.table(name)


def _student_discipline(con: ibis.BaseBackend) -> ir.Table:
    years = con.table("student_years")
    incidents = con.table("discipline")
    per_student = incidents.group_by(["student_id", "school_year"]).aggregate(
        incidents=incidents.count(),
        oss_incidents=(incidents.consequence == "out_of_school_suspension").sum(),
        days_removed=incidents.days_removed.sum(),
    )
    joined = years.left_join(per_student, ["student_id", "school_year"])
    return joined.select(
        *[years[c] for c in TABLES["student_years"].column_names],
        incidents=joined.incidents.fill_null(0),
        oss_incidents=joined.oss_incidents.fill_null(0),
        days_removed=joined.days_removed.fill_null(0.0),
    )


def _published(table: str) -> Callable[[ibis.BaseBackend], ir.Table]:
    """A published table's school rows for all students, in the shape metrics read: one row
    per school, grade ('all' for the file's own all-grades row) and school year.

    `numerator` is the count as published, or, where the file publishes only a value (a
    percentage, a mean) beside its denominator, value × denominator: a share of 21.2% of 52
    students tested counts 11.024 students, and a mean score of 275 over 21 students sums 5,775
    points, so either rolls up as a sum. A cell the publisher suppressed has no numerator
    (unknown, never 0), even where the file still gives a value or count beside it.
    """

    def build(con: ibis.BaseBackend) -> ir.Table:
        t = con.table(table)
        t = t.filter((t.entity_level == "school") & (t.group_name == "all"))
        numerator = ibis.cases(
            (t.suppressed.fill_null(False), ibis.null().cast("float64")),
            (t.numerator.notnull(), t.numerator),
            else_=t.value * t.denominator,
        )
        return t.select(
            source=t.source,
            school_code=t.entity_code,
            school_name=t.entity_name,
            grade=t.grade,
            school_year=t.period,
            measure=t.measure,
            numerator=numerator.cast("float64"),
            denominator=t.denominator,
            value=t.value,
            suppressed=t.suppressed,
        )

    return build


PUBLISHED_COLUMNS = (
    "source",
    "school_code",
    "school_name",
    "grade",
    "school_year",
    "measure",
    "numerator",
    "denominator",
    "value",
    "suppressed",
)
# The published tables metrics may read (each is also a source of the same name).
PUBLISHED_TABLES = ("school_values",)

SOURCES: dict[str, Source] = {}
for _name in (
    "student_years",
    "assessments",
    "attendance",
    "discipline",
    "credits",
    "graduation_cohorts",
    "survey_responses",
    "enrollments",
):
    SOURCES[_name] = Source(
        _name,
        TABLES[_name].doc,
        tuple(TABLES[_name].column_names),
        (_name,),
        _table(_name),
        has_groups=_name == "student_years",
    )
SOURCES["student_discipline"] = Source(
    "student_discipline",
    "Every enrolled student-year with their count of discipline incidents, out-of-school "
    "suspensions and days removed (zero when they had none).",
    (*TABLES["student_years"].column_names, "incidents", "oss_incidents", "days_removed"),
    ("student_years", "discipline"),
    _student_discipline,
    has_groups=True,
)
for _name in PUBLISHED_TABLES:
    SOURCES[_name] = Source(
        _name,
        "Published figures, one row per school, grade ('all' for the file's own all-grades row) "
        "and school year, for all students: the count meeting the measure (numerator; a value "
        "published without one counts value × denominator), the count measured (denominator), "
        "the value as published, and whether the publisher suppressed the cell (then the "
        "numerator is unknown).",
        PUBLISHED_COLUMNS,
        (_name,),
        _published(_name),
        published=True,
        types={"school_code": "string", "school_name": "string", "school_year": "string"},
    )
