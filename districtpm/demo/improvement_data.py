"""The steps each designation requires in the demo's last two school years, and the
designated schools' progress: last year's mostly done (a few never were), this year's due."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions
from districtpm.improvement.models import StepDone, StepRule
from districtpm.org.models import Designation, SchoolYear


def build_demo_improvement(seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 29)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    years = list(
        SchoolYear.objects.filter(start_date__lte=current.start_date).order_by("-start_date")[:2]
    )
    _designate_principal_a(current)
    rules = 0
    done = []
    for year in years:
        rules += len(actions.add_usual_steps(year, acting_user=SYSTEM))
        by_kind: dict[str, list[StepRule]] = {}
        for rule in StepRule.objects.filter(school_year=year):
            by_kind.setdefault(rule.kind, []).append(rule)
        for designation in Designation.objects.filter(school_year=year):
            for rule in by_kind.get(designation.kind, []):
                if rule.due_on >= today or rng.random() < 0.12:
                    continue  # not due yet, or never done: overdue
                done_on = rule.due_on - dt.timedelta(days=rng.randint(0, 20))
                done.append(
                    StepDone(
                        designation=designation,
                        rule=rule,
                        done_on=done_on,
                        note=rng.choice(["", "", "Entered by the principal."]),
                    )
                )
    StepDone.objects.bulk_create(done)
    return {"rules": rules, "done": len(done), "problems": _problems(current)}


def _designate_principal_a(year: SchoolYear) -> None:
    """The demo's side-A principal leads a school with a targeted designation this year, so a
    visitor signed in as them meets the whole of school improvement."""
    from districtpm.accounts.models import RoleAssignment
    from districtpm.core.roles import Role

    assignment = RoleAssignment.objects.filter(
        user__username="principal.a", role=Role.PRINCIPAL
    ).first()
    if assignment is None or assignment.school is None:
        return
    Designation.objects.get_or_create(
        school=assignment.school,
        school_year=year,
        kind=Designation.Kind.TSI,
        defaults={"groups": "English learners; Students with disabilities"},
    )


def _problems(current: SchoolYear) -> int:
    """For each school designated in the latest year with designations, a problem statement on
    the lowest student group with a value shown (not suppressed): in ELA proficiency from the
    latest state test, or where no group has one (a small high school), in mathematics or the
    ELA interim."""
    from django.core.exceptions import ValidationError

    from districtpm.metrics.models import Metric, MetricValue

    metrics = []
    for metric_id in ["ela_proficiency", "math_proficiency", "ela_interim_on_track"]:
        metric = Metric.objects.filter(id=metric_id).first()
        year = (
            MetricValue.objects.filter(metric=metric, level="school")
            .order_by("-school_year")
            .values_list("school_year", flat=True)
            .first()
        )
        if metric is not None and year is not None:
            metrics.append((metric, year))
    written = 0
    latest = (
        Designation.objects.order_by("-school_year__start_date")
        .values_list("school_year", flat=True)
        .first()
    )
    for designation in Designation.objects.filter(school_year=latest).select_related("school"):
        for metric, year in metrics:
            values = MetricValue.objects.filter(
                metric=metric,
                level="school",
                entity_code=designation.school.code,
                school_year=year,
                grade="",
                suppressed=False,
            ).exclude(group_dim="all")
            latest_period = values.order_by("-period_order").values_list("period", flat=True)
            lowest = values.filter(period__in=latest_period[:1]).order_by("value").first()
            if lowest is None:
                continue
            try:
                statement = actions.write_problem_statement(
                    designation.school,
                    metric,
                    year,
                    lowest.group_dim,
                    lowest.group_value,
                    desired=min(1.0, round(lowest.value + 0.15, 2)),
                    acting_user=SYSTEM,
                )
            except ValidationError:
                continue
            written += 1
            _causes(statement)
            break
    return written


def _causes(statement) -> None:
    """Two hypotheses: one verified against the school's weakest self-assessment indicator,
    one still to verify."""
    ratings = sorted(
        actions.self_assessment_ratings(statement.school, SYSTEM), key=lambda r: r.level.order
    )
    verified = actions.propose_cause(
        statement,
        "Core instruction does not reach the group: too few are screened and placed",
        acting_user=SYSTEM,
    )
    if ratings:
        actions.decide_cause(
            verified,
            "verified",
            indicator_rating=ratings[0],
            evidence="The team's self-assessment rated this lowest.",
            acting_user=SYSTEM,
        )
    actions.propose_cause(
        statement, "Attendance of the group fell in the winter months", acting_user=SYSTEM
    )


# Each designated school's plan for the current year, built from its problem statement: what a
# team brings out of the workshop. Texts are the demo's own; the Spanish is for the Blueprint.
INITIATIVES = [
    (
        "Small-group reading every day for the students furthest behind",
        "Lectura diaria en grupos pequeños para quienes más lo necesitan",
        [
            ("Screen every student in reading and place them in groups", "Two coach days"),
            ("Schedule a protected 30-minute block in every classroom", "Master schedule"),
            ("Review the groups with the ILT after each interim", "ILT meeting time"),
        ],
    ),
    (
        "Weekly teacher teams that plan from student work",
        "Equipos docentes semanales que planifican a partir del trabajo de los estudiantes",
        [
            ("Set a common planning hour for each grade", "Substitute coverage"),
            ("Train team leads in looking at student work", "Network PD funds"),
        ],
    ),
    (
        "Every family called when a student misses two days",
        "Una llamada a cada familia cuando un estudiante falta dos días",
        [
            ("Give each adviser a call list and a script", "Attendance clerk time"),
            ("Hold a family breakfast each quarter", "Title I family funds"),
        ],
    ),
]
BLUEPRINT_MEASURES = [
    (
        "reading",
        "ela_interim_on_track",
        "Students on track in reading (interim)",
        "Estudiantes al día en lectura (evaluación intermedia)",
    ),
    (
        "math",
        "math_interim_on_track",
        "Students on track in mathematics (interim)",
        "Estudiantes al día en matemáticas (evaluación intermedia)",
    ),
    (
        "thriving",
        "average_daily_attendance",
        "Average daily attendance",
        "Asistencia diaria promedio",
    ),
    (
        "belonging",
        "survey_belonging",
        "Students who feel they belong at school",
        "Estudiantes que sienten que pertenecen a la escuela",
    ),
]


def build_demo_plans(seed: int = 2026) -> dict[str, int]:
    """A plan, checkpoints and a Blueprint for each school designated this year (or, before
    this year's designations, last year's) that has a problem statement; most Blueprints are
    published, a few are drafts."""
    from districtpm.improvement import schoolplans
    from districtpm.improvement.models import (
        Checkpoint,
        FocusArea,
        InitiativeMeasure,
        ProblemStatement,
        SchoolInitiative,
        SchoolPlanStep,
    )
    from districtpm.metrics.models import Metric

    rng = random.Random(seed + 31)
    today = timezone.localdate()
    year = SchoolYear.objects.current(today)
    metrics = {
        m.id: m
        for m in Metric.objects.filter(
            id__in=[m for _, m, _, _ in BLUEPRINT_MEASURES] + ["ela_proficiency"]
        )
    }
    counts = {"plans": 0, "published": 0, "checkpoints": 0}
    statements = ProblemStatement.objects.select_related("school", "metric").order_by(
        "school__name"
    )
    seen: set[int] = set()
    for statement in statements:
        if statement.school_id in seen:
            continue
        seen.add(statement.school_id)
        school = statement.school
        plan = schoolplans.start_plan(school, year, acting_user=SYSTEM)
        schoolplans.save_theory_of_action(
            plan,
            f"If every teacher at {school.name} plans weekly from student work and the students "
            "furthest behind read in small groups every day, then those students' reading will "
            "grow faster than a year in a year and the gap to the district will close.",
            acting_user=SYSTEM,
        )
        area = schoolplans.save_part(
            FocusArea(plan=plan),
            {
                "name": f"{'Mathematics' if statement.metric_id.startswith('math') else 'Reading'} "
                f"for {_group(statement)}",
                "problem": statement,
            },
            acting_user=SYSTEM,
        )
        chosen = rng.sample(INITIATIVES, 2)
        for i, (name, name_es, steps) in enumerate(chosen):
            initiative = schoolplans.save_part(
                SchoolInitiative(area=area),
                {"name": name, "name_es": name_es, "order": i},
                acting_user=SYSTEM,
            )
            start = year.start_date + dt.timedelta(days=14 + 21 * i)
            for j, (step, resources) in enumerate(steps):
                begins = start + dt.timedelta(days=30 * j)
                due = begins + dt.timedelta(days=rng.choice([21, 30, 45]))
                status = (
                    "done"
                    if due < today - dt.timedelta(days=10)
                    else ("in_progress" if begins <= today else "not_started")
                )
                if status == "done" and rng.random() < 0.15:
                    status = "delayed"
                schoolplans.save_part(
                    SchoolPlanStep(initiative=initiative),
                    {
                        "name": step,
                        "starts_on": begins,
                        "due_date": due,
                        "resources": resources,
                        "status": status,
                        "milestone": j == len(steps) - 1,
                    },
                    acting_user=SYSTEM,
                )
            leading = (
                metrics.get("ela_interim_on_track")
                if i == 0
                else metrics.get("average_daily_attendance")
            )
            if leading is not None:
                schoolplans.save_part(
                    InitiativeMeasure(initiative=initiative),
                    {
                        "kind": "leading",
                        "metric": leading,
                        "group_dim": statement.group_dim,
                        "group_value": statement.group_value,
                        "target": 0.6 if leading.id == "ela_interim_on_track" else 0.94,
                    },
                    acting_user=SYSTEM,
                )
            # The lagging measure is the state test the statement was written from; for a
            # statement on the interim (the leading measure), the state test in ELA.
            yearly = statement.metric.period == "school_year"
            lagging = statement.metric if yearly else metrics.get("ela_proficiency")
            if i == 0 and lagging is not None:
                schoolplans.save_part(
                    InitiativeMeasure(initiative=initiative),
                    {
                        "kind": "lagging",
                        "metric": lagging,
                        "group_dim": statement.group_dim,
                        "group_value": statement.group_value,
                        "target": statement.desired_value if yearly else 0.35,
                    },
                    acting_user=SYSTEM,
                )
        for month, day in [(10, 15), (1, 14), (3, 18), (5, 12)]:
            on = dt.date(year.start_date.year + (month < 8), month, day)
            checkpoint = schoolplans.save_part(
                Checkpoint(plan=plan),
                {
                    "on": on,
                    "reviewers": "School ILT with the network supervisor",
                    "looks_at": "Interim results of the group, step status, attendance",
                },
                acting_user=SYSTEM,
            )
            counts["checkpoints"] += 1
            if on < today:
                status = rng.choice(["on_track", "on_track", "at_risk", "off_track"])
                schoolplans.record_checkpoint(
                    checkpoint,
                    status,
                    {
                        "on_track": "Groups meet daily; the fall interim rose for the group.",
                        "at_risk": "Groups meet three days of five; the interim is flat.",
                        "off_track": "The reading block was lost to testing; steps slipped a month.",
                    }[status],
                    acting_user=SYSTEM,
                )
        blueprint = schoolplans.save_blueprint(
            plan,
            goals=f"More {_group(statement)} at {school.name} read at grade level every year, and "
            "every student comes to school and feels they belong here.",
            goals_es=f"Cada año más estudiantes de {school.name} leen al nivel de su grado, y todos "
            "vienen a la escuela y sienten que pertenecen a ella.",
            theory_es="Si cada docente planifica cada semana a partir del trabajo de sus "
            "estudiantes y quienes van más atrás leen a diario en grupos pequeños, su lectura "
            "avanzará más de un año por año y la brecha con el distrito se cerrará.",
            acting_user=SYSTEM,
        )
        for area_key, metric_id, label, label_es in BLUEPRINT_MEASURES:
            if metric_id in metrics:
                schoolplans.set_blueprint_measure(
                    blueprint,
                    area_key,
                    metric=metrics[metric_id],
                    label=label,
                    label_es=label_es,
                    target={"reading": 0.6, "math": 0.55, "thriving": 0.94, "belonging": 0.8}[
                        area_key
                    ],
                    acting_user=SYSTEM,
                )
        _high_leverage(school, year, rng)
        counts["plans"] += 1
        if rng.random() < 0.8:
            schoolplans.publish_blueprint(blueprint, acting_user=SYSTEM)
            counts["published"] += 1
    return counts


def _high_leverage(school, year: SchoolYear, rng: random.Random) -> None:
    """Most teams have chosen two or three high-leverage actions from their weakest indicators
    by now; a few have not yet."""
    if rng.random() < 0.25:
        return
    ratings = sorted(actions.self_assessment_ratings(school, SYSTEM), key=lambda r: r.level.order)
    for rating in ratings[: rng.choice([2, 3])]:
        actions.add_high_leverage_action(
            school,
            year,
            f"Put in place: {rating.indicator.name[:250]}",
            indicator_rating=rating,
            acting_user=SYSTEM,
        )


def _group(statement) -> str:
    from districtpm.improvement.problems import group_name

    return group_name(statement.group_dim, statement.group_value)


def build_demo_workshops(seed: int = 2026) -> dict[str, int]:
    """Last spring's problem-solving workshops with who came, and this spring's sessions: the
    designated schools registered first (the priority date has passed), then others, so that
    the first elementary session is full with a waiting list."""
    from django.core.exceptions import ValidationError

    from districtpm.improvement import workshops
    from districtpm.improvement.models import Registration, Workshop
    from districtpm.org.models import School

    rng = random.Random(seed + 37)
    today = timezone.localdate()
    current = SchoolYear.objects.current(today)
    last = (
        SchoolYear.objects.filter(end_date__lt=current.start_date).order_by("-start_date").first()
    )
    tz = timezone.get_current_timezone()

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, tzinfo=tz)

    schools = list(School.objects.order_by("name"))
    counts = {"sessions": 0, "seated": 0, "waiting": 0}
    if last is not None:
        designated = workshops.designated_ids(last.pk)
        for level, day in [
            ("elementary", dt.date(last.end_date.year, 3, 4)),
            ("secondary", dt.date(last.end_date.year, 3, 11)),
        ]:
            session = Workshop.objects.create(
                school_year=last,
                title="Collaborative problem solving",
                level=level,
                starts_at=at(day, 13),
                ends_at=at(day, 16),
                place="Central office, room 210",
                seats=12,
            )
            counts["sessions"] += 1
            teams = [s for s in schools if s.pk in designated and workshops.fits_level(session, s)]
            Registration.objects.bulk_create(
                Registration(
                    workshop=session,
                    school=s,
                    status=Registration.Status.SEATED,
                    headcount=rng.randint(6, 9),
                    seated_at=at(day, 13),
                    attended=rng.random() > 0.1,
                )
                for s in teams[:12]
            )
    spring = [today + dt.timedelta(days=d) for d in (70, 84, 98)]
    if spring[-1] > current.end_date:
        return counts
    sessions = []
    for (level, seats), day in zip(
        [("elementary", 4), ("elementary", 12), ("secondary", 8)], spring, strict=True
    ):
        session = Workshop(school_year=current)
        workshops.save_workshop(
            session,
            title="Collaborative problem solving",
            level=level,
            starts_at=at(day, 13),
            ends_at=at(day, 16),
            place=rng.choice(["Central office, room 210", "Professional learning center"]),
            seats=seats,
            priority_until=None,
            acting_user=SYSTEM,
        )
        sessions.append(session)
    counts["sessions"] += len(sessions)
    designated = workshops.designated_ids(current.pk)
    ordered = [s for s in schools if s.pk in designated] + [
        s for s in rng.sample(schools, len(schools)) if s.pk not in designated
    ]
    wanted = {sessions[0].pk: 6, sessions[1].pk: 5, sessions[2].pk: 4}
    for school in ordered:
        for session in sessions:
            if wanted[session.pk] == 0 or not workshops.fits_level(session, school):
                continue
            try:
                r = workshops.register_school(
                    session,
                    school,
                    rng.randint(6, 9),
                    "\n".join(
                        [
                            "Principal",
                            "Assistant principal",
                            "Instructional coach",
                            "Interventionist",
                            "Two grade-level team leads",
                        ]
                    ),
                    acting_user=SYSTEM,
                )
            except ValidationError:
                continue
            wanted[session.pk] -= 1
            counts["seated" if r.status == Registration.Status.SEATED else "waiting"] += 1
            break
    # The priority date passed before the others registered.
    Workshop.objects.filter(pk__in=[s.pk for s in sessions]).update(
        priority_until=at(today - dt.timedelta(days=13), 17)
    )
    return counts
