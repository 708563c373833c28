"""Running the engine and storing results with their lineage."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable

import ibis
import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from districtpm.analytics import store
from districtpm.analytics.schema import period_order
from districtpm.metrics import engine
from districtpm.metrics.definitions import MetricDefinition, load_all
from districtpm.metrics.models import ComputeRun, Metric, MetricValue
from districtpm.metrics.signals import values_recomputed
from districtpm.metrics.suppression import Job, suppress_many

Progress = Callable[[str, int, int], None]


def sync_definitions(definitions: dict[str, MetricDefinition]) -> None:
    """Make the app's Metric rows match the YAML folder."""
    for d in definitions.values():
        Metric.objects.update_or_create(
            id=d.id,
            defaults=dict(
                name=d.name,
                description=d.description,
                source=d.source,
                measure=d.measure.kind if d.measure else "gap",
                period=d.period,
                direction=d.direction,
                kind=d.kind,
                unit=d.unit,
                format=d.format,
                min_n=d.min_n,
                levels=list(d.levels),
                groups=list(d.groups),
                is_gap=d.is_gap,
                version=d.version,
                digest=d.digest,
                active=True,
                definition={
                    "path": d.path,
                    "filter": d.filter,
                    "rollup": d.rollup,
                    "rollup_filter": d.rollup_filter,
                    "params": d.params,
                    "school_total": d.school_total,
                    "measure": vars(d.measure) if d.measure else None,
                    "gap": vars(d.gap) if d.gap else None,
                    "forecast_from": d.forecast_from,
                },
            ),
        )
    Metric.objects.exclude(id__in=list(definitions)).update(active=False)


def school_networks(con: ibis.BaseBackend) -> dict[str, str]:
    frame = con.table("schools").select("school_code", "network_code").to_pandas()
    return dict(zip(frame["school_code"], frame["network_code"].fillna(""), strict=True))


def compute_all(
    con: ibis.BaseBackend,
    definitions: dict[str, MetricDefinition],
    years: Iterable[str] | None = None,
    progress: Progress = lambda *_: None,
    connect: Callable[[], ibis.BaseBackend] | None = None,
    workers: int = 1,
) -> dict[str, pd.DataFrame]:
    """Suppressed values of every definition, gaps after the metrics they compare.

    With `connect`, metrics are computed `workers` at a time, each worker on its own connection;
    otherwise one after another on `con`."""
    raw, networks = compute_raw(con, definitions, years, progress, connect, workers)
    return hide_all(raw, networks, definitions, progress, workers)


def compute_raw(
    con: ibis.BaseBackend,
    definitions: dict[str, MetricDefinition],
    years: Iterable[str] | None = None,
    progress: Progress = lambda *_: None,
    connect: Callable[[], ibis.BaseBackend] | None = None,
    workers: int = 1,
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every definition's values before suppression (gaps excepted), and the schools' networks:
    all that is read from the store."""
    networks = school_networks(con)
    metrics = [d for d in definitions.values() if not d.is_gap]
    done = [0]
    total = len(definitions)

    def tick(metric_id: str) -> None:
        done[0] += 1
        progress(metric_id, done[0], total)

    if connect is not None:
        raw = engine.compute_many(metrics, connect, years=years, workers=workers, progress=tick)
    else:
        raw = {d.id: _sequential(con, d, years, tick) for d in metrics}
    return raw, networks


def hide_all(
    raw: dict[str, pd.DataFrame],
    networks: dict[str, str],
    definitions: dict[str, MetricDefinition],
    progress: Progress = lambda *_: None,
    workers: int = 1,
) -> dict[str, pd.DataFrame]:
    """Suppress every metric's values, then work out the gaps from what is shown."""
    total = len(definitions)
    done = [len(raw)]

    jobs = {
        metric_id: Job(frame, definitions[metric_id].min_n, definitions[metric_id].measure.kind)
        for metric_id, frame in raw.items()
    }
    results = suppress_many(jobs, networks, workers=max(1, workers))
    for d in definitions.values():
        if not d.is_gap:
            continue
        done[0] += 1
        progress(d.id, done[0], total)
        base = results.get(d.gap.metric)
        if base is None:
            continue
        gap = engine.compute_gap(d, base)
        gap = gap[gap["level"].isin(d.levels)]
        gap.loc[gap["suppressed"], ["value", "numerator", "denominator"]] = float("nan")
        gap["n"] = gap["n"].where(~gap["suppressed"], pd.NA).astype("Int64")
        results[d.id] = gap
    return results


def _sequential(con, d, years, tick) -> pd.DataFrame:
    frame = engine.compute(con, d, years)
    tick(d.id)
    return frame


def affected_metrics(
    definitions: dict[str, MetricDefinition], tables: set[str]
) -> dict[str, MetricDefinition]:
    """The metrics that read any of these tables, and the gaps built on them."""
    chosen = {
        k: d
        for k, d in definitions.items()
        if not d.is_gap and d.source_tables(definitions) & tables
    }
    chosen.update({k: d for k, d in definitions.items() if d.is_gap and d.gap.metric in chosen})
    return chosen


def recompute(
    *,
    tables: set[str] | None = None,
    years: set[str] | None = None,
    progress: Progress = lambda *_: None,
    path=None,
    timings: dict[str, float] | None = None,
) -> ComputeRun:
    """Compute (all, or what the given tables and years affect) and store the results.

    `timings`, when given, receives the seconds spent computing (`compute_s`, reading the
    store), suppressing (`suppress_s`) and replacing the stored values (`store_s`)."""
    timings = {} if timings is None else timings
    started = time.monotonic()
    definitions = load_all()
    chosen = affected_metrics(definitions, tables) if tables else definitions
    scope = (
        "all metrics"
        if not tables
        else f"{len(chosen)} metrics reading {', '.join(sorted(tables))}"
    )
    if years:
        scope += f" for {', '.join(sorted(years))}"
    sources = store.before_compute(path)
    embedded = store.embedded(path)
    workers = min(4, os.cpu_count() or 1)
    # Another process's import waits until these reads are done (and these wait for it); the
    # suppression, which reads nothing from the store, runs after.
    with store.reading(path) if embedded else contextlib.nullcontext():
        con = store.ibis_connection(path)
        try:
            connect = (lambda: store.ibis_connection(path)) if embedded else None
            raw, networks = compute_raw(con, chosen, years, progress, connect, workers)
        finally:
            con.disconnect()
    timings["compute_s"] = time.monotonic() - started
    results = hide_all(raw, networks, chosen, progress, workers)
    del raw
    timings["suppress_s"] = time.monotonic() - started - timings["compute_s"]
    with transaction.atomic():
        sync_definitions(definitions)
        run = ComputeRun.objects.create(
            scope=scope,
            definitions={k: {"version": d.version, "digest": d.digest} for k, d in chosen.items()},
            sources=[
                dict(
                    zip(
                        ["file", "hash", "table", "rows", "school_years", "imported_at"],
                        s,
                        strict=True,
                    )
                )
                for s in sources
            ],
        )
        stored = time.monotonic()
        stale = MetricValue.objects.filter(metric_id__in=list(chosen))
        if years:
            stale = stale.filter(school_year__in=list(years))
        stale.delete()
        run.rows = store_values(results, run)
        timings["store_s"] = time.monotonic() - stored
        run.finished_at = timezone.now()
        run.seconds = time.monotonic() - started
        run.save()
    # After the transaction: listeners (the plan's status history) read the stored values.
    values_recomputed.send(sender=ComputeRun, run=run)
    return run


COLUMNS = [
    "metric_id",
    "level",
    "entity_code",
    "grade",
    "period",
    "period_order",
    "school_year",
    "group_dim",
    "group_value",
    "n",
    "numerator",
    "denominator",
    "value",
    "suppressed",
    "suppressed_reason",
    "run_id",
]


def value_rows(metric_id: str, frame: pd.DataFrame, run_id: int) -> list[tuple]:
    """The rows of MetricValue for one metric's results, in COLUMNS order: hidden cells carry
    no number (the table's constraint), a gap hidden with one of its groups is "small"."""
    if frame.empty:
        return []
    hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy()
    reason = (
        frame["suppressed_reason"].fillna("").astype(str).to_numpy()
        if "suppressed_reason" in frame.columns
        else np.full(len(frame), "", dtype=object)
    )
    reason = np.where(hidden, np.where(reason == "", "small", reason), "")

    def numbers(column: str) -> list:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy()
        keep = ~hidden & ~np.isnan(values)
        return [float(v) if k else None for v, k in zip(values, keep, strict=True)]

    n = numbers("n")
    periods = frame["period"].astype(str).tolist()
    orders = {p: period_order(p) for p in set(periods)}
    return list(
        zip(
            [metric_id] * len(frame),
            frame["level"].astype(str).tolist(),
            frame["entity_code"].astype(str).tolist(),
            frame["grade"].fillna("").astype(str).tolist(),
            periods,
            [orders[p] for p in periods],
            frame["school_year"].astype(str).tolist(),
            frame["group_dim"].astype(str).tolist(),
            frame["group_value"].astype(str).tolist(),
            [None if v is None else int(v) for v in n],
            numbers("numerator"),
            numbers("denominator"),
            numbers("value"),
            hidden.tolist(),
            reason.tolist(),
            [run_id] * len(frame),
            strict=True,
        )
    )


def store_values(results: dict[str, pd.DataFrame], run: ComputeRun) -> int:
    """Insert every metric's values in one pass of the database's bulk path: COPY on
    PostgreSQL, one prepared statement executed for all rows elsewhere (SQLite). Inside the
    caller's transaction."""
    table = connection.ops.quote_name(MetricValue._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for metric_id, frame in results.items():
                    for row in value_rows(metric_id, frame, run.pk):
                        copy.write_row(row)
                        count += 1
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            for metric_id, frame in results.items():
                rows = value_rows(metric_id, frame, run.pk)
                cursor.executemany(sql, rows)
                count += len(rows)
    return count
