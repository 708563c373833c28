"""The sources a metric can read: the canonical tables, and a few derived ones built from them
as Ibis expressions (so they run on any engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
