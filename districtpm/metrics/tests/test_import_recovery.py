"""Recovery of import tasks whose process died (hardening issue, 6; must-show 3): a restart after
a killed import leaves no task running, and the analytics store and the metric values agree."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

import districtpm
from districtpm.audit.models import AuditEntry
from districtpm.metrics import tasks
from districtpm.metrics.models import DataImport

ROOT = Path(districtpm.__file__).resolve().parent.parent  # the code under test (main or base)
ROWS = 5_000


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------ in-process: who is dead


def _task(tmp_path, **fields) -> DataImport:
    upload = tmp_path / "uploads" / f"{DataImport.objects.count()}.csv"
    upload.parent.mkdir(exist_ok=True)
    upload.write_text("x\n")
    return DataImport.objects.create(
        file_name="results.csv",
        stored_path=str(upload),
        mapping="state-assessment-results",
        **fields,
    )


def test_recover_command_ends_a_dead_process_task(db, store_copy, tmp_path, capsys):
    task = _task(
        tmp_path,
        status="running",
        worker=f"{socket.gethostname()}:{_dead_pid()}:deadbeef",
        heartbeat_at=timezone.now(),
    )
    call_command("data", "recover")
    task.refresh_from_db()
    assert task.status == "failed" and task.finished_at is not None
    assert "interrupted by a restart" in task.summary and "nothing was imported" in task.summary
    assert not Path(task.stored_path).exists()
    assert AuditEntry.objects.filter(action="data.import.failed", object_id=str(task.pk)).exists()
    assert "1 interrupted import task(s) recovered" in capsys.readouterr().out


def test_recovery_does_not_steal_live_tasks(db, store_copy, tmp_path):
    ours = _task(tmp_path, status="running", worker=tasks.worker_id(), heartbeat_at=timezone.now())
    elsewhere = _task(
        tmp_path, status="computing", worker="other-host:123:abcd", heartbeat_at=timezone.now()
    )
    silent = _task(
        tmp_path,
        status="running",
        worker="other-host:456:abcd",
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert [t.pk for t in tasks.recover_interrupted()] == [silent.pk]
    ours.refresh_from_db()
    elsewhere.refresh_from_db()
    assert ours.status == "running" and elsewhere.status == "computing"
    assert Path(ours.stored_path).exists()


# ------------------------------------------------------------------ kill -9 of a real import

SETUP = """
import django, sys
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from districtpm.conftest import SCHOOLS, NETWORKS, write_store
from districtpm.analytics import store
from districtpm.org.models import District, Network, School
write_store(store.store_path())
with store.connect() as con:  # one school year keeps each full recompute short
    from districtpm.analytics.schema import TABLES
    for table, spec in TABLES.items():
        if "school_year" in spec.column_names:
            con.execute(f"DELETE FROM {table} WHERE school_year <> '2025-2026'")
d = District.objects.create(name="Test District", code="TD", state="CO")
nets = {c: Network.objects.create(district=d, code=c, name=c) for c in sorted(set(NETWORKS.values()))}
for s in SCHOOLS:
    School.objects.create(district=d, network=nets[NETWORKS[s.code]], code=s.code,
                          name="School " + s.code, level="elementary")
from districtpm.metrics.compute import recompute
recompute()
"""

NEW_TASK = """
import django, sys
django.setup()
from districtpm.metrics.models import DataImport
t = DataImport.objects.create(file_name="results.csv", stored_path=sys.argv[1],
                              mapping="state-assessment-results")
print(t.pk)
"""

WORK = """
import django, sys
django.setup()
from districtpm.metrics import tasks
tasks.run(int(sys.argv[1]))
"""

DUMP = """
import django, json, sys
django.setup()
from districtpm.analytics import store
from districtpm.audit.models import AuditEntry
from districtpm.metrics.models import DataImport, MetricValue
fields = ["metric_id", "level", "entity_code", "grade", "period", "school_year", "group_dim",
          "group_value", "n", "numerator", "denominator", "value", "suppressed"]
values = sorted(
    [[round(v, 9) if isinstance(v, float) else v for v in row]
     for row in MetricValue.objects.values_list(*fields)],
    key=repr,
)
with store.connect() as con:
    rows = con.execute("SELECT count(*) FROM assessments").fetchone()[0]
print(json.dumps({
    "values": values,
    "assessments": rows,
    "tasks": list(DataImport.objects.values("pk", "status", "summary")),
    "audit": list(AuditEntry.objects.filter(action__startswith="data.import")
                  .values_list("action", "note")),
}))
"""

START = "import districtpm.wsgi"
RECOVER = "from districtpm.cli import main; import sys; sys.argv = ['districtpm', 'data', 'recover']; main()"
COMPUTE = "from districtpm.cli import main; import sys; sys.argv = ['districtpm', 'data', 'compute']; main()"


def _csv(path: Path) -> None:
    lines = ["StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP"]
    for i in range(ROWS):
        subject = "ELA" if i % 2 else "Math"
        lines.append(
            f"K{i // 2:06d},2025-26,101,0{3 + i % 3},{subject},{600 + i % 250},{1 + i % 4},"
            f"{1 + i % 99}"
        )
    path.write_text("\n".join(lines) + "\n")


def _env(var: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "ANALYTICS_PATH", "ANALYTICS_URL", "DISTRICTPM_TEST_PAUSE_AT"}
        and not k.startswith("PYTEST")
    }
    env.update(
        DISTRICTPM_VAR=str(var),
        DJANGO_SETTINGS_MODULE="districtpm.settings",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _py(code: str, var: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=_env(var),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _same_values(a: list[list], b: list[list]) -> bool:
    """Equal metric values. Which of two equal-n cells complementary suppression hides can differ
    between two computes of the same data, so cells hidden on either side are compared by key."""
    key = lambda row: tuple(row[:8])  # noqa: E731
    left, right = {key(r): r for r in a}, {key(r): r for r in b}
    if left.keys() != right.keys():
        return False
    return all(left[k] == right[k] for k in left if not (left[k][-1] or right[k][-1]))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A file SQLite database and DuckDB store with a small district and its metrics computed."""
    var = tmp_path_factory.mktemp("prepared") / "var"
    var.mkdir()
    _py(SETUP, var)
    return var


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "restart"), [("store-write", START), ("recompute", RECOVER)], ids=["store", "compute"]
)
def test_restart_after_killed_import_leaves_nothing_running(point, restart, prepared, tmp_path):
    var = tmp_path / "var"
    shutil.copytree(prepared, var)
    (var / "uploads").mkdir()
    upload = var / "uploads" / "0123abcd.csv"
    _csv(upload)
    task_id = _py(NEW_TASK, var, str(upload)).split()[-1]
    before = json.loads(_py(DUMP, var))

    pause_file = tmp_path / "paused"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORK, task_id],
        env=_env(var, DISTRICTPM_TEST_PAUSE_AT=point, DISTRICTPM_TEST_PAUSE_FILE=str(pause_file)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while not pause_file.exists():
            assert worker.poll() is None, "the import ended before reaching " + point
            assert time.monotonic() < deadline, "the import never reached " + point
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    killed = json.loads(_py(DUMP, var))
    assert [t["status"] for t in killed["tasks"]] == [
        "running" if point == "store-write" else "computing"
    ]

    _py(restart, var)
    after = json.loads(_py(DUMP, var))
    task = after["tasks"][0]
    assert task["status"] == "failed"
    assert "interrupted by a restart" in task["summary"]
    assert not upload.exists()
    actions = [a for a, _ in after["audit"]]
    assert "data.import.started" in actions and "data.import.failed" in actions
    if point == "store-write":
        assert "nothing was imported" in task["summary"]
        assert after["assessments"] == before["assessments"]
    else:
        assert "the data were imported" in task["summary"]
        assert after["assessments"] == before["assessments"] + ROWS

    _py(COMPUTE, var)
    fresh = json.loads(_py(DUMP, var))
    # the store and the stored metric values agree: a full recompute changes nothing
    assert _same_values(after["values"], fresh["values"])
    if point == "recompute":
        assert not _same_values(killed["values"], fresh["values"])  # recovery had work to do


def test_the_preloaded_application_leaves_no_database_connection_to_its_workers(prepared, tmp_path):
    """`gunicorn --preload` imports the application in the master and forks the workers from
    it: the recovery run at import must not leave them a shared database connection."""
    var = tmp_path / "var"
    shutil.copytree(prepared, var)
    out = _py(
        START + "\nfrom django.db import connections\n"
        "print(all(c.connection is None for c in connections.all(initialized_only=True)))",
        var,
    )
    assert out.split()[-1] == "True"
