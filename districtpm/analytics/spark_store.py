"""The analytics store on Spark, for data one machine cannot hold (ANALYTICS_ENGINE=spark).

Every canonical table is a folder of Parquet files under ANALYTICS_WAREHOUSE (a local folder,
or a path every Spark executor shares: NFS, HDFS, S3 through the cluster's Hadoop
configuration), one subfolder per version. An import's checked rows are staged as Parquet by
the importer (DuckDB checks the file on this machine, streaming it, exactly as for the embedded
store), then Spark reads the staged file with its own reader, drops the stored rows with the
same keys and writes the table's next version; a version counts once Spark has committed it
(its `_SUCCESS` marker), so readers see the old version or the new one, never a part. The log
of imports (`_imports`) is a Parquet folder of one file per import, written after the versions.

No metastore is needed: each connection registers the tables' current versions as views, so
metric definitions run on Spark through Ibis unchanged.

Limits, said plainly: a file writing several tables makes each table's version in turn, so a
failure between two leaves the first replaced (re-importing the file puts it right, rows being
replaced by key); and the staging and warehouse paths are written with the local filesystem,
so on a cluster they must be a shared mount.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from districtpm.analytics.schema import TABLES

_lock = threading.Lock()
_session = None
IMPORTS = "_imports"
IMPORT_COLUMNS = ["file_hash", "file_name", "table_name", "rows", "school_years", "task_id"]
ARROW_TYPES = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "date": pa.date32(),
}
KEEP_VERSIONS = 2


def enabled() -> bool:
    return getattr(settings, "ANALYTICS_ENGINE", "duckdb") == "spark"


def warehouse() -> Path:
    return Path(settings.ANALYTICS_WAREHOUSE)


def staging() -> Path:
    return Path(settings.ANALYTICS_STAGING)


def session():
    """This process's Spark session, started on first use from the settings."""
    global _session
    with _lock:
        if _session is None:
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.master(settings.SPARK_MASTER).appName("districtpm")
            defaults = {
                "spark.ui.enabled": "false",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": "8",
            }
            for key, value in {**defaults, **settings.SPARK_CONF}.items():
                builder = builder.config(key, value)
            _session = builder.getOrCreate()
            _session.sparkContext.setLogLevel("ERROR")
        return _session


def stop() -> None:
    """Stop this process's session (tests; a server never needs to)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


def _arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def _spark_schema(table: str):
    from pyspark.sql import types

    kinds = {
        "string": types.StringType(),
        "boolean": types.BooleanType(),
        "int64": types.LongType(),
        "float64": types.DoubleType(),
        "date": types.DateType(),
    }
    return types.StructType(
        [types.StructField(c.name, kinds[c.type], True) for c in TABLES[table].columns]
    )


def current_version(table: str) -> Path | None:
    """The newest committed version of a table, if it has one."""
    folder = warehouse() / table
    if not folder.is_dir():
        return None
    done = [p for p in folder.iterdir() if p.name.startswith("v") and (p / "_SUCCESS").exists()]
    return max(done, key=lambda p: int(p.name[1:]), default=None)


def read_table(table: str):
    """A table's current version as a Spark DataFrame (empty, with its columns, before any)."""
    spark = session()
    version = current_version(table)
    if version is None:
        return spark.createDataFrame([], _spark_schema(table))
    columns = TABLES[table].column_names
    return spark.read.schema(_spark_schema(table)).parquet(str(version)).select(*columns)


def ibis_connection():
    """An Ibis connection to Spark with every canonical table registered under its name."""
    import ibis

    for table in TABLES:
        read_table(table).createOrReplaceTempView(table)
    con = ibis.pyspark.connect(session())
    # Ibis's disconnect stops the session, which is this process's and serves the next
    # connection too: closing this connection leaves it running.
    con.disconnect = lambda: None
    return con


def stage_frame(frame, table: str) -> Path:
    """Write rows of a table (pandas) as a staged Parquet file; its path."""
    target = new_stage() / f"{table}.parquet"
    columns = TABLES[table].column_names
    arrow = pa.Table.from_pandas(frame[columns], schema=_arrow_schema(table), preserve_index=False)
    pq.write_table(arrow, target)
    return target


def new_stage() -> Path:
    folder = staging() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def replace_rows(table: str, staged: Path) -> None:
    """The table's next version: its rows without those whose key is in the staged file, and
    the staged rows, as Spark reads them."""
    from pyspark.sql import functions as F

    spec = TABLES[table]
    spark = session()
    incoming = spark.read.schema(_spark_schema(table)).parquet(str(staged))
    current = current_version(table)
    if current is None:
        result = incoming
    else:
        stored = read_table(table).alias("t")
        keys = incoming.select(*spec.key).dropDuplicates().alias("i")
        on = [F.col(f"t.{k}").eqNullSafe(F.col(f"i.{k}")) for k in spec.key]
        result = stored.join(keys, on, "left_anti").unionByName(incoming)
    number = int(current.name[1:]) + 1 if current is not None else 1
    target = warehouse() / table / f"v{number}"
    result.select(*spec.column_names).write.mode("error").parquet(str(target))
    _prune(table, number)


def _prune(table: str, newest: int) -> None:
    for folder in (warehouse() / table).iterdir():
        if folder.name.startswith("v") and int(folder.name[1:]) <= newest - KEEP_VERSIONS:
            shutil.rmtree(folder, ignore_errors=True)


def write_import(staged: dict[str, Path], logs: list[dict]) -> None:
    """Replace each table's rows from its staged file, then log the import."""
    try:
        for table, path in staged.items():
            replace_rows(table, path)
        log_imports(logs)
    finally:
        for path in staged.values():
            shutil.rmtree(path.parent, ignore_errors=True)


def log_imports(logs: list[dict]) -> None:
    folder = warehouse() / IMPORTS
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = {c: [entry.get(c) for entry in logs] for c in IMPORT_COLUMNS}
    rows["imported_at"] = [now] * len(logs)
    name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
    pq.write_table(pa.table(rows), folder / f".{name}")
    (folder / f".{name}").rename(folder / name)  # whole, or not there


def imports(task_id: str | None = None) -> list[tuple]:
    """The import log, oldest first: file_name, file_hash, table_name, rows, school_years,
    imported_at (text), task_id."""
    folder = warehouse() / IMPORTS
    files = sorted(folder.glob("[!.]*.parquet")) if folder.is_dir() else []
    out = []
    for file in files:
        for row in pq.read_table(file).to_pylist():
            if task_id is not None and row["task_id"] != task_id:
                continue
            out.append(
                (
                    row["file_name"],
                    row["file_hash"],
                    row["table_name"],
                    row["rows"],
                    row["school_years"],
                    str(row["imported_at"]),
                    row["task_id"],
                )
            )
    return out


def sync_schools(frame) -> None:
    """Replace the schools table with the app database's schools."""
    if current_version("schools") is None and not len(frame):
        return
    staged = stage_frame(frame, "schools")
    spark = session()
    number = (int(current_version("schools").name[1:]) + 1) if current_version("schools") else 1
    target = warehouse() / "schools" / f"v{number}"
    try:
        spark.read.schema(_spark_schema("schools")).parquet(str(staged)).write.parquet(str(target))
        _prune("schools", number)
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)


def table_counts() -> dict[str, int]:
    return {table: read_table(table).count() for table in TABLES}


def drop(table: str) -> None:
    """Remove a table's versions and its lines in the import log (benchmarks' fresh starts)."""
    shutil.rmtree(warehouse() / table, ignore_errors=True)
    folder = warehouse() / IMPORTS
    for file in sorted(folder.glob("[!.]*.parquet")) if folder.is_dir() else []:
        rows = pq.read_table(file)
        keep = [r for r in rows.to_pylist() if r["table_name"] != table]
        if len(keep) != rows.num_rows:
            if keep:
                pq.write_table(pa.Table.from_pylist(keep, schema=rows.schema), file)
            else:
                file.unlink()


def clear() -> None:
    """Remove every table and the log (tests, and rebuilding a store)."""
    shutil.rmtree(warehouse(), ignore_errors=True)
