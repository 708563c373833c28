"""The analytics store: an embedded DuckDB file under var/ holding the canonical schema.

Writes (imports, demo data) go through DuckDB directly, each file in one transaction. Reads
for metrics go through Ibis (`ibis_connection`), so the same metric definitions can run on
another engine.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
from django.conf import settings

from districtpm.analytics import spark_store
from districtpm.analytics.schema import TABLES, ddl

_lock = threading.Lock()

# The background task (DataImport id) whose import is being written, recorded in each _imports
# row so that recovery after a crash can tell whether that task's store write was committed.
current_task: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "districtpm_import_task", default=None
)

IMPORTS_DDL = """
CREATE TABLE IF NOT EXISTS _imports (
  file_hash VARCHAR, file_name VARCHAR, table_name VARCHAR, rows BIGINT,
  school_years VARCHAR, imported_at TIMESTAMP DEFAULT current_timestamp
)
"""


def store_path() -> Path:
    return Path(getattr(settings, "ANALYTICS_PATH", settings.VAR_DIR / "analytics.duckdb"))


@contextmanager
def connect(
    path: Path | str | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the schema in place. One writer at a time, in this process and
    across the server's processes (read-only connections share the file with each other)."""
    target = str(path or store_path())
    with _lock, file_lock(target, exclusive=not read_only):
        con = duckdb.connect(target, read_only=read_only, config=duckdb_config())
        try:
            if not read_only:
                ensure_schema(con)
            yield con
        finally:
            con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        con.execute(ddl(table))
    con.execute(IMPORTS_DDL)
    con.execute("ALTER TABLE _imports ADD COLUMN IF NOT EXISTS task_id VARCHAR")


@contextmanager
def file_lock(target: Path | str, exclusive: bool) -> Iterator[None]:
    """Wait for the store file: exclusive for a writer, shared among readers. DuckDB refuses to
    open a file that another process has open for writing (and refuses a writer while any
    other process has it open), so the server's worker processes queue here instead of
    failing. The lock is the operating system's (flock on a file beside the store), released
    if the process dies."""
    target = str(target)
    if target == ":memory:" or target.startswith(("md:", "motherduck:")):
        yield
        return
    lock_path = Path(target + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def reading(path: Path | str | None = None) -> contextlib.AbstractContextManager[None]:
    """Hold the store for reading (many readers, no writer) while Ibis connections made by
    `ibis_connection` read it."""
    return file_lock(path or store_path(), exclusive=False)


def pause_point(name: str) -> None:
    """Test-only: with DISTRICTPM_TEST_PAUSE_AT=name, announce it in a file and wait to be killed."""
    if os.environ.get("DISTRICTPM_TEST_PAUSE_AT") != name:
        return
    Path(os.environ["DISTRICTPM_TEST_PAUSE_FILE"]).write_text(name)
    time.sleep(120)


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    """Insert rows, replacing any with the same key: re-importing a file changes nothing."""
    spec = TABLES[table]
    # As an Arrow table: DuckDB reads Arrow columns as they are, where a pandas frame's
    # string columns are converted value by value (most of the time of a large insert).
    incoming = pa.Table.from_pandas(frame[spec.column_names], preserve_index=False)
    con.register("_incoming", incoming)
    try:
        if con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            keys = " AND ".join(f"t.{k} IS NOT DISTINCT FROM i.{k}" for k in spec.key)
            con.execute(f"DELETE FROM {table} t USING _incoming i WHERE {keys}")
        cols = ", ".join(spec.column_names)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
    finally:
        con.unregister("_incoming")
    pause_point("store-write")
    return incoming.num_rows


def embedded(path: Path | str | None = None) -> bool:
    """Whether metrics read the DuckDB file (not Spark, not another engine's ANALYTICS_URL)."""
    if path is not None:
        return True
    return not spark_store.enabled() and not getattr(settings, "ANALYTICS_URL", "")


def before_compute(path: Path | str | None = None) -> list[tuple]:
    """Bring the store's schools up to date with the app database; the import log, oldest
    first (file_name, file_hash, table_name, rows, school_years, imported_at)."""
    if path is None and spark_store.enabled():
        spark_store.sync_schools(_schools_frame())
        return [row[:6] for row in spark_store.imports()]
    with connect(path) as duck:
        sync_schools(duck)
        return duck.execute(
            "SELECT file_name, file_hash, table_name, rows, school_years, "
            "CAST(imported_at AS VARCHAR) FROM _imports ORDER BY imported_at"
        ).fetchall()


def import_lineage(task_id: str) -> list[tuple]:
    """The log rows an import task wrote: table_name, rows, school_years."""
    if spark_store.enabled():
        return [(r[2], r[3], r[4]) for r in spark_store.imports(task_id)]
    with connect() as con:
        return con.execute(
            "SELECT table_name, rows, school_years FROM _imports WHERE task_id = ?", [task_id]
        ).fetchall()


def _schools_frame() -> pd.DataFrame:
    from districtpm.org.models import School

    rows = list(
        School.objects.select_related("network").values_list(
            "code", "name", "network__code", "level"
        )
    )
    return pd.DataFrame(rows, columns=["school_code", "school_name", "network_code", "level"])


def sync_schools(con: duckdb.DuckDBPyConnection) -> int:
    """Copy the schools and their networks from the app database."""
    frame = _schools_frame()
    con.execute("DELETE FROM schools")
    if len(frame):
        con.register("_schools", frame)
        con.execute("INSERT INTO schools SELECT * FROM _schools")
        con.unregister("_schools")
    return len(frame)


def ibis_connection(path: Path | str | None = None, read_only: bool = True) -> ibis.BaseBackend:
    """An Ibis connection for computing metrics: the DuckDB file by default (read-only, so pages
    never lock writers), or any engine Ibis supports when ANALYTICS_URL is set
    (e.g. postgres://user:pass@host/db, trino://…), holding the same canonical tables."""
    if path is None and spark_store.enabled():
        return spark_store.ibis_connection()
    url = getattr(settings, "ANALYTICS_URL", "")
    if url and path is None:
        return ibis.connect(url)
    return ibis.duckdb.connect(str(path or store_path()), read_only=read_only, **duckdb_config())


def duckdb_config() -> dict[str, str]:
    """DuckDB's memory limit and spill folder from the settings, where they are set."""
    config = {}
    if getattr(settings, "ANALYTICS_MEMORY_LIMIT", ""):
        config["memory_limit"] = settings.ANALYTICS_MEMORY_LIMIT
    if getattr(settings, "ANALYTICS_TEMP_DIR", ""):
        config["temp_directory"] = str(settings.ANALYTICS_TEMP_DIR)
    return config


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}
