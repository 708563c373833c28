"""Readers under load: signed-in users fetching the scorecards from the production server.

It serves the demo district in DISTRICTPM_VAR (built beforehand: `make bench-load` builds the
large one in var/bench-large) with gunicorn exactly as `make demo` does, on a free loopback port,
signs in BENCH_USERS sessions (16) of the demo accounts that read the plan, and has them fetch
the district scorecard and the school scorecards each may see. Each account's pages are fetched
once first, untimed (the cache is warm once the day has begun); then three phases of
BENCH_SECONDS (30) each:

1. one user, no think time (what one core gives one reader);
2. every user, one second of think time between pages (people reading);
3. every user, no think time (what the server gives when saturated).

Per phase it prints requests, errors (any answer but 200, or no answer), median, p95 and p99
latency and requests per second; last, the line

    think_p95_ms=… think_errors=… throughput_ratio=…

(phase 3's requests per second over phase 1's).

    DISTRICTPM_VAR=var/bench-large .venv/bin/python -m districtpm.demo.bench_load

DISTRICTPM_WORKERS and DISTRICTPM_THREADS size the server as they do for `make demo`.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from districtpm.demo.loadtest import ROOT, Browser

LOGIN = "/login/"
DISTRICT = "/plan/scorecards/"
NETWORK_LINK = re.compile(r'href="(/plan/scorecards/network/[^"/]+/)"')
SCHOOL_LINK = re.compile(r'href="(/plan/scorecards/school/[^"/]+/)"')
THINK_SECONDS = 1.0


# ---------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    """A loopback port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(port: int, **extra: str) -> dict[str, str]:
    """The server's environment: the product's own settings on this DISTRICTPM_VAR, plain HTTP."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISTRICTPM_ENV", "DISTRICTPM_DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="districtpm.settings",
        PORT=str(port),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        **extra,
    )
    return env


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + LOGIN, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:PORT
    pid: int  # gunicorn's master; its workers are its children


@contextlib.contextmanager
def running_server(env: dict[str, str], log: Path, timeout: float = 600) -> Iterator[Server]:
    """The production server (`python -m districtpm.demo.bench_load serve`: migrate, then the
    demo command's own _serve) in a subprocess, stopped afterwards; yields it once it answers."""
    base = f"http://127.0.0.1:{env['PORT']}"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "districtpm.demo.bench_load", "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # so that stopping it reaches its workers too
        )
        try:
            deadline = time.monotonic() + timeout
            while not _answers(base):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield Server(base, proc.pid)
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master, which stops its workers; if it hangs, SIGKILL to the
    server's own process group (the master and its workers, nothing else)."""
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _serve() -> None:
    """Inside the server process: the database brought up to date, then `make demo`'s server."""
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "districtpm.settings")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from districtpm.demo.management.commands.demo import Command

    Command()._serve()


# ---------------------------------------------------------------------------------------------
# The readers


def demo_accounts() -> list[dict]:
    """The demo logins (`districtpm demo accounts --json`) of the district in DISTRICTPM_VAR."""
    done = subprocess.run(
        [sys.executable, "-m", "districtpm.cli", "demo", "accounts", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


@dataclass
class Reader:
    """One signed-in session and the scorecards it may see: the district's, then its schools'."""

    account: dict
    browser: Browser
    pages: list[str] = field(default_factory=list)


def sign_in(base: str, account: dict) -> Reader | None:
    """Sign in through the login form (with its CSRF token); None if refused."""
    browser = Browser(base, [])
    if browser.request(LOGIN).status != 200:
        return None
    form = {"username": account["username"], "password": account["password"]}
    if browser.request(LOGIN, form).status != 302:
        return None
    return Reader(account, browser)


def discover(reader: Reader) -> None:
    """The scorecards the reader may see, from the links of the district's and networks' pages.
    A reader without the district scorecard (no access to the plan) keeps no page."""
    top = reader.browser.request(DISTRICT)
    if top.status != 200:
        return
    schools: list[str] = []
    for network in dict.fromkeys(NETWORK_LINK.findall(top.body)):
        page = reader.browser.request(network)
        if page.status == 200:
            schools += SCHOOL_LINK.findall(page.body)
    reader.pages = [DISTRICT, *dict.fromkeys(schools)]


def readers(base: str, count: int) -> list[Reader]:
    """`count` signed-in sessions of the demo accounts that read the scorecards. There are fewer
    such accounts than 16: the others sign in again (a person on a second machine)."""
    signed_in = [sign_in(base, account) for account in demo_accounts()]
    able = []
    for reader in signed_in:
        if reader is not None:
            discover(reader)
            if reader.pages:
                able.append(reader)
    if not able:
        raise SystemExit("No demo account could sign in and read the district scorecard.")
    group = able[:count]
    while len(group) < count:
        first = able[len(group) % len(able)]
        again = sign_in(base, first.account)
        if again is None:
            raise SystemExit(f"{first.account['username']} could not sign in again.")
        again.pages = first.pages
        group.append(again)
    return group


# ---------------------------------------------------------------------------------------------
# The phases


@dataclass
class Phase:
    """What one phase measured: one latency per answered request, and the failures."""

    name: str
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: int) -> float:
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000

    def line(self) -> str:
        return (
            f"{self.name}: {self.requests} requests, {self.errors} errors, "
            f"median {self.percentile_ms(50):.0f} ms, p95 {self.percentile_ms(95):.0f} ms, "
            f"p99 {self.percentile_ms(99):.0f} ms, {self.rate:.1f} requests/s"
        )


def _read(
    reader: Reader, deadline: float, think: float, phase: Phase, lock: threading.Lock
) -> None:
    """Fetch the reader's pages in turn, from a random one, until the deadline."""
    step = random.Random(reader.account["username"]).randrange(len(reader.pages))
    latencies: list[float] = []
    errors = 0
    while time.monotonic() < deadline:
        page = reader.pages[step % len(reader.pages)]
        step += 1
        started = time.monotonic()
        try:
            ok = reader.browser.request(page).status == 200
        except OSError:  # refused, reset or timed out: an error too
            ok = False
        if ok:
            latencies.append(time.monotonic() - started)
        else:
            errors += 1
        if think:
            time.sleep(min(think, max(0.0, deadline - time.monotonic())))
    with lock:
        phase.latencies += latencies
        phase.errors += errors


def run_phase(name: str, group: list[Reader], seconds: float, think: float) -> Phase:
    """Every reader of `group` in its own thread for `seconds`."""
    phase = Phase(name, len(group))
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_read, args=(r, deadline, think, phase, lock), daemon=True)
        for r in group
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.monotonic() - started
    return phase


def warm_up(group: list[Reader]) -> None:
    """Each account's pages once, untimed, one thread per account: the scorecards as they are
    once the day has begun (kept until the next recompute), not just after a restart."""
    first = {r.account["username"]: r for r in reversed(group)}.values()
    threads = [
        threading.Thread(target=lambda r=r: [r.browser.request(p) for p in r.pages], daemon=True)
        for r in first
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def summary(one: Phase, think: Phase, busy: Phase) -> str:
    """The figures line, last of the output."""
    ratio = busy.rate / one.rate if one.rate else 0.0
    return (
        f"think_p95_ms={think.percentile_ms(95):.0f} think_errors={think.errors} "
        f"throughput_ratio={ratio:.2f}"
    )


def bench(seconds: float, users: int) -> list[Phase]:
    """The three phases against a server started for them; prints as it goes."""
    with tempfile.TemporaryDirectory(prefix="districtpm-bench-load-") as tmp:
        env = server_env(free_port())
        with running_server(env, Path(tmp) / "server.log") as server:
            group = readers(server.base, users)
            pages = sorted({len(r.pages) for r in group})
            accounts = len({r.account["username"] for r in group})
            print(
                f"{len(group)} signed-in readers ({accounts} accounts), "
                f"{pages[0]}–{pages[-1]} scorecards each; {seconds:.0f} s per phase",
                flush=True,
            )
            warm_up(group)
            phases = []
            for name, members, think in [
                ("1 user, no think time", group[:1], 0.0),
                (f"{len(group)} users, {THINK_SECONDS:.0f} s think time", group, THINK_SECONDS),
                (f"{len(group)} users, no think time", group, 0.0),
            ]:
                phases.append(run_phase(name, members, seconds, think))
                print(phases[-1].line(), flush=True)
    return phases


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        _serve()
        return 0
    if "DISTRICTPM_VAR" not in os.environ:
        print("Set DISTRICTPM_VAR to the folder of a built demo district.", file=sys.stderr)
        return 2
    seconds = float(os.environ.get("BENCH_SECONDS", "30"))
    users = int(os.environ.get("BENCH_USERS", "16"))
    one, think, busy = bench(seconds, users)
    print(summary(one, think, busy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
