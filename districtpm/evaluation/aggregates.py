"""The one view of evaluations that the PM office, senior leaders, the board and network
supervisors have: how many educators each school, network and the district rated at each of
the state's four ratings, in a school year, with small counts hidden.

The counts go through the metrics engine's suppression (metrics/suppression.py): a count below
the minimum is hidden, and enough others with it that no hidden count can be worked out from
the shown ones and the totals (a school's ratings add up to its total, its schools to a
network, the networks to the district). A rating no one at a school received is a count of 0,
below the minimum like any small count: hidden, with what protects it (otherwise a school whose
educators all had one rating would show every one of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.conf import settings
from django.db.models import Count

from districtpm.evaluation import status
from districtpm.evaluation.models import Evaluation

ORDER = [status.INEFFECTIVE, status.PARTIALLY_EFFECTIVE, status.EFFECTIVE, status.HIGHLY_EFFECTIVE]


@dataclass
class Row:
    level: str  # school, network, district
    code: str
    name: str
    counts: dict[str, int | None] = field(default_factory=dict)  # None: hidden
    total: int | None = None

    @property
    def ordered(self) -> list[int | None]:
        """The counts from ineffective to highly effective."""
        return [self.counts.get(rating) for rating in ORDER]


def cells(school_year: Any) -> tuple[pd.DataFrame, dict[str, str], dict[tuple[str, str], str]]:
    """The unsuppressed counts as the engine's cells, the school → network map, and names."""
    from districtpm.org.models import School

    rows = (
        Evaluation.objects.filter(school_year=school_year, state=Evaluation.State.FINAL)
        .values("school__code", "school__network__code", "final_level__state_rating")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str, str], int] = {}
    networks: dict[str, str] = {}
    for r in rows:
        school, network = r["school__code"], r["school__network__code"] or ""
        networks[school] = network
        for level, code in [("school", school), ("network", network), ("district", "district")]:
            if level == "network" and not network:
                continue
            for group in [r["final_level__state_rating"], "all"]:
                key = (level, code, group)
                counts[key] = counts.get(key, 0) + r["n"]
    for level, code, _ in list(counts):
        for rating in ORDER:  # every rating at every entity, 0 where nobody received it
            counts.setdefault((level, code, rating), 0)
    names = {("district", "district"): "District"}
    for s in School.objects.filter(code__in=networks).select_related("network"):
        names[("school", s.code)] = s.name
        if s.network:
            names[("network", s.network.code)] = s.network.name
    frame = pd.DataFrame(
        [
            {
                "period": school_year.name,
                "level": level,
                "entity_code": code,
                "grade": "",
                "group_dim": "all" if group == "all" else "rating",
                "group_value": group,
                "n": n,
                "value": float(n),
                "numerator": float("nan"),
                "denominator": float("nan"),
            }
            for (level, code, group), n in sorted(counts.items())
        ],
        columns=[
            "period",
            "level",
            "entity_code",
            "grade",
            "group_dim",
            "group_value",
            "n",
            "value",
            "numerator",
            "denominator",
        ],
    )
    return frame, networks, names


def ratings_by_school(school_year: Any, min_n: int | None = None) -> list[Row]:
    """The district, its networks and schools, each with its count at each rating (None where
    hidden) and its total; schools without a final evaluation are left out."""
    from districtpm.metrics.suppression import suppress

    least = min_n or settings.DISTRICTPM_MIN_N
    frame, networks, names = cells(school_year)
    if frame.empty:
        return []
    shown = suppress(frame, least, networks, measure="count")
    table: dict[tuple[str, str], Row] = {}
    for r in shown.itertuples(index=False):
        key = (r.level, r.entity_code)
        row = table.setdefault(key, Row(r.level, r.entity_code, names.get(key, r.entity_code)))
        n = None if r.suppressed else int(r.n)
        if r.group_dim == "all":
            row.total = n
        else:
            row.counts[r.group_value] = n
    rank = {"district": 0, "network": 1, "school": 2}
    return sorted(table.values(), key=lambda row: (rank[row.level], row.name))
