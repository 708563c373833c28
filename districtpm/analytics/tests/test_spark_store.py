"""The whole pipeline on Spark (ANALYTICS_ENGINE=spark): files imported through the product's
importer, metrics computed and suppressed, values stored; the same values as on DuckDB."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from districtpm.analytics import importer, spark_store, sql_import, store
from districtpm.analytics.demo_data import generate
from districtpm.analytics.schema import TABLES
from districtpm.conftest import NETWORKS, SCHOOLS, YEARS
from districtpm.metrics.compute import recompute
from districtpm.metrics.models import MetricValue
from districtpm.org.models import District, Network, School

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]
VALUE_KEYS = ["metric_id", "level", "entity_code", "grade", "period", "group_dim", "group_value"]
NUMBERS = ["n", "numerator", "denominator", "value"]


def _organisation() -> None:
    district = District.objects.create(name="Test District", code="TD", state="CO")
    networks = {
        code: Network.objects.create(district=district, code=code, name=f"Network {code}")
        for code in sorted(set(NETWORKS.values()))
    }
    for spec in SCHOOLS:
        School.objects.create(
            district=district,
            network=networks[NETWORKS[spec.code]],
            code=spec.code,
            name=f"School {spec.code}",
            level="elementary",
            lowest_grade=spec.lowest_grade,
            highest_grade=spec.highest_grade,
        )


def _files(folder) -> dict[str, tuple]:
    """Every table of the small district as a CSV file, and a mapping naming its columns."""
    tables = generate(SCHOOLS, YEARS, seed=11, as_of=dt.date(2026, 11, 20))
    con = duckdb.connect()
    files = {}
    for name, frame in tables.items():
        columns = TABLES[name].column_names
        con.register("t", frame[columns])
        path = folder / f"{name}.csv"
        con.execute(f"COPY (SELECT * FROM t) TO '{path}' (HEADER, DELIMITER ',')")
        con.unregister("t")
        mapping = {"outputs": [{"table": name, "columns": {c: c for c in columns}}]}
        files[name] = (path, mapping)
    con.close()
    return files


def _values(run) -> pd.DataFrame:
    rows = MetricValue.objects.filter(run=run).values(*VALUE_KEYS, *NUMBERS, "suppressed")
    frame = pd.DataFrame(list(rows))
    return frame.sort_values(VALUE_KEYS).reset_index(drop=True)


def _spark_settings(settings, tmp_path) -> None:
    settings.ANALYTICS_ENGINE = "spark"
    settings.ANALYTICS_WAREHOUSE = tmp_path / "warehouse"
    settings.ANALYTICS_STAGING = tmp_path / "staging"
    settings.SPARK_MASTER = "local[2]"
    settings.SPARK_CONF = {
        "spark.driver.host": "127.0.0.1",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": str(tmp_path / "spark-sql"),
    }


@pytest.mark.django_db
def test_import_compute_and_values_on_spark_match_duckdb(settings, tmp_path):
    _organisation()
    files = _files(tmp_path)
    settings.ANALYTICS_PATH = tmp_path / "analytics.duckdb"
    settings.ANALYTICS_ENGINE = "duckdb"
    for path, mapping in files.values():
        importer.import_file(path, mapping)
    on_duckdb = _values(recompute())

    _spark_settings(settings, tmp_path)
    taken = dict(sql_import.paths_taken)
    try:
        results = {
            name: importer.import_file(path, mapping) for name, (path, mapping) in files.items()
        }
        assert sql_import.paths_taken["sql"] > taken["sql"]  # the DuckDB-checked path, to Spark
        # the same rows in both stores, table by table
        with store.connect(tmp_path / "analytics.duckdb", read_only=True) as con:
            for name in files:
                columns = TABLES[name].column_names
                local = con.execute(f"SELECT {', '.join(columns)} FROM {name}").df()
                remote = spark_store.read_table(name).toPandas()
                assert len(remote) == results[name].rows[name] == len(local) > 0, name
                order = TABLES[name].key
                a = local.sort_values(list(order)).reset_index(drop=True)
                b = remote[columns].sort_values(list(order)).reset_index(drop=True)
                for column in columns:
                    x, y = a[column].astype(object), b[column].astype(object)
                    if TABLES[name].column(column).type == "date":  # Timestamp and date
                        x, y = pd.to_datetime(x), pd.to_datetime(y)
                    same = (x == y) | (pd.isna(x) & pd.isna(y))
                    assert same.all(), (name, column, a[~same].head(), b[~same].head())
        logged = spark_store.imports()
        assert {row[2] for row in logged} == set(files)
        run = recompute()
        on_spark = _values(run)
        assert run.sources and {s["table"] for s in run.sources} == set(files)
        # importing the same file again replaces its rows: nothing changes
        path, mapping = files["attendance"]
        before = spark_store.read_table("attendance").count()
        importer.import_file(path, mapping)
        assert spark_store.read_table("attendance").count() == before
    finally:
        spark_store.stop()

    assert len(on_spark) == len(on_duckdb) > 1000
    assert (on_spark[VALUE_KEYS] == on_duckdb[VALUE_KEYS]).all().all()
    assert (on_spark["suppressed"] == on_duckdb["suppressed"]).all()
    assert on_duckdb["suppressed"].any() and not on_duckdb["suppressed"].all()
    assert (on_spark["n"].fillna(-1) == on_duckdb["n"].fillna(-1)).all()
    for column in ("numerator", "denominator", "value"):
        x = on_spark[column].astype(float).fillna(-1).to_numpy()
        y = on_duckdb[column].astype(float).fillna(-1).to_numpy()
        # sums added up in another order may differ in the last bits of a double
        assert np.allclose(x, y, rtol=1e-12, atol=0), column


@pytest.mark.django_db
def test_a_bad_file_on_spark_is_refused_whole_and_writes_nothing(settings, tmp_path):
    _organisation()
    _spark_settings(settings, tmp_path)
    path = tmp_path / "attendance.csv"
    path.write_text(
        "student_id,school_year,school_code,grade,month,days_enrolled,days_present\n"
        "S1,2025-2026,101,3,2025-09,20,19\n"
        "S2,2025-2026,101,3,2025-09,twenty,19\n"
    )
    columns = TABLES["attendance"].column_names
    mapping = {"outputs": [{"table": "attendance", "columns": {c: c for c in columns}}]}
    try:
        with pytest.raises(importer.ImportFailed) as failed:
            importer.import_file(path, mapping)
        assert [e.line for e in failed.value.result.errors] == [3]
        assert spark_store.current_version("attendance") is None
        assert spark_store.imports() == []
        assert not any(spark_store.staging().iterdir())  # no staged file left behind
    finally:
        spark_store.stop()
