"""The same metric definitions give the same results on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

import os
import shutil
import uuid

import dj_database_url
import ibis
import numpy as np
import pandas as pd
import pytest

from districtpm.analytics.schema import TABLES
from districtpm.metrics import engine
from districtpm.metrics.definitions import load_all
from districtpm.metrics.reference import load_tables

DEFINITIONS = load_all()
KEYS = ["metric", "level", "entity_code", "grade", "period", "group_dim", "group_value"]
# One metric of every measure kind and period grain, plus derived and rolled-up sources.
SAMPLE = [
    "ela_proficiency",
    "ela_mean_scale_score",
    "ela_median_growth",
    "ela_interim_p25",
    "enrollment",
    "days_removed",
    "average_daily_attendance",
    "chronic_absenteeism",
    "attendance_by_month",
    "ela_interim_on_track",
    "suspension_rate",
    "graduation_rate",
]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    merged = a.merge(b, on=KEYS, how="outer", suffixes=("", "_other"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["n"] == merged["n_other"]).all()
    for column in ("value", "numerator", "denominator"):
        x = merged[column].astype(float).fillna(-1)
        y = merged[f"{column}_other"].astype(float).fillna(-1)
        assert np.allclose(x, y, rtol=1e-9, atol=1e-9), column


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.mark.skipif(_postgres_url() is None, reason="runs where DATABASE_URL is PostgreSQL (CI)")
def test_postgresql_gives_the_same_results(duck, analytics_path):
    cfg = dj_database_url.parse(_postgres_url())
    schema = f"analytics_{uuid.uuid4().hex[:8]}"
    admin = ibis.postgres.connect(
        host=cfg["HOST"],
        port=int(cfg["PORT"] or 5432),
        user=cfg["USER"],
        password=cfg["PASSWORD"],
        database=cfg["NAME"],
    )
    admin.raw_sql(f"CREATE SCHEMA {schema}").close()
    try:
        pg = ibis.postgres.connect(
            host=cfg["HOST"],
            port=int(cfg["PORT"] or 5432),
            user=cfg["USER"],
            password=cfg["PASSWORD"],
            database=cfg["NAME"],
            schema=schema,
        )
        for name, frame in load_tables(str(analytics_path)).items():
            table = TABLES[name]
            columns = ibis.schema({c.name: c.type for c in table.columns})
            pg.create_table(name, schema=columns, database=schema)
            if len(frame):
                pg.insert(name, frame[table.column_names], database=schema)
        # student-level metrics (the published ones read files this store holds none of)
        student = (k for k, d in DEFINITIONS.items() if not d.is_gap and not d.published)
        for metric_id in sorted(student):
            _same(
                engine.compute(pg, DEFINITIONS[metric_id]),
                engine.compute(duck, DEFINITIONS[metric_id]),
            )
    finally:
        admin.raw_sql(f"DROP SCHEMA {schema} CASCADE").close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime")
def test_spark_local_mode_gives_the_same_results(duck, analytics_path, tmp_path):
    pyspark = pytest.importorskip("pyspark.sql")
    session = (
        pyspark.SparkSession.builder.master("local[2]")
        .appName("districtpm-test")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path / "warehouse"))
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    try:
        types = pytest.importorskip("pyspark.sql.types")
        spark_type = {
            "string": types.StringType(),
            "boolean": types.BooleanType(),
            "int64": types.LongType(),
            "float64": types.DoubleType(),
            "date": types.DateType(),
        }
        for name, frame in load_tables(str(analytics_path)).items():
            table = TABLES[name]
            schema = types.StructType(
                [types.StructField(c.name, spark_type[c.type], True) for c in table.columns]
            )
            rows = [
                tuple(
                    None
                    if pd.isna(v)
                    else v.date()
                    if isinstance(v, pd.Timestamp)
                    else v.item()
                    if hasattr(v, "item")
                    else v
                    for v in row
                )
                for row in frame[table.column_names].itertuples(index=False)
            ]
            session.createDataFrame(rows, schema).createOrReplaceTempView(name)
        spark = ibis.pyspark.connect(session)
        for metric_id in SAMPLE:
            _same(
                engine.compute(spark, DEFINITIONS[metric_id]),
                engine.compute(duck, DEFINITIONS[metric_id]),
            )
    finally:
        session.stop()
