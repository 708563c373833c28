"""A small fixed district reused by every test: two networks, two schools, and the demo
district's people, one per role (demo/people.py).

Like healthchecks' Alice and Bob: principal_a runs school A (network 1), principal_b school B
(network 2), teacher_a and teacher_b teach there, evaluator_a has teacher_a on their caseload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from dataclasses import dataclass, field

import pandas as pd
import pytest
from django.contrib.auth.models import User

from districtpm.accounts.models import CaseloadEntry
from districtpm.analytics import store
from districtpm.analytics.demo_data import SchoolSpec, generate
from districtpm.demo.people import create_people
from districtpm.org.models import (
    Assignment,
    CalendarEvent,
    District,
    Division,
    Network,
    Position,
    School,
    SchoolYear,
    Staff,
)

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    district: District
    year: SchoolYear
    network_1: Network
    network_2: Network
    school_a: School
    school_b: School
    staff: dict[str, Staff] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    district = District.objects.create(name="Test District", code="TD", state="CO")
    Division.objects.create(district=district, code="ACAD", name="Academics")
    year = SchoolYear.objects.create(
        district=district,
        name="2026-2027",
        start_date=dt.date(2026, 8, 17),
        end_date=dt.date(2027, 5, 21),
    )
    CalendarEvent.objects.create(
        school_year=year,
        kind=CalendarEvent.Kind.BREAK,
        name="Fall break",
        start_date=dt.date(2026, 11, 23),
        end_date=dt.date(2026, 11, 27),
    )
    n1 = Network.objects.create(district=district, code="N1", name="Network One")
    n2 = Network.objects.create(district=district, code="N2", name="Network Two")
    a = School.objects.create(
        district=district,
        network=n1,
        code="101",
        name="Aspen Elementary",
        level="elementary",
        lowest_grade="K",
        highest_grade="5",
    )
    b = School.objects.create(
        district=district,
        network=n2,
        code="102",
        name="Birch Middle",
        level="middle",
        lowest_grade="6",
        highest_grade="8",
    )
    w = World(district, year, n1, n2, a, b)
    teacher = Position.objects.create(
        code="teacher", name="Teacher", category="teacher", evaluated=True
    )
    principal = Position.objects.create(
        code="principal", name="Principal", category="school_leader"
    )
    coach = Position.objects.create(code="coach", name="Instructional coach", category="support")
    for key, first, last, position, school in [
        ("principal_a", "Pat", "Alder", principal, a),
        ("principal_b", "Pam", "Birchwood", principal, b),
        ("teacher_a", "Tess", "Ash", teacher, a),
        ("teacher_a2", "Tim", "Acorn", teacher, a),
        ("teacher_b", "Tara", "Beech", teacher, b),
        ("coach_a", "Cal", "Aspenwood", coach, a),
        ("coach_b", "Cora", "Bay", coach, b),
    ]:
        s = Staff.objects.create(
            employee_id=f"E-{key}",
            first_name=first,
            last_name=last,
            email=f"{key}@example.org",
            position=position,
        )
        Assignment.objects.create(staff=s, school=school, position=position)
        w.staff[key] = s

    # The same people as the demo district's (demo/people.py), on school A's and B's sides.
    w.users = create_people({"a": a, "b": b}, password=PASSWORD)
    w.users["norole"] = User.objects.create_user("norole", password=PASSWORD)
    ev_a = w.users["evaluator_a"]
    CaseloadEntry.objects.create(evaluator=ev_a, staff=w.staff["teacher_a"], school_year=year)
    return w


@pytest.fixture
def login(client):
    """Log the test client in as a user of the world and return the client."""

    def as_user(user: User):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return as_user


# ---------------------------------------------------------------- a small analytics store
# Schools 101 and 102 are the world's; the store is made by the demo generator, once a session.

SCHOOLS = [
    SchoolSpec("101", "K", "5", 260),
    SchoolSpec("102", "6", "8", 300),
    SchoolSpec("103", "K", "5", 90),
    SchoolSpec("104", "9", "12", 420),
    SchoolSpec("105", "K", "8", 140),
]
NETWORKS = {"101": "N1", "102": "N2", "103": "N1", "104": "N2", "105": "N2"}
YEARS = ["2024-2025", "2025-2026", "2026-2027"]


def write_store(path, seed: int = 11) -> dict[str, pd.DataFrame]:
    tables = generate(SCHOOLS, YEARS, seed=seed, as_of=dt.date(2026, 11, 20))
    with store.connect(path) as con:
        for name, frame in tables.items():
            store.replace_rows(con, name, frame)
        schools = pd.DataFrame(
            {
                "school_code": [s.code for s in SCHOOLS],
                "school_name": [f"School {s.code}" for s in SCHOOLS],
                "network_code": [NETWORKS[s.code] for s in SCHOOLS],
                "level": ["elementary"] * len(SCHOOLS),
            }
        )
        con.register("_s", schools)
        con.execute("INSERT INTO schools SELECT * FROM _s")
    return tables


@pytest.fixture(scope="session")
def analytics_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("analytics") / "analytics.duckdb"
    write_store(path)
    return path


@pytest.fixture
def store_copy(analytics_path, settings, tmp_path):
    """A copy of the session's analytics store for a test that writes to it; uploads and
    other files under the test's own var folder."""
    path = tmp_path / "analytics.duckdb"
    shutil.copy(analytics_path, path)
    settings.ANALYTICS_PATH = path
    settings.VAR_DIR = tmp_path
    return path


@pytest.fixture(scope="session")
def duck(analytics_path):
    con = store.ibis_connection(analytics_path)
    yield con
    con.disconnect()


def use_store_with_past_years(world: World, analytics_path, settings, tmp_path) -> None:
    """Point the app at a copy of the session's analytics store and add the two school years
    before the world's, whose results the store holds."""
    path = tmp_path / "analytics.duckdb"
    shutil.copy(analytics_path, path)
    settings.ANALYTICS_PATH = path
    for name, start, end in [
        ("2024-2025", "2024-08-19", "2025-05-23"),
        ("2025-2026", "2025-08-18", "2026-05-22"),
    ]:
        SchoolYear.objects.create(
            district=world.district,
            name=name,
            start_date=dt.date.fromisoformat(start),
            end_date=dt.date.fromisoformat(end),
        )


# ---------------------------------------------------------------- the test kit: query counts
# Every dashboard and list page has a test that its queries do not grow with its rows.


class QueryCount:
    """Counts the database queries a call or a block runs (Django's CaptureQueriesContext)."""

    def __call__(self, fn, *args, **kwargs) -> int:
        """The number of queries `fn(*args, **kwargs)` runs."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            fn(*args, **kwargs)
        return len(captured)

    def page(self, client, url: str) -> int:
        """The queries one GET of `url` runs; the page must answer 200."""
        status: list[int] = []
        count = self(lambda: status.append(client.get(url).status_code))
        assert status == [200], (url, status)
        return count

    @contextlib.contextmanager
    def at_most(self, limit: int):
        """Fail when the block runs more than `limit` queries, listing them."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            yield captured
        queries = "\n".join(q["sql"] for q in captured.captured_queries)
        assert len(captured) <= limit, f"{len(captured)} queries, at most {limit}:\n{queries}"


@pytest.fixture
def query_count() -> QueryCount:
    """`query_count.page(client, url)`, `query_count(fn)`, `with query_count.at_most(n):`."""
    return QueryCount()
