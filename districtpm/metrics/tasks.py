"""Background work for the data pages: an uploaded file is imported in a worker thread while the
page shows its progress. Tests (and DISTRICTPM_TASKS_INLINE=1) run tasks inline instead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from districtpm.analytics.importer import ImportFailed, MappingError, import_file, load_mapping
from districtpm.audit.log import record
from districtpm.metrics.compute import affected_metrics, recompute
from districtpm.metrics.definitions import load_all
from districtpm.metrics.models import DataImport

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "analytics" / "mappings"


def shipped_mappings() -> dict[str, Path]:
    folder = Path(getattr(settings, "DISTRICTPM_MAPPINGS_DIR", MAPPINGS_DIR))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def start(task: DataImport) -> None:
    if getattr(settings, "DISTRICTPM_TASKS_INLINE", False):
        run(task.pk)
        return
    threading.Thread(
        target=_in_thread, args=(task.pk,), name=f"import-{task.pk}", daemon=True
    ).start()


def _in_thread(task_id: int) -> None:
    """A worker thread has its own database connection: open it fresh, close it at the end."""
    close_old_connections()
    try:
        run(task_id)
    finally:
        close_old_connections()


def run(task_id: int) -> None:
    task = DataImport.objects.get(pk=task_id)
    DataImport.objects.filter(pk=task_id).update(status=DataImport.Status.RUNNING)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.3 or done >= total:
            last[0] = now
            DataImport.objects.filter(pk=task_id).update(done=done, total=total)

    try:
        mapping = load_mapping(shipped_mappings()[task.mapping])
        result = import_file(
            Path(task.stored_path), mapping, progress=progress, display_name=task.file_name
        )
    except ImportFailed as failure:
        errors = failure.result.errors
        DataImport.objects.filter(pk=task_id).update(
            status=DataImport.Status.FAILED,
            finished_at=timezone.now(),
            summary=failure.result.summary(),
            error_count=len(errors),
            errors=[{"line": e.line, "column": e.column, "reason": e.reason} for e in errors[:500]],
        )
        return
    except (MappingError, KeyError, OSError, ValueError) as exc:
        DataImport.objects.filter(pk=task_id).update(
            status=DataImport.Status.FAILED,
            finished_at=timezone.now(),
            summary=f"The file could not be read: {exc}",
            error_count=1,
        )
        return
    finally:
        Path(task.stored_path).unlink(missing_ok=True)
    DataImport.objects.filter(pk=task_id).update(
        status=DataImport.Status.COMPUTING, summary=result.summary()
    )
    years = set().union(*result.school_years.values()) if result.school_years else set()
    affected = affected_metrics(load_all(), set(result.rows))
    if affected:
        run_ = recompute(tables=set(result.rows), years=years or None)
        summary = f"{result.summary()} Recomputed {run_.scope}: {run_.rows} values."
        from districtpm.plans.progress import after_recompute

        after_recompute()
    else:
        summary = (
            f"{result.summary()} No metric reads {', '.join(result.rows)}; nothing to recompute."
        )
    DataImport.objects.filter(pk=task_id).update(
        status=DataImport.Status.DONE,
        finished_at=timezone.now(),
        summary=summary,
        done=result.source_rows,
        total=result.source_rows,
    )
    record(
        actor=task.created_by,
        action="data.import",
        obj=task,
        before=None,
        after={
            "file": task.file_name,
            "mapping": task.mapping,
            "rows": result.rows,
            "hash": result.file_hash,
        },
        note=summary,
    )
