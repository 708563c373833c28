"""The production server (gunicorn, as `make demo` serves) and the readers' load benchmark."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from districtpm.demo import bench_load
from districtpm.demo.management.commands.demo import ProductServer, worker_count


def test_workers_follow_the_cores_unless_configured(monkeypatch):
    monkeypatch.delenv("DISTRICTPM_WORKERS", raising=False)
    assert worker_count() == 2 * (os.cpu_count() or 1)
    monkeypatch.setenv("DISTRICTPM_WORKERS", "3")
    assert worker_count() == 3
    server = ProductServer(8123)
    assert server.cfg.workers == 3 and server.cfg.bind == ["127.0.0.1:8123"]
    assert server.cfg.preload_app  # loaded once, in the master, with recovery done before


def test_a_phase_reports_its_figures():
    phase = bench_load.Phase("16 users, 1 s think time", 16, seconds=2.0)
    phase.latencies = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    phase.errors = 2
    assert phase.requests == 102 and phase.rate == 51.0
    assert round(phase.percentile_ms(50)) == 50 and round(phase.percentile_ms(95)) == 95
    assert phase.line() == (
        "16 users, 1 s think time: 102 requests, 2 errors, median 50 ms, p95 95 ms, "
        "p99 99 ms, 51.0 requests/s"
    )
    one = bench_load.Phase("1 user", 1, seconds=2.0, latencies=[0.01] * 40)
    assert bench_load.summary(one, phase, phase) == (
        "think_p95_ms=95 think_errors=2 throughput_ratio=2.55"
    )


SETUP = """
import django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from django.contrib.auth.models import User
User.objects.create_superuser("reader", "reader@example.org", "a-long-bench-password-3")
"""


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts workers through /proc")
def test_the_server_runs_several_workers_and_serves_a_signed_in_page(tmp_path):
    """A fresh database in a scratch folder (SQLite, whatever DATABASE_URL the tests run on),
    served as `make demo` serves it, with two workers: sign in, a page, a static file."""
    env = bench_load.server_env(
        bench_load.free_port(), DISTRICTPM_VAR=str(tmp_path), DISTRICTPM_WORKERS="2"
    )
    for name in ("DATABASE_URL", "ANALYTICS_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=bench_load.ROOT, check=True)
    with bench_load.running_server(env, tmp_path / "server.log") as server:
        assert len(_children(server.pid)) == 2
        account = {"username": "reader", "password": "a-long-bench-password-3"}
        reader = bench_load.sign_in(server.base, account)
        assert reader is not None
        home = reader.browser.request("/")
        assert home.status == 200 and "reader" in home.body
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home.body).group(1)
        assert reader.browser.request(stylesheet).status == 200
    assert "Traceback" not in (tmp_path / "server.log").read_text()
