"""The demo district: deterministic, one login per role, and every reachable link works."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from districtpm.core.roles import NEEDS_NETWORK, NEEDS_SCHOOL, Role
from districtpm.demo.cycle_data import build_demo_cycles
from districtpm.demo.generator import DEMO_PASSWORD, build_demo, demo_accounts, school_year_calendar
from districtpm.demo.plan_data import build_demo_plan
from districtpm.demo.student_data import build_student_data
from districtpm.metrics.compute import recompute
from districtpm.org.models import CalendarEvent, Designation, Network, School, SchoolYear, Staff

# Links of one URL pattern visited per account: enough to reach every view with real objects
# without opening every one of hundreds of staff records for every district-wide role.
PER_PATTERN = 10
# Data packs take a second each to draw: one of each kind per account is enough.
PER_PATTERN_SLOW = {"meetings/<int:pk>/pack.pptx": 1, "meetings/<int:pk>/pack.pdf": 1}


@pytest.fixture
def demo(db):
    return build_demo("small", seed=7)


def test_small_demo_has_the_expected_shape(demo):
    assert School.objects.count() == 12
    assert Network.objects.count() == 3
    assert SchoolYear.objects.count() == 3
    assert set(School.objects.values_list("level", flat=True)) >= {"elementary", "middle", "high"}
    assert Staff.objects.filter(position__code="teacher").count() > 150
    assert Designation.objects.exists()
    kinds = set(CalendarEvent.objects.values_list("kind", flat=True))
    assert {"holiday", "break", "board_meeting", "study_session"} <= kinds
    year = SchoolYear.objects.first()
    assert 160 <= year.instructional_days() <= 185


def _build_and_read(seed: int) -> tuple[list, list]:
    """Build a demo district inside a savepoint, read it, and roll it back."""
    with transaction.atomic():
        build_demo("small", seed=seed)
        schools = list(School.objects.order_by("code").values_list("code", "name", "level"))
        staff = list(
            Staff.objects.order_by("employee_id").values_list("employee_id", "last_name")[:50]
        )
        transaction.set_rollback(True)
    return schools, staff


def test_same_seed_same_district(db):
    first = _build_and_read(7)
    assert not School.objects.exists()
    assert _build_and_read(7) == first
    assert _build_and_read(8)[0] != first[0]


def test_every_role_has_a_login_and_school_roles_have_two_in_different_places(demo):
    accounts = demo_accounts()
    roles = Counter(a["role"] for a in accounts)
    assert set(roles) == set(Role.values)
    for role in NEEDS_SCHOOL | NEEDS_NETWORK:
        scopes = {a["scope"] for a in accounts if a["role"] == role}
        assert len(scopes) >= 2, role


def test_accounts_json_for_scripts(demo, capsys):
    call_command("demo", "accounts", "--json")
    accounts = json.loads(capsys.readouterr().out)
    assert {"username", "password", "role", "scope"} == set(accounts[0])
    assert all(a["password"] == DEMO_PASSWORD for a in accounts)


def test_calendar_rules():
    first, last, events = school_year_calendar(2026)
    assert first.isoformat() == "2026-08-17" and first.weekday() == 0
    assert last.weekday() == 4 and last.month == 5
    names = {name: (start, end) for _, name, start, end in events}
    assert names["Labor Day"][0].isoformat() == "2026-09-07"
    assert names["Fall break"][0].isoformat() == "2026-11-23"


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def _crawl(client: Client, start: str = "/") -> tuple[list[tuple[str, int]], int]:
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    queue = deque([start])
    failures = []
    visited = 0
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlparse(url).path
        try:
            route = resolve(path).route
        except Resolver404:
            failures.append((url, 404))
            continue
        if per_pattern[route] >= PER_PATTERN_SLOW.get(route, PER_PATTERN):
            continue
        per_pattern[route] += 1
        response = client.get(url)
        visited += 1
        if response.status_code >= 400:
            failures.append((url, response.status_code))
            continue
        if response.status_code in (301, 302):
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue  # exports: opened without error, nothing to follow
        for href in _links(response.content.decode()):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if href.startswith("?"):
                href = path + href
            if not href.startswith("/") or href.startswith(("/static/", "/admin/")):
                continue
            queue.append(href)
    return failures, visited


@pytest.fixture
def demo_with_data(demo, settings, tmp_path):
    """The small demo district with its student data and computed metrics."""
    settings.ANALYTICS_PATH = tmp_path / "analytics.duckdb"
    build_student_data("small", 7, as_of=dt.date(2026, 11, 20))
    recompute()
    build_demo_cycles(build_demo_plan())
    return demo


def test_every_demo_account_logs_in_and_every_link_works(demo_with_data):
    accounts = demo_accounts()
    assert len(accounts) == 15
    total = 0
    for account in accounts:
        client = Client()
        response = client.post(
            "/login/", {"username": account["username"], "password": account["password"]}
        )
        assert response.status_code == 302, account["username"]
        failures, visited = _crawl(client)
        # A link a role is shown must open for that role: no server error, and no refusal either.
        assert failures == [], (account["username"], failures)
        assert visited >= 3, account["username"]  # a teacher has home, evaluation, own record
        total += visited
    assert total > 400


def test_django_admin_opens_for_the_demo_admin(demo):
    client = Client()
    client.post("/login/", {"username": "admin", "password": DEMO_PASSWORD})
    for url in [
        "/admin/",
        "/admin/org/school/",
        "/admin/org/staff/",
        "/admin/audit/auditentry/",
        "/admin/accounts/roleassignment/",
    ]:
        assert client.get(url).status_code == 200, url
    assert Client().get("/admin/").status_code == 302
