"""Student-level demo data for the analytics store, and the first computation of metrics."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone

from districtpm.analytics import store
from districtpm.analytics.demo_data import SchoolSpec, generate
from districtpm.analytics.schema import TABLES
from districtpm.demo.generator import LEVEL_MIX, SCALES
from districtpm.org.models import School, SchoolYear


def school_specs(scale: str) -> list[SchoolSpec]:
    """Each demo school with an enrollment that adds up to about the scale's student count."""
    means = {level: mean for level, _, _, _, mean, _ in LEVEL_MIX}
    schools = list(School.objects.order_by("code"))
    total = sum(means.get(s.level, 400) for s in schools) or 1
    students = SCALES[scale].students
    return [
        SchoolSpec(
            s.code,
            s.lowest_grade,
            s.highest_grade,
            round(students * means.get(s.level, 400) / total),
        )
        for s in schools
    ]


def build_student_data(
    scale: str,
    seed: int,
    *,
    as_of: dt.date | None = None,
    path: Path | None = None,
    progress: Callable[[str], None] = lambda m: None,
) -> dict[str, int]:
    """Replace the store's contents with the demo district's students, as of today."""
    as_of = as_of or timezone.localdate()
    years = [y.name for y in SchoolYear.objects.order_by("start_date")]
    progress(f"student data for {len(years)} school years, as of {as_of:%d %b %Y}")
    tables = generate(school_specs(scale), years, seed=seed, as_of=as_of)
    counts = {}
    with store.connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        for name in TABLES:
            con.execute(f"DELETE FROM {name}")
        con.execute("DELETE FROM _imports")
        store.sync_schools(con)
        for name, frame in tables.items():
            counts[name] = store.replace_rows(con, name, frame)
            con.execute(
                "INSERT INTO _imports (file_hash, file_name, table_name, rows, school_years) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    hashlib.sha256(f"demo:{scale}:{seed}:{as_of}".encode()).hexdigest(),
                    f"demo generator ({scale}, seed {seed})",
                    name,
                    len(frame),
                    ",".join(years),
                ],
            )
        con.execute("COMMIT")
    return counts
