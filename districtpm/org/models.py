"""The district's organisation: divisions, networks, schools, school years, staff."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from districtpm.core.scoping import ScopedQuerySet

GRADES: list[str] = ["PK", "K", *[str(g) for g in range(1, 13)]]
GRADE_CHOICES = [(g, g) for g in GRADES]


def grade_index(grade: str) -> int:
    return GRADES.index(grade)


class District(models.Model):
    """The school district that this installation serves."""

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20, unique=True)
    state = models.CharField(max_length=2, blank=True)

    def __str__(self) -> str:
        return self.name


class Division(models.Model):
    """A division or department of the central office, which owns initiatives and process steps."""

    class Kind(models.TextChoices):
        DIVISION = "division", "Division"
        DEPARTMENT = "department", "Department"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="divisions")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DIVISION)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="departments"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="division_code")]

    def __str__(self) -> str:
        return self.name


class Network(models.Model):
    """A group of schools under one principal supervisor."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="networks")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="network_code")]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """A school: its code, level, grades served and network."""

    class Level(models.TextChoices):
        ELEMENTARY = "elementary", "Elementary"
        MIDDLE = "middle", "Middle"
        HIGH = "high", "High"
        K8 = "k8", "K-8"
        SECONDARY = "secondary", "6-12"
        OTHER = "other", "Other"

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="schools")
    network = models.ForeignKey(
        Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="schools"
    )
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.ELEMENTARY)
    lowest_grade = models.CharField(max_length=2, choices=GRADE_CHOICES, default="K")
    highest_grade = models.CharField(max_length=2, choices=GRADE_CHOICES, default="5")
    address = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    source_id = models.CharField(
        max_length=100, blank=True, help_text="Identifier in the source system (OneRoster)."
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if grade_index(self.lowest_grade) > grade_index(self.highest_grade):
            raise ValidationError(
                {"highest_grade": "The highest grade served must not be below the lowest."}
            )

    @property
    def grades_served(self) -> str:
        return f"{self.lowest_grade}–{self.highest_grade}"

    @property
    def grades(self) -> list[str]:
        return GRADES[grade_index(self.lowest_grade) : grade_index(self.highest_grade) + 1]


class SchoolYearQuerySet(ScopedQuerySet):
    def current(self, today: dt.date | None = None) -> SchoolYear | None:
        """The year that contains today; between years, the one that most recently began."""
        today = today or timezone.localdate()
        return (
            self.filter(start_date__lte=today).order_by("-start_date").first()
            or self.order_by("start_date").first()
        )


class SchoolYear(models.Model):
    """A school year with its first and last day; its calendar holds breaks and meetings."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="school_years")
    name = models.CharField(max_length=9, help_text="For example 2026-2027.")
    start_date = models.DateField("first day")
    end_date = models.DateField("last day")

    objects = SchoolYearQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="school_year_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.start_date >= self.end_date:
            raise ValidationError({"end_date": "The last day must come after the first day."})

    def closed_days(self) -> set[dt.date]:
        """Days inside the year on which there is no school (breaks and holidays)."""
        days: set[dt.date] = set()
        for event in self.events.filter(kind__in=CalendarEvent.CLOSED_KINDS):
            day = event.start_date
            while day <= event.end_date:
                days.add(day)
                day += dt.timedelta(days=1)
        return days

    def is_school_day(self, day: dt.date, closed: set[dt.date] | None = None) -> bool:
        closed = self.closed_days() if closed is None else closed
        return self.start_date <= day <= self.end_date and day.weekday() < 5 and day not in closed

    def instructional_days(self) -> int:
        closed = self.closed_days()
        day, count = self.start_date, 0
        while day <= self.end_date:
            count += self.is_school_day(day, closed)
            day += dt.timedelta(days=1)
        return count


class CalendarEvent(models.Model):
    """A dated entry on a school-year calendar: a break, a holiday, a board meeting…"""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        BREAK = "break", "Break"
        PD_DAY = "pd_day", "Professional development day (no students)"
        BOARD_MEETING = "board_meeting", "Board of Education meeting"
        STUDY_SESSION = "study_session", "Board study session"
        OTHER = "other", "Other"

    CLOSED_KINDS = (Kind.HOLIDAY, Kind.BREAK, Kind.PD_DAY)

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date:%b %-d, %Y})"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must not be before the start date."})
        year = getattr(self, "school_year", None)
        if year and self.start_date and not (year.start_date <= self.start_date <= year.end_date):
            raise ValidationError(
                {"start_date": f"The date must fall inside the school year {year.name}."}
            )


class Designation(models.Model):
    """A state or federal designation of a school for one school year (ESSA CSI, TSI…)."""

    class Kind(models.TextChoices):
        CSI = "csi", "ESSA comprehensive support and improvement (CSI)"
        TSI = "tsi", "ESSA targeted support and improvement (TSI)"
        ATSI = "atsi", "ESSA additional targeted support (ATSI)"
        OTHER = "other", "Other designation"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="designations")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # For a targeted designation: the student groups that triggered it, separated by "; ".
    groups = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "kind"], name="one_designation_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.school_year}"

    @property
    def short(self) -> str:
        return self.kind.upper()


class Position(models.Model):
    """A job title: teacher, principal, instructional coach…"""

    class Category(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        SCHOOL_LEADER = "school_leader", "School leader"
        SUPPORT = "support", "School support staff"
        CENTRAL = "central", "Central office"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    evaluated = models.BooleanField(
        default=False, help_text="Whether holders are in the educator evaluation cycle."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A person employed by the district. Their record is personnel data."""

    employee_id = models.CharField(max_length=30, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.PROTECT)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    hire_date = models.DateField(null=True, blank=True)
    probationary = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    source_id = models.CharField(max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Assignment(models.Model):
    """A staff member's position at a school."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assignments")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="assignments")
    position = models.ForeignKey(Position, on_delete=models.PROTECT)
    fte = models.DecimalField(max_digits=3, decimal_places=2, default=1)
    primary = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "school", "position"], name="one_assignment_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} — {self.position} at {self.school}"
