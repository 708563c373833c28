"""Twenty schools registering at the same moment for a session's last three seats: exactly three
take a seat and seventeen wait. Run against PostgreSQL, where the transactions really overlap
(CI runs the suite a second time with DATABASE_URL set); SQLite serialises every write
transaction, so there is no race to lose there."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from districtpm.core.scoping import SYSTEM, access_for
from districtpm.improvement import workshops
from districtpm.improvement.models import Registration, Workshop
from districtpm.org.models import School

SCHOOLS = 20
LAST_SEATS = 3


@pytest.mark.django_db(transaction=True)
def test_twenty_schools_at_once_for_the_last_three_seats(world):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL=postgres://…): only there do the twenty "
            "transactions run at the same time"
        )
    pm = world.users["pm"]
    access_for(pm)  # worked out once, before the threads share the user
    starts = timezone.now() + dt.timedelta(days=30)
    session = Workshop.objects.create(
        school_year=world.year,
        title="Last seats",
        level="elementary",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        place="Operations Center",
        seats=LAST_SEATS + 2,
    )
    for n in range(2):  # two seats taken already
        early = School.objects.create(
            district=world.district, code=f"E{n}", name=f"Early {n}", level="elementary"
        )
        workshops.register_school(session, early, 6, acting_user=SYSTEM)
    schools = [
        School.objects.create(
            district=world.district, code=f"C{n:02}", name=f"School {n:02}", level="elementary"
        )
        for n in range(SCHOOLS)
    ]
    barrier = threading.Barrier(SCHOOLS)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def register(school: School) -> None:
        try:
            barrier.wait(timeout=30)
            registration = workshops.register_school(session, school, 6, acting_user=pm)
            with lock:
                outcomes.append(registration.status)
        except BaseException as exc:  # reported below, with the test's failure
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(s,)) for s in schools]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a registration never finished"
    assert errors == []
    seated, waiting = outcomes.count("seated"), outcomes.count("waiting")
    assert (seated, waiting) == (LAST_SEATS, SCHOOLS - LAST_SEATS), (
        f"{seated} seated and {waiting} waiting for {LAST_SEATS} seats"
    )
    rows = Registration.objects.filter(workshop=session)
    assert rows.filter(status="seated").count() == LAST_SEATS + 2 == session.seats
    assert rows.filter(status="waiting").count() == SCHOOLS - LAST_SEATS
