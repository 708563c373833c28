"""A small analytics store made by the demo generator, shared by the metric tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from districtpm.analytics import store
from districtpm.analytics.demo_data import SchoolSpec, generate

SCHOOLS = [
    SchoolSpec("101", "K", "5", 260),
    SchoolSpec("102", "6", "8", 300),
    SchoolSpec("103", "K", "5", 90),
    SchoolSpec("104", "9", "12", 420),
    SchoolSpec("105", "K", "8", 140),
]
NETWORKS = {"101": "N1", "102": "N2", "103": "N1", "104": "N2", "105": "N2"}
YEARS = ["2024-2025", "2025-2026", "2026-2027"]


def write_store(path, seed: int = 11) -> dict[str, pd.DataFrame]:
    tables = generate(SCHOOLS, YEARS, seed=seed, as_of=dt.date(2026, 11, 20))
    with store.connect(path) as con:
        for name, frame in tables.items():
            store.replace_rows(con, name, frame)
        schools = pd.DataFrame(
            {
                "school_code": [s.code for s in SCHOOLS],
                "school_name": [f"School {s.code}" for s in SCHOOLS],
                "network_code": [NETWORKS[s.code] for s in SCHOOLS],
                "level": ["elementary"] * len(SCHOOLS),
            }
        )
        con.register("_s", schools)
        con.execute("INSERT INTO schools SELECT * FROM _s")
    return tables


@pytest.fixture(scope="session")
def analytics_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("analytics") / "analytics.duckdb"
    write_store(path)
    return path


@pytest.fixture(scope="session")
def duck(analytics_path):
    con = store.ibis_connection(analytics_path)
    yield con
    con.disconnect()
