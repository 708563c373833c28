"""A deterministic, realistic synthetic district: same scale and seed, same district.

Nothing here is real: names come from short lists of common words and surnames, combined by a
seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db import transaction

from districtpm.accounts.models import CaseloadEntry, RoleAssignment
from districtpm.demo.models import DemoBuild
from districtpm.demo.people import PEOPLE, create_people, scope_of, two_sides
from districtpm.org.models import (
    Assignment,
    CalendarEvent,
    Designation,
    District,
    Division,
    Network,
    Position,
    School,
    SchoolYear,
    Staff,
)

DEMO_PASSWORD = "district-pm-demo"


@dataclass(frozen=True)
class Scale:
    schools: int
    networks: int
    students: int
    years: int  # school years of history, the current one included


# The small district (the tests') keeps three years; the others have ten, enough for the
# years-ahead forecast (three years of results first) to be back-tested one to three years out,
# each horizon's interval set from errors measured before (`districtpm forecast backtest`).


SCALES: dict[str, Scale] = {
    "small": Scale(schools=12, networks=3, students=5_000, years=3),
    "medium": Scale(schools=60, networks=8, students=35_000, years=10),
    "large": Scale(schools=180, networks=20, students=100_000, years=10),
    # A state education agency, or a consortium of districts: `make bench-scale` builds these
    # (three school years, as a state's data warehouse usually holds at hand).
    "state-300k": Scale(schools=300, networks=30, students=300_000, years=3),
    "state": Scale(schools=1000, networks=60, students=1_000_000, years=3),
}

SURNAMES = [
    "Garcia",
    "Smith",
    "Johnson",
    "Martinez",
    "Lopez",
    "Brown",
    "Nguyen",
    "Williams",
    "Hernandez",
    "Jones",
    "Gonzalez",
    "Davis",
    "Rodriguez",
    "Miller",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Tran",
    "Patel",
    "Kim",
    "Chavez",
    "Romero",
    "Ortiz",
    "Morales",
    "Reyes",
]
GIVEN = [
    "Maria",
    "James",
    "Ana",
    "Michael",
    "Jose",
    "Linda",
    "David",
    "Sarah",
    "Luis",
    "Karen",
    "Daniel",
    "Lisa",
    "Carlos",
    "Emily",
    "Robert",
    "Angela",
    "Juan",
    "Michelle",
    "Kevin",
    "Laura",
    "Brian",
    "Rosa",
    "Mark",
    "Jessica",
    "Anthony",
    "Amanda",
    "Steven",
    "Melissa",
    "Thanh",
    "Aisha",
    "Omar",
    "Fatima",
    "Grace",
    "Samuel",
    "Hannah",
    "Diego",
    "Sofia",
    "Marcus",
    "Keisha",
    "Elena",
]
PLACES = [
    "Aspen",
    "Bluebird",
    "Cedar",
    "Columbine",
    "Crestview",
    "Eagle Ridge",
    "Fairview",
    "Foothills",
    "Glenwood",
    "Highland",
    "Juniper",
    "Lakeside",
    "Lincoln",
    "Maple",
    "Meadowlark",
    "Mesa",
    "Mountain View",
    "Oak Hill",
    "Pine Creek",
    "Prairie",
    "Red Rock",
    "Riverside",
    "Sagebrush",
    "Sandstone",
    "Silver Spruce",
    "Skyline",
    "Stonegate",
    "Summit",
    "Sunrise",
    "Timberline",
    "Valley View",
    "Westgate",
    "Willow",
    "Cottonwood",
    "Golden",
    "Granite",
    "Harbor",
    "Horizon",
    "Indian Peaks",
    "Kestrel",
    "Larkspur",
    "Lone Tree",
    "Northfield",
    "Park Hill",
    "Ponderosa",
    "Ridgeview",
    "Sable",
    "Sunset",
    "Twin Peaks",
    "University Park",
    "Vista",
    "Washington",
    "Whittier",
    "Cherry Creek",
    "Clear Creek",
    "Bear Valley",
    "Green Valley",
    "Fox Hollow",
]
DIRECTIONS = [
    "North",
    "Northeast",
    "East",
    "Southeast",
    "South",
    "Southwest",
    "West",
    "Northwest",
    "Central",
    "Far Northeast",
]

LEVEL_MIX = [  # (level, lowest, highest, share, mean enrollment, suffix)
    (School.Level.ELEMENTARY, "PK", "5", 0.55, 420, "Elementary School"),
    (School.Level.MIDDLE, "6", "8", 0.17, 620, "Middle School"),
    (School.Level.HIGH, "9", "12", 0.15, 1250, "High School"),
    (School.Level.K8, "K", "8", 0.08, 560, "K-8 School"),
    (School.Level.SECONDARY, "6", "12", 0.05, 900, "6-12 Academy"),
]

DIVISIONS = [
    (
        "ACAD",
        "Academics",
        [
            "Teaching and Learning",
            "Exceptional Student Services",
            "Multilingual Education",
            "College and Career Readiness",
        ],
    ),
    ("SCHL", "School Leadership", ["Network Support", "School Improvement"]),
    ("EQTY", "Student Equity and Opportunity", ["Whole Child Supports", "Family Engagement"]),
    ("TLDR", "Talent", ["Human Resources", "Educator Effectiveness"]),
    ("PERF", "Strategy and Performance", ["Performance Management", "Accountability and Research"]),
    ("OPS", "Operations", ["Transportation", "Enrollment", "Facilities"]),
    ("FIN", "Finance", ["Budget"]),
]

POSITIONS = [
    ("teacher", "Teacher", Position.Category.TEACHER, True),
    ("principal", "Principal", Position.Category.SCHOOL_LEADER, True),
    ("assistant_principal", "Assistant principal", Position.Category.SCHOOL_LEADER, True),
    ("coach", "Instructional coach", Position.Category.SUPPORT, True),
    ("counselor", "School counselor", Position.Category.SUPPORT, False),
    ("para", "Paraprofessional", Position.Category.SUPPORT, False),
    ("supervisor", "Principal supervisor", Position.Category.CENTRAL, False),
    ("analyst", "Performance analyst", Position.Category.CENTRAL, False),
    ("hr_partner", "HR partner", Position.Category.CENTRAL, False),
    ("executive", "Executive director", Position.Category.CENTRAL, False),
]


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday (Monday=0) of a month; n=-1 for the last."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def school_year_calendar(
    start_year: int,
) -> tuple[dt.date, dt.date, list[tuple[str, str, dt.date, dt.date]]]:
    """First day, last day and calendar entries of a typical Colorado-style school year."""
    y0, y1 = start_year, start_year + 1
    first = nth_weekday(y0, 8, 0, 3)  # third Monday of August
    last = nth_weekday(y1, 5, 4, -1) - dt.timedelta(days=7)  # Friday before Memorial Day week
    thanksgiving = nth_weekday(y0, 11, 3, 4)
    winter_start = dt.date(y0, 12, 21)
    while winter_start.weekday() != 0:
        winter_start -= dt.timedelta(days=1)
    spring = nth_weekday(y1, 3, 0, -1)
    K = CalendarEvent.Kind
    events = [
        (K.HOLIDAY, "Labor Day", nth_weekday(y0, 9, 0, 1), nth_weekday(y0, 9, 0, 1)),
        (
            K.PD_DAY,
            "Professional development day",
            nth_weekday(y0, 10, 4, 3),
            nth_weekday(y0, 10, 4, 3),
        ),
        (
            K.BREAK,
            "Fall break",
            thanksgiving - dt.timedelta(days=3),
            thanksgiving + dt.timedelta(days=1),
        ),
        (K.BREAK, "Winter break", winter_start, winter_start + dt.timedelta(days=14)),
        (
            K.HOLIDAY,
            "Martin Luther King Jr. Day",
            nth_weekday(y1, 1, 0, 3),
            nth_weekday(y1, 1, 0, 3),
        ),
        (K.HOLIDAY, "Presidents' Day", nth_weekday(y1, 2, 0, 3), nth_weekday(y1, 2, 0, 3)),
        (K.BREAK, "Spring break", spring, spring + dt.timedelta(days=4)),
    ]
    # The Board meets on the fourth Thursday and holds a study session on the second Thursday.
    for year, month in [(y0, m) for m in range(8, 13)] + [(y1, m) for m in range(1, 6)]:
        session = nth_weekday(year, month, 3, 2)
        meeting = nth_weekday(year, month, 3, 4)
        label = dt.date(year, month, 1).strftime("%B")
        if first <= session <= last:
            events.append((K.STUDY_SESSION, f"Board study session ({label})", session, session))
        if first <= meeting <= last and not (month == 11):
            events.append(
                (K.BOARD_MEETING, f"Board of Education meeting ({label})", meeting, meeting)
            )
    return first, last, events


@dataclass
class BuildResult:
    schools: int = 0
    staff: int = 0
    accounts: list[dict] = field(default_factory=list)


def current_start_year(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return today.year if today.month >= 7 else today.year - 1


@transaction.atomic
def build_demo(
    scale: str = "medium",
    seed: int = 2026,
    progress: Callable[[str], None] = lambda message: None,
    years: int | None = None,
) -> BuildResult:
    """Build the demo district into an empty database (with `years`, that many school years
    of history instead of the scale's own)."""
    spec = SCALES[scale] if years is None else replace(SCALES[scale], years=years)
    rng = random.Random(seed)
    result = BuildResult()

    progress("district, divisions and networks")
    district, divisions = _district_and_divisions()
    networks = _networks(district, spec.networks)

    progress("school years and calendars")
    years = _school_years(district, spec.years)
    current_year = years[-1]

    progress(f"{spec.schools} schools")
    positions = {
        code: Position.objects.create(code=code, name=name, category=cat, evaluated=ev)
        for code, name, cat, ev in POSITIONS
    }
    schools, enrollments = _schools(rng, spec, district, networks)

    progress("designations")
    _designations(rng, years, schools)

    progress("staff")
    result.staff = _staff(rng, schools, enrollments, positions, divisions, networks, current_year)
    result.schools = len(schools)

    progress("demo accounts")
    result.accounts = _demo_accounts(schools, current_year)
    DemoBuild.objects.create(scale=scale, seed=seed, schools=result.schools, staff=result.staff)
    return result


def _district_and_divisions() -> tuple[District, dict[str, Division]]:
    """The district, its divisions and their departments; the divisions by code."""
    district = District.objects.create(name="Front Range Public Schools", code="FRPS", state="CO")
    divisions = {}
    for code, name, departments in DIVISIONS:
        division = Division.objects.create(district=district, code=code, name=name)
        divisions[code] = division
        for i, dept in enumerate(departments, start=1):
            Division.objects.create(
                district=district,
                code=f"{code}-{i}",
                name=dept,
                kind=Division.Kind.DEPARTMENT,
                parent=division,
            )
    return district, divisions


def _networks(district: District, count: int) -> list[Network]:
    names = [
        f"{DIRECTIONS[i % len(DIRECTIONS)]} Network"
        + (f" {i // len(DIRECTIONS) + 1}" if i >= len(DIRECTIONS) else "")
        for i in range(count)
    ]
    return [
        Network.objects.create(district=district, code=f"N{i + 1:02d}", name=name)
        for i, name in enumerate(names)
    ]


def _school_years(district: District, count: int) -> list[SchoolYear]:
    """The current school year and the ones before it, `count` in all, with their calendars."""
    start = current_start_year()
    years = []
    for start_year in range(start - count + 1, start + 1):
        first, last, events = school_year_calendar(start_year)
        year = SchoolYear.objects.create(
            district=district,
            name=f"{start_year}-{start_year + 1}",
            start_date=first,
            end_date=last,
        )
        CalendarEvent.objects.bulk_create(
            CalendarEvent(school_year=year, kind=k, name=n, start_date=s, end_date=e)
            for k, n, s, e in events
        )
        years.append(year)
    return years


def _schools(
    rng: random.Random, spec: Scale, district: District, networks: list[Network]
) -> tuple[list[School], dict[str, int]]:
    """The schools in the scale's mix of levels, and each one's enrolment by school code."""
    level_plan = []
    for level, low, high, share, mean, suffix in LEVEL_MIX:
        level_plan += [(level, low, high, mean, suffix)] * max(1, round(share * spec.schools))
    level_plan = level_plan[: spec.schools]
    while len(level_plan) < spec.schools:
        level_plan.append(LEVEL_MIX[0][:3] + LEVEL_MIX[0][4:])
    rng.shuffle(level_plan)
    enrollment_total = sum(p[3] for p in level_plan)
    used_names: set[str] = set()
    enrollments: dict[str, int] = {}
    schools = []
    for i, (level, low, high, mean, suffix) in enumerate(level_plan):
        base = rng.choice(PLACES)
        name = f"{base} {suffix}"
        while name in used_names:
            base = f"{rng.choice(PLACES)}" if rng.random() < 0.5 else f"{rng.choice(SURNAMES)}"
            name = f"{base} {suffix}"
            if name in used_names:
                name = f"{base} {rng.choice(DIRECTIONS)} {suffix}"
        used_names.add(name)
        school = School(
            district=district,
            network=networks[i % len(networks)],
            code=f"{100 + i * 3}",
            name=name,
            level=level,
            lowest_grade=low,
            highest_grade=high,
            address=f"{rng.randint(100, 9900)} {rng.choice(PLACES)} Ave",
        )
        enrollments[school.code] = round(
            spec.students * mean / enrollment_total * rng.uniform(0.7, 1.3)
        )
        schools.append(school)
    School.objects.bulk_create(schools)
    return list(School.objects.order_by("code")), enrollments


def _designations(rng: random.Random, years: list[SchoolYear], schools: list[School]) -> None:
    """About one school in twenty CSI and one in ten TSI, drawn again each year."""
    designations = []
    for year in years:
        for school in schools:
            roll = rng.random()
            if roll < 0.06:
                designations.append(
                    Designation(school=school, school_year=year, kind=Designation.Kind.CSI)
                )
            elif roll < 0.16:
                designations.append(
                    Designation(school=school, school_year=year, kind=Designation.Kind.TSI)
                )
    Designation.objects.bulk_create(designations)


def _staff(
    rng: random.Random,
    schools: list[School],
    enrollments: dict[str, int],
    positions: dict[str, Position],
    divisions: dict[str, Division],
    networks: list[Network],
    current_year: SchoolYear,
) -> int:
    """Every school's staff by its size, and the central office's; how many people in all."""
    staff_rows: list[Staff] = []
    assignment_rows: list[tuple[int, str, str]] = []

    def person(position: str, **extra) -> Staff:
        counter = len(staff_rows) + 1
        first, last = rng.choice(GIVEN), rng.choice(SURNAMES)
        return Staff(
            employee_id=f"E{100000 + counter}",
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}{counter}@frps.example.org",
            position=positions[position],
            hire_date=dt.date(current_year.start_date.year - rng.randint(0, 25), 8, 1),
            **extra,
        )

    for school in schools:
        teachers = max(8, enrollments[school.code] // 18)
        plan = [
            ("principal", 1),
            ("assistant_principal", 1 if teachers > 25 else 0),
            ("coach", 1 + teachers // 40),
            ("counselor", 1 + teachers // 35),
            ("para", 1 + teachers // 12),
            ("teacher", teachers),
        ]
        for position, n in plan:
            for _ in range(n):
                s = person(position)
                s.probationary = s.hire_date.year >= current_year.start_date.year - 2
                staff_rows.append(s)
                assignment_rows.append((len(staff_rows) - 1, school.code, position))
    central = [
        ("supervisor", ["SCHL"] * len(networks)),
        ("analyst", ["PERF"] * 3),
        ("hr_partner", ["TLDR"] * 3),
        ("executive", [code for code, _, _ in DIVISIONS]),
    ]
    for position, division_codes in central:
        for code in division_codes:
            staff_rows.append(person(position, division=divisions[code]))
    Staff.objects.bulk_create(staff_rows, batch_size=2000)
    by_code = {s.code: s for s in schools}
    created = list(Staff.objects.order_by("pk"))
    Assignment.objects.bulk_create(
        (
            Assignment(staff=created[i], school=by_code[code], position=positions[pos])
            for i, code, pos in assignment_rows
        ),
        batch_size=2000,
    )
    return len(created)


def _demo_accounts(schools: list[School], year: SchoolYear) -> list[dict]:
    """The people of demo/people.py, one login per role (two, on sides a and b, for school-scoped
    roles), and the caseloads of side a's and b's evaluators and principals."""
    sides = two_sides(schools)
    users = create_people(
        sides, password=DEMO_PASSWORD, email_domain="frps.example.org", superusers=["admin"]
    )
    for side, school in sides.items():
        # The evaluator's caseload: the first dozen teachers at the school, this demo teacher too.
        teachers = Staff.objects.filter(assignments__school=school, position__code="teacher")
        CaseloadEntry.objects.bulk_create(
            CaseloadEntry(evaluator=users[f"evaluator_{side}"], staff=t, school_year=year)
            for t in teachers.order_by("pk")[:12]
        )
        # The principal supervises the assistant principal and coaches.
        leaders = Staff.objects.filter(
            assignments__school=school, position__code__in=["assistant_principal", "coach"]
        )
        CaseloadEntry.objects.bulk_create(
            CaseloadEntry(evaluator=users[f"principal_{side}"], staff=s, school_year=year)
            for s in leaders
        )
    return [
        {
            "username": person.username,
            "password": DEMO_PASSWORD,
            "role": person.role,
            "scope": scope_of(person, users[person.key]),
        }
        for person in PEOPLE
    ]


def demo_accounts() -> list[dict]:
    """The demo logins of the district in this database, for people and scripts."""
    rows = []
    for ra in RoleAssignment.objects.select_related("user", "school", "network").order_by(
        "user__pk"
    ):
        if not ra.user.email.endswith("@frps.example.org"):
            continue
        rows.append(
            {
                "username": ra.user.username,
                "password": DEMO_PASSWORD,
                "role": ra.role,
                "scope": ra.scope_label,
            }
        )
    return rows
