"""Data at every level for the world's district, each figure a marker that names its entity,
and what DESIGN.md's roles table says each role may read. Used by the role-matrix and the
downloads-by-role tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from districtpm.metrics.models import ComputeRun, Metric, MetricValue

METRIC_ID = "reading_scores"
PERIOD = "2025-2026"

# (level, entity_code, grade) → a value no other figure on any page is likely to show
VALUES: dict[tuple[str, str, str], float] = {
    ("district", "district", ""): 11.37,
    ("network", "N1", ""): 23.41,
    ("network", "N2", ""): 29.53,
    ("school", "101", ""): 37.61,
    ("school", "102", ""): 41.73,
    ("grade", "101", "3"): 53.87,
    ("grade", "102", "6"): 67.91,
}
ALL = frozenset(VALUES)
DISTRICT = frozenset({("district", "district", "")})
SCHOOL_A = frozenset({("school", "101", ""), ("grade", "101", "3")})
SCHOOL_B = frozenset({("school", "102", ""), ("grade", "102", "6")})
NETWORK_1 = frozenset({("network", "N1", "")})
NETWORK_2 = frozenset({("network", "N2", "")})

# Role user of the world → the metric values they may read (None: no data at all, 403).
# Leaders, HR and the Board read every aggregate (a network's and a grade's figures are
# aggregates of schools); action teams the district's only; school roles their own.
VALUE_SCOPE: dict[str, frozenset | None] = {
    "admin": ALL,
    "pm": ALL,
    "slt": ALL,
    "hr": ALL,
    "board": ALL,
    "team_lead": DISTRICT,
    "team_member": DISTRICT,
    "network_1": DISTRICT | NETWORK_1 | SCHOOL_A,
    "network_2": DISTRICT | NETWORK_2 | SCHOOL_B,
    "principal_a": DISTRICT | SCHOOL_A,
    "principal_b": DISTRICT | SCHOOL_B,
    "evaluator_a": DISTRICT | SCHOOL_A,
    "evaluator_b": DISTRICT | SCHOOL_B,
    "teacher_a": None,
    "teacher_b": None,
    "norole": None,
}
ROLE_USERS = sorted(VALUE_SCOPE)


def marker(key: tuple[str, str, str]) -> str:
    """How the figure shows in a page, a file or a chart table."""
    return f"{VALUES[key]:.2f}"


def leaked(text: str, allowed: frozenset | None) -> list[tuple[str, str, str]]:
    """The figures outside `allowed` that appear in `text`."""
    return [k for k in VALUES if k not in (allowed or ()) and marker(k) in text]


@dataclass
class Values:
    metric: Metric
    rows: dict[tuple[str, str, str], MetricValue] = field(default_factory=dict)


@pytest.fixture
def values(world) -> Values:
    return make_values()


def make_values() -> Values:
    """One metric with one figure at every level: district, both networks, both schools,
    a grade of each (the world's schools 101 and 102 in networks N1 and N2)."""
    metric = Metric.objects.create(
        id=METRIC_ID,
        name="Reading scale score",
        source="assessments",
        measure="mean",
        period="school_year",
        direction="up",
        kind="lagging",
        unit="points",
        format="decimal2",
        min_n=10,
        levels=["district", "network", "school", "grade"],
        groups=[],
        digest="test",
    )
    run = ComputeRun.objects.create(rows=len(VALUES))
    out = Values(metric)
    for (level, code, grade), value in VALUES.items():
        out.rows[(level, code, grade)] = MetricValue.objects.create(
            metric=metric,
            level=level,
            entity_code=code,
            grade=grade,
            period=PERIOD,
            school_year=PERIOD,
            group_dim="all",
            group_value="all",
            n=120,
            value=value,
            run=run,
        )
    return out


def page_query(key: tuple[str, str, str]) -> dict[str, str]:
    level, code, grade = key
    query = {"level": level, "entity": code, "group": "all"}
    if grade:
        query["grade"] = grade
    return query
