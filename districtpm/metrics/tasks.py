"""Background work for the data pages: an uploaded file is imported in a worker thread while the
page shows its progress. Tests (and DISTRICTPM_TASKS_INLINE=1) run tasks inline instead.

Every task ends, as done or failed: any error is logged with its traceback and shown to the
person as a plain message. A task whose process died (a crash, `kill -9`, a restart) is found
by `recover_interrupted` when the product starts serving: its import is completed (metrics
recomputed) if the store write was committed, and nothing is left half-written otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from districtpm.analytics import store
from districtpm.analytics.importer import ImportFailed, ImportResult, import_file, load_mapping
from districtpm.audit.log import record
from districtpm.core import intake
from districtpm.core.scoping import require
from districtpm.metrics.compute import affected_metrics, recompute
from districtpm.metrics.definitions import load_all
from districtpm.metrics.models import DataImport

log = logging.getLogger(__name__)

MAPPINGS_DIR = Path(__file__).resolve().parent.parent / "analytics" / "mappings"

ACTIVE = (DataImport.Status.QUEUED, DataImport.Status.RUNNING, DataImport.Status.COMPUTING)
HEARTBEAT_SECONDS = 20
# A task on another host (or whose pid we cannot judge) is taken as dead only after this long
# without a heartbeat; a task of a dead process on this host is recovered at once.
STALE_SECONDS = 600

# One token per process, so a restarted server that gets the same pid (common in containers)
# still knows the old tasks are not its own.
_BOOT = uuid.uuid4().hex[:8]
_recovered_at_startup = False

KINDS = {".csv": "a CSV file", ".xlsx": "an Excel workbook", ".parquet": "a Parquet file"}
FORMATS = {".csv": "CSV", ".xlsx": "Excel (.xlsx)", ".parquet": "Parquet"}


def shipped_mappings() -> dict[str, Path]:
    folder = Path(getattr(settings, "DISTRICTPM_MAPPINGS_DIR", MAPPINGS_DIR))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def find_mapping(name: str) -> dict[str, Any] | None:
    """A shipped mapping (by its file's name) or one saved in the import page ("saved-…"),
    checked; None when there is no such mapping."""
    from districtpm.analytics.importer import check_mapping
    from districtpm.metrics.models import SavedMapping

    shipped = shipped_mappings()
    if name in shipped:
        return load_mapping(shipped[name])
    if name.startswith("saved-"):
        saved = SavedMapping.objects.filter(slug=name.removeprefix("saved-")).first()
        if saved is not None:
            return check_mapping(saved.mapping, saved.name)
    return None


def worker_id() -> str:
    """This process, as recorded on the tasks it runs: host, pid and a per-process token."""
    return f"{socket.gethostname()}:{os.getpid()}:{_BOOT}"


def lineage_tag(task: DataImport) -> str:
    """The task's mark in the store's _imports rows (unique even if ids are reused)."""
    return f"import-{task.pk}-{task.created_at:%Y%m%dT%H%M%S%f}"


def queue_import(upload: Any, mapping: str, *, acting_user: Any) -> DataImport:
    """Keep an uploaded file under var/uploads and start importing it in the background."""
    require(acting_user, DataImport, message="Your role does not import data.")
    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with stored.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    task = DataImport.objects.create(
        created_by=acting_user, file_name=upload.name, stored_path=str(stored), mapping=mapping
    )
    start(task)
    return task


def start(task: DataImport) -> None:
    DataImport.objects.filter(pk=task.pk).update(worker=worker_id(), heartbeat_at=timezone.now())
    if getattr(settings, "DISTRICTPM_TASKS_INLINE", False):
        run(task.pk)
        return
    threading.Thread(
        target=_in_thread, args=(task.pk,), name=f"import-{task.pk}", daemon=True
    ).start()


def _in_thread(task_id: int) -> None:
    """A worker thread has its own database connection: open it fresh, close it at the end."""
    close_old_connections()
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(task_id, stop), name=f"import-{task_id}-heartbeat", daemon=True
    )
    beat.start()
    try:
        run(task_id)
    except Exception:
        # run() ends the task itself; this only catches a failure to record that ending.
        log.exception("Import task %s failed outside its own error handling", task_id)
        _end_failed(
            task_id, "The import stopped because of an unexpected error. Nothing was changed."
        )
    finally:
        stop.set()
        close_old_connections()


def _heartbeat(task_id: int, stop: threading.Event) -> None:
    """Say every few seconds that this live process still runs the task (even mid-recompute)."""
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            DataImport.objects.filter(pk=task_id, worker=worker_id()).update(
                heartbeat_at=timezone.now()
            )
    except Exception:
        log.exception("Heartbeat of import task %s failed", task_id)
    finally:
        close_old_connections()


def run(task_id: int) -> None:
    """Import the task's file, recompute what it affects, and end the task as done or failed."""
    task = DataImport.objects.get(pk=task_id)
    DataImport.objects.filter(pk=task_id).update(
        status=DataImport.Status.RUNNING, worker=worker_id(), heartbeat_at=timezone.now()
    )
    record(
        actor=task.created_by,
        action="data.import.started",
        obj=task,
        after={"file": task.file_name, "mapping": task.mapping},
        note=f"Started importing {task.file_name} with the mapping {task.mapping}.",
    )
    result: ImportResult | None = None
    try:
        same = _same_as_last(task)
        if same is not None:
            _end_unchanged(task, same)
            return
        result = _import(task)
        if result is None:
            return
        summary = _recompute(task, result)
    except Exception:
        log.exception("Import task %s (%s) failed", task_id, task.file_name)
        if result is None:
            summary = _unreadable(task)
        else:
            summary = (
                f"{result.summary()} The data were imported, but the metrics could not be "
                "recomputed. An administrator can finish with `districtpm data compute`."
            )
        _end_failed(task_id, summary)
        return
    finally:
        _remove_upload(task)
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


def _file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_as_last(task: DataImport) -> DataImport | None:
    """The last import done with this mapping, when it was this very file: importing it again
    would change nothing (a later, different file would have replaced its rows, so only the
    last one counts)."""
    try:
        task.file_hash = _file_hash(task.stored_path)
    except OSError:
        return None  # unreadable: the import says so
    DataImport.objects.filter(pk=task.pk).update(file_hash=task.file_hash)
    last = (
        DataImport.objects.filter(mapping=task.mapping, status=DataImport.Status.DONE)
        .exclude(pk=task.pk)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return last if last is not None and last.file_hash == task.file_hash else None


def _end_unchanged(task: DataImport, same: DataImport) -> None:
    when = timezone.localtime(same.finished_at) if same.finished_at else None
    summary = (
        f"Nothing changed: {task.file_name} is the same file as the last one imported with this "
        f"mapping ({same.file_name}{f', {when:%-d %B %Y at %H:%M}' if when else ''}). "
        "Nothing was written and no metric was recomputed."
    )
    DataImport.objects.filter(pk=task.pk).update(
        status=DataImport.Status.DONE, finished_at=timezone.now(), summary=summary
    )
    record(
        actor=task.created_by,
        action="data.import.unchanged",
        obj=task,
        after={"file": task.file_name, "mapping": task.mapping, "same_as": same.pk},
        note=summary,
    )


def _import(task: DataImport) -> ImportResult | None:
    """The store write; None when the file has bad rows (the task is then ended as failed)."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.3 or done >= total:
            last[0] = now
            DataImport.objects.filter(pk=task.pk).update(
                done=done, total=total, heartbeat_at=timezone.now()
            )

    mapping = find_mapping(task.mapping)
    if mapping is None:
        _end_failed(
            task.pk, f"The mapping “{task.mapping}” is no longer available. Nothing was changed."
        )
        return None
    token = store.current_task.set(lineage_tag(task))
    try:
        return import_file(
            Path(task.stored_path), mapping, progress=progress, display_name=task.file_name
        )
    except ImportFailed as failure:
        errors = failure.result.errors
        _end_failed(
            task.pk,
            failure.result.summary(),
            errors=[{"line": e.line, "column": e.column, "reason": e.reason} for e in errors[:500]],
            error_count=len(errors),
        )
        return None
    except intake.InputRefused as refusal:
        # Refused as a whole (size, encoding, headers, a damaged workbook): the message is
        # written for the user and names no server path.
        _end_failed(task.pk, f"{refusal} Nothing was changed.")
        return None
    finally:
        store.current_task.reset(token)


def _recompute(task: DataImport, result: ImportResult) -> str:
    DataImport.objects.filter(pk=task.pk).update(
        status=DataImport.Status.COMPUTING, summary=result.summary(), heartbeat_at=timezone.now()
    )
    years = set().union(*result.school_years.values()) if result.school_years else set()
    done = _recompute_tables(set(result.rows), years)
    if done is None:
        return f"{result.summary()} No metric reads {', '.join(result.rows)}; nothing to recompute."
    return f"{result.summary()} {done}"


def _recompute_tables(tables: set[str], years: set[str]) -> str | None:
    """Recompute the metrics these tables feed, as an import does; None if no metric reads them."""
    if not affected_metrics(load_all(), tables):
        return None

    def progress(metric: str, index: int, total: int) -> None:
        if index * 2 >= total:
            store.pause_point("recompute")

    run_ = recompute(tables=tables, years=years or None, progress=progress)
    return f"Recomputed {run_.scope}: {run_.rows} values."


def _unreadable(task: DataImport) -> str:
    suffix = Path(task.file_name).suffix.lower()
    kind = KINDS.get(suffix, "a data file")
    return (
        f"{task.file_name} could not be read as {kind}. Check that it is the file you meant, "
        f"saved as {FORMATS.get(suffix, 'CSV, Excel or Parquet')}, and try again. "
        "Nothing was changed."
    )


def _end_failed(task_id: int, summary: str, **fields: object) -> None:
    """End the task as failed with a message people can read, and write the audit entry."""
    fields.setdefault("error_count", 0)
    DataImport.objects.filter(pk=task_id).update(
        status=DataImport.Status.FAILED, finished_at=timezone.now(), summary=summary, **fields
    )
    task = DataImport.objects.filter(pk=task_id).first()
    if task is not None:
        _remove_upload(task)
        record(
            actor=task.created_by,
            action="data.import.failed",
            obj=task,
            after={"file": task.file_name, "mapping": task.mapping},
            note=summary,
        )


def _remove_upload(task: DataImport) -> None:
    try:
        Path(task.stored_path).unlink(missing_ok=True)
    except OSError:
        log.exception("Could not remove the upload of import task %s", task.pk)


# ------------------------------------------------------------------ recovery after a crash


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned(task: DataImport, stale_seconds: float) -> bool:
    """True if no live process runs this task any more."""
    host, pid, boot = ([*task.worker.split(":"), "", "", ""])[:3]
    if task.worker and host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return boot != _BOOT  # our pid, but an earlier process that had it
        if not _pid_alive(int(pid)):
            return True
    last = task.heartbeat_at or task.created_at
    return timezone.now() - last > dt.timedelta(seconds=stale_seconds)


def recover_interrupted(stale_seconds: float | None = None) -> list[DataImport]:
    """Resolve the tasks a dead process left running: finish or undo their work, end them failed."""
    if stale_seconds is None:
        stale_seconds = float(getattr(settings, "DISTRICTPM_TASK_STALE_SECONDS", STALE_SECONDS))
    recovered = []
    for task in DataImport.objects.filter(status__in=ACTIVE).order_by("pk"):
        if not _orphaned(task, stale_seconds):
            continue
        # Claim it atomically, so two processes starting together do not both recover it.
        claimed = DataImport.objects.filter(
            pk=task.pk, status=task.status, worker=task.worker, heartbeat_at=task.heartbeat_at
        ).update(worker=worker_id(), heartbeat_at=timezone.now())
        if claimed:
            _recover(task)
            recovered.append(DataImport.objects.get(pk=task.pk))
    return recovered


def _recover(task: DataImport) -> None:
    interrupted = "This import was interrupted by a restart of the server"
    lineage = None
    try:
        # The store write is one DuckDB transaction: either every row and its _imports lineage
        # rows were committed, or none of them were, so there is never a partial write to undo.
        lineage = store.import_lineage(lineage_tag(task))
        if not lineage:
            summary = (
                f"{interrupted} before its data were saved; nothing was imported. "
                "Upload the file again."
            )
        else:
            tables = {t for t, _, _ in lineage}
            years = {y for _, _, ys in lineage for y in (ys or "").split(",") if y}
            rows = ", ".join(f"{n} rows into {t}" for t, n, _ in lineage)
            done = _recompute_tables(tables, years) or "No metric reads those tables."
            summary = (
                f"{interrupted}; the data were imported ({rows}) and metrics recomputed. {done}"
            )
    except Exception:
        log.exception("Recovering import task %s failed", task.pk)
        summary = (
            f"{interrupted}. Its data were saved, but the metrics could not be recomputed: "
            "an administrator can finish with `districtpm data compute`."
            if lineage
            else f"{interrupted}, and the analytics store could not be checked for its data. "
            "An administrator can bring the metrics up to date with `districtpm data compute`."
        )
    _end_failed(task.pk, summary)
    log.warning("Recovered import task %s: %s", task.pk, summary)


def recover_at_startup() -> list[DataImport]:
    """Run recovery once per process when it starts serving; never stop the server starting."""
    global _recovered_at_startup
    if _recovered_at_startup:
        return []
    _recovered_at_startup = True
    try:
        return recover_interrupted()
    except Exception:
        log.exception("Could not recover interrupted import tasks at start-up")
        return []
