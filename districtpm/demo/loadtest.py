"""Concurrent writers against the real product: a load test of the database under waitress.

It builds a small district into a scratch database (an SQLite file in a temporary folder, or a
scratch PostgreSQL database beside the one DATABASE_URL names), serves the product with waitress
in a subprocess as `make demo` does, and runs client threads, each logged in as a user who may
write, that record decisions on meetings and send action teams' status updates for a bounded
time. Afterwards it counts the rows: every acknowledged write must be there, once.

    .venv/bin/python -m districtpm.demo.loadtest run [--seconds 60] [--threads 16]

prints the figures and exits 1 on any error or missing write. The `build`, `serve` and `verify`
subcommands are the steps it runs in subprocesses.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "load-test-password-7f3a"
SHARED_MONTH = "2099-01-01"
TOKEN = "load"  # every text the test writes starts with this, so verify finds exactly its rows
ROOT = Path(__file__).resolve().parents[2]  # the folder holding the districtpm package
EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception): .*$", re.MULTILINE)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


# ---------------------------------------------------------------------------------------------
# Scratch database and subprocesses


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


@contextlib.contextmanager
def scratch_database(database_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh database for one run: an SQLite file in `folder`, or, when `database_url` points
    at PostgreSQL, a new database on that server (needs only CREATEDB), dropped afterwards."""
    if not database_url or not _is_postgres(database_url):
        yield f"sqlite:///{folder / 'load.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    name = f"districtpm_load_{os.getpid()}"
    admin_url = urllib.parse.urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of the product's own processes: its real settings, not the tests'."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISTRICTPM_ENV", "DISTRICTPM_DEBUG", "ANALYTICS_URL", "CONN_MAX_AGE"}
    }
    env.update(
        DATABASE_URL=database_url,
        DISTRICTPM_VAR=str(var_dir),
        DJANGO_SETTINGS_MODULE="districtpm.settings",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _step(name: str, env: dict[str, str], stdin: str = "") -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "districtpm.demo.loadtest", name],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"loadtest {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def running_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """Waitress with the product, as `make demo` serves it, on a free port; yields its address."""
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "districtpm.demo.loadtest", "serve"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=ROOT,
        )
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line.startswith("PORT "):
                proc.wait(timeout=30)
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            yield f"http://127.0.0.1:{int(line.split()[1])}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------------
# The HTTP client threads


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is the answer we check, not something to follow


@dataclass
class Reply:
    status: int
    body: str
    location: str


class Browser:
    """One user's session: cookies, CSRF token from the last page, timings of every request."""

    def __init__(self, base: str, timings: list[float]) -> None:
        self.base = base
        self.timings = timings
        self.csrf = ""
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Reply:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
        started = time.monotonic()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                reply = Reply(response.status, response.read().decode(), "")
        except urllib.error.HTTPError as exc:
            reply = Reply(exc.code, exc.read().decode(errors="replace"), exc.headers["Location"])
        finally:
            self.timings.append(time.monotonic() - started)
        found = CSRF.search(reply.body)
        if found:
            self.csrf = found.group(1) or found.group(2)
        return reply


@dataclass
class Result:
    """What one run did: acknowledged writes, errors, latencies, and the rows found after."""

    seconds: float
    threads: int
    requests: int = 0
    decisions: list[str] = field(default_factory=list, repr=False)
    updates: list[str] = field(default_factory=list, repr=False)
    replacements: list[str] = field(default_factory=list, repr=False)
    errors: list[str] = field(default_factory=list, repr=False)
    timings: list[float] = field(default_factory=list, repr=False)
    locked_in_log: int = 0
    server_errors: list[str] = field(default_factory=list)
    deadline: float = 0.0
    rows: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return len(self.decisions) + len(self.updates) + len(self.replacements)

    def percentile(self, q: float) -> float:
        if len(self.timings) < 2:
            return self.timings[0] if self.timings else 0.0
        return statistics.quantiles(self.timings, n=100, method="inclusive")[int(q) - 1]

    def problems(self) -> list[str]:
        """Everything wrong with the run: errors, and rows that differ from what was written."""
        rows = self.rows
        found = [f"error: {e}" for e in self.errors]
        if rows.get("missing"):
            found.append(f"acknowledged but not in the database: {rows['missing']}")
        if rows.get("unacknowledged"):
            found.append(f"in the database but never acknowledged: {rows['unacknowledged']}")
        if rows.get("duplicates"):
            found.append(f"{rows['duplicates']} writes stored twice")
        for have, want, what in [
            ("decisions", len(self.decisions), "decisions"),
            ("updates", len(self.updates), "new status updates"),
            ("shared", rows.get("expected_shared"), "replaced months"),
            ("audit", rows.get("expected_audit"), "audit rows"),
        ]:
            if rows.get(have) != want:
                found.append(f"{rows.get(have)} {what} in the database, expected {want}")
        return found

    def summary(self) -> str:
        return (
            f"load: {self.threads} threads for {self.seconds:.0f} s: {self.requests} requests "
            f"({self.requests / self.seconds:.1f}/s), {self.writes} writes acknowledged "
            f"({len(self.decisions)} decisions, {len(self.updates)} new status updates, "
            f"{len(self.replacements)} replacing one month's), "
            f"{len(self.errors)} errors, {self.locked_in_log} 'database is locked' in the server "
            f"log, p50 {self.percentile(50) * 1000:.0f} ms, p95 {self.percentile(95) * 1000:.0f} ms; "
            f"rows after: {self.rows.get('decisions')} decisions, {self.rows.get('updates')} "
            f"new status updates, {self.rows.get('shared')} replaced months, "
            f"{self.rows.get('audit')} audit rows"
        )


def _worker(
    base: str, job: dict[str, Any], index: int, start: threading.Barrier, result: Result
) -> None:
    """Sign in, wait for every thread to have signed in, then write until the deadline."""
    timings: list[float] = []
    decisions: list[str] = []
    updates: list[str] = []
    replacements: list[str] = []
    errors: list[str] = []
    browser = Browser(base, timings)

    def expect(reply: Reply, status: int, what: str, location: str = "") -> bool:
        if reply.status == status and location in (reply.location or ""):
            return True
        errors.append(f"{job['username']}: {what}: HTTP {reply.status}")
        return False

    def fail(exc: Exception) -> None:  # a refused or dropped connection is an error too
        errors.append(f"{job['username']}: {type(exc).__name__}: {exc}")

    signed_in = False
    try:
        if expect(browser.request(job["login"]), 200, "login page"):
            form = {"username": job["username"], "password": PASSWORD}
            signed_in = expect(browser.request(job["login"], form), 302, "sign in")
    except Exception as exc:
        fail(exc)
    start.wait()
    try:
        step = 0
        while signed_in and time.monotonic() < result.deadline:
            meeting = job["meetings"][step % len(job["meetings"])]
            tag = f"{TOKEN}-{index}-{step}-t{job['team_id']}"
            if expect(browser.request(meeting), 200, "meeting page"):
                text = f"{tag} decision to keep the monthly data review"
                reply = browser.request(
                    meeting + "items/",
                    {"kind": "decision", "text": text, "owner": "", "due_date": ""},
                )
                if expect(reply, 302, "record a decision", meeting):
                    decisions.append(text)
            # Even steps: a month of the thread's own range, one new row per write. Odd steps:
            # the month every thread of the team replaces, so writers meet on one row.
            replace = step % 2 == 1
            year, month = job["first_year"] + step // 24, step // 2 % 12 + 1
            day = SHARED_MONTH if replace else f"{year:04d}-{month:02d}-01"
            url = job["update"].replace("MONTH", day)
            if expect(browser.request(url), 200, "status update page"):
                text = f"{tag} on track; coaches visited every school"
                reply = browser.request(
                    url,
                    {
                        "timeline": "on_track",
                        "scope": ("on_track", "at_risk", "off_track")[step % 3],
                        "resources": "at_risk",
                        "narrative": text,
                    },
                )
                if expect(reply, 302, "send a status update", job["team"]):
                    (replacements if replace else updates).append(text)
            step += 1
    except Exception as exc:
        fail(exc)
    finally:
        with _lock:
            result.requests += len(timings)
            result.timings += timings
            result.decisions += decisions
            result.updates += updates
            result.replacements += replacements
            result.errors += errors


_lock = threading.Lock()


def drive(base: str, jobs: list[dict[str, Any]], seconds: float) -> Result:
    """Run one thread per job against the server at `base`; the `seconds` start when every
    thread has signed in."""
    result = Result(seconds=seconds, threads=len(jobs))

    def go() -> None:
        result.deadline = time.monotonic() + seconds

    start = threading.Barrier(len(jobs), action=go)
    threads = [
        threading.Thread(target=_worker, args=(base, job, i, start, result), daemon=True)
        for i, job in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    if any(t.is_alive() for t in threads):
        result.errors.append("a client thread did not finish")
    return result


def run(database_url: str | None, seconds: float = 60, threads: int = 16) -> Result:
    """The whole load test on a scratch copy of the database `database_url` names."""
    with tempfile.TemporaryDirectory(prefix="districtpm-load-") as tmp:
        folder = Path(tmp)
        with scratch_database(database_url, folder) as url:
            env = server_env(url, folder)
            jobs = _step("build", env, json.dumps({"threads": threads}))
            log = folder / "server.log"
            with running_server(env, log) as base:
                result = drive(base, jobs, seconds)
            server_log = log.read_text()
            result.locked_in_log = server_log.count("database is locked")
            # The last line of each traceback the server logged, once each.
            result.server_errors = sorted(set(EXCEPTION_LINE.findall(server_log)))[:10]
            result.rows = _step(
                "verify",
                env,
                json.dumps(
                    {
                        "decisions": result.decisions,
                        "updates": result.updates,
                        "replacements": result.replacements,
                    }
                ),
            )
    return result


# ---------------------------------------------------------------------------------------------
# The steps that run inside the product (Django set up with its real settings)


def _build(threads: int) -> list[dict[str, Any]]:
    """A small district with its plan, meeting cycle and action teams, and `threads` users who
    may write: PM office staff and action team leads, each with the pages it will use."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.urls import reverse

    from districtpm.accounts.models import RoleAssignment
    from districtpm.actionplans.models import ActionTeam
    from districtpm.core.roles import Role
    from districtpm.demo.cycle_data import build_demo_cycles
    from districtpm.demo.generator import build_demo
    from districtpm.demo.plan_data import build_demo_plan
    from districtpm.meetings.models import Meeting

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # The demo's organisation, plan and cycle, without its student data and metrics: the plan's
    # goals need metric results, but meetings and action teams do not.
    build_demo("small", 2026)
    build_demo_cycles(build_demo_plan(), 2026)
    teams = list(ActionTeam.objects.order_by("pk"))
    password = make_password(PASSWORD)  # hashed once: the hash is deliberately slow
    jobs = []
    for i in range(threads):
        team = teams[i % len(teams)]
        user = get_user_model().objects.create(username=f"load.{i:02d}", password=password)
        if i % 2:
            RoleAssignment.objects.create(user=user, role=Role.ACTION_TEAM_LEAD)
            team.members.add(user)  # membership is the team's relation, not a name
        else:
            RoleAssignment.objects.create(user=user, role=Role.PM_OFFICE)
        meetings = list(Meeting.objects.visible_to(user).order_by("pk")[:4])
        if not meetings:
            raise RuntimeError(f"{user} sees no meeting")
        jobs.append(
            {
                "username": user.username,
                "login": reverse("login"),
                "meetings": [reverse("meetings:meeting", args=[m.pk]) for m in meetings],
                "update": reverse("actionplans:update", args=[team.pk, "MONTH"]),
                "team": reverse("actionplans:team", args=[team.pk]),
                "team_id": team.pk,
                # Threads sharing a team write months far apart, so no two writes meet.
                "first_year": 2100 + 300 * i,
            }
        )
    return jobs


def _verify(decisions: list[str], updates: list[str], replacements: list[str]) -> dict[str, Any]:
    """The rows the run left, compared with the writes the server acknowledged."""
    import datetime as dt

    from districtpm.actionplans.models import StatusUpdate
    from districtpm.audit.models import AuditEntry
    from districtpm.meetings.models import MeetingItem

    shared = dt.date.fromisoformat(SHARED_MONTH)
    ours = StatusUpdate.objects.filter(narrative__startswith=TOKEN + "-")
    found_decisions = list(
        MeetingItem.objects.filter(text__startswith=TOKEN + "-").values_list("text", flat=True)
    )
    found_updates = list(ours.exclude(month=shared).values_list("narrative", flat=True))
    found_shared = list(ours.filter(month=shared).values_list("team_id", "narrative"))
    audit = AuditEntry.objects.filter(
        action__in=[
            "meetings.item.create",
            "actionplans.update.create",
            "actionplans.update.change",
        ],
        actor__username__startswith="load.",
    ).count()
    # The month every thread of a team replaced: one row per team, holding one of the texts
    # the server acknowledged for that team.
    teams = {int(text.split(" ")[0].split("-")[3][1:]) for text in replacements}
    return {
        "decisions": len(found_decisions),
        "updates": len(found_updates),
        "shared": len(found_shared),
        "audit": audit,
        "expected_shared": len(teams),
        "expected_audit": len(decisions) + len(updates) + len(replacements),
        "duplicates": len(found_decisions)
        - len(set(found_decisions))
        + len(found_updates)
        - len(set(found_updates)),
        "missing": sorted(
            (set(decisions) - set(found_decisions))
            | (set(updates) - set(found_updates))
            | {f"team {t}: replaced month" for t in teams - {t for t, _ in found_shared}}
        )[:20],
        "unacknowledged": sorted(
            (set(found_decisions) - set(decisions))
            | (set(found_updates) - set(updates))
            | {n for _, n in found_shared if n not in set(replacements)}
        )[:20],
    }


def _serve() -> None:
    from waitress import create_server

    from districtpm.wsgi import application

    server = create_server(application, host="127.0.0.1", port=0, threads=8)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m districtpm.demo.loadtest")
    parser.add_argument("step", choices=["run", "build", "serve", "verify"])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    if args.step == "run":
        result = run(os.environ.get("DATABASE_URL"), args.seconds, args.threads)
        print(result.summary())
        problems = result.problems()
        for problem in problems[:10]:
            print("  " + problem)
        for line in result.server_errors:
            print("  server: " + line)
        return 1 if problems else 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "districtpm.settings")
    import django

    django.setup()
    if args.step == "serve":
        _serve()
        return 0
    data = json.loads(sys.stdin.read() or "{}")
    if args.step == "build":
        out: Any = _build(int(data.get("threads", args.threads)))
    else:
        out = _verify(data["decisions"], data["updates"], data["replacements"])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
