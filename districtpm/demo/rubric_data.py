"""Two years of self-assessment in the demo district: the district rubric (last year final, this
year open, rated so far by two of its three members) and every school's MTSS self-assessment,
final in both years, whose members disagree as real teams do, with evidence and with most weak
indicators tied to the plan's initiatives and the action teams' items.

Ratings are written in bulk (the demo builder is the system, and its history is generated): the
audit log holds the live changes people make, not these."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone

from districtpm.actionplans.models import PlanAction
from districtpm.core.scoping import SYSTEM
from districtpm.org.models import School, SchoolYear
from districtpm.plans.models import Initiative, Plan
from districtpm.rubrics import actions, presets
from districtpm.rubrics.models import (
    Assessment,
    FinalRating,
    Indicator,
    Member,
    Rating,
    WorkLink,
)

NOTES = [
    "Seen in the leadership team's minutes for September and October.",
    "Walkthrough data from four classrooms.",
    "The intervention schedule shows it for grades K-3 only.",
    "Staff survey: most staff say so; the records are thin.",
    "The data team's agenda shows it every month.",
    "Not visible in the records we looked at.",
    "Family newsletter and the conference sign-in sheets.",
    "Screening results for fall and winter.",
]
STAFF_DOMAIN = "staff.frps.example.org"


def _team_accounts(school: School, rng: random.Random) -> list[User]:
    """Three staff logins of a school (principal, coach, teacher) that rate its self-assessment;
    they sign in through the district's accounts, so they have no password here."""
    unusable = make_password(None)
    users = []
    for role in ("principal", "coach", "teacher"):
        username = f"{role}.{school.code}"
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": rng.choice(
                    ["Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana"]
                ),
                "last_name": rng.choice(["Lopez", "Nguyen", "Okoro", "Park", "Quinn", "Rossi"]),
                "email": f"{username}@{STAFF_DOMAIN}",
                "password": unusable,
            },
        )
        users.append(user)
    return users


def _rate(rng: random.Random, truth: int, top: int) -> int:
    """One member's rating around the team's truth: mostly on it, sometimes a level off, now and
    then two apart."""
    roll = rng.random()
    shift = 0 if roll < 0.6 else rng.choice([-1, 1]) if roll < 0.93 else rng.choice([-2, 2])
    return max(0, min(top, truth + shift))


def _fill(
    assessment: Assessment,
    truths: dict[str, int],
    rng: random.Random,
    *,
    final: bool,
    raters: int | None = None,
) -> None:
    version = assessment.version
    levels = {lv.order: lv for lv in version.levels.all()}
    top = max(levels)
    indicators = list(Indicator.objects.filter(domain__version=version))
    members = list(assessment.members.all())
    rating_rows, finals = [], []
    now = timezone.now()
    for member in members[: raters if raters is not None else len(members)]:
        for indicator in indicators:
            order = _rate(rng, truths[indicator.key], top)
            note = rng.choice(NOTES) if order == top or rng.random() < 0.4 else ""
            rating_rows.append(
                Rating(member=member, indicator=indicator, level=levels[order], note=note)
            )
        member.submitted_at = now
    Rating.objects.bulk_create(rating_rows)
    Member.objects.bulk_update(members, ["submitted_at"])
    if not final:
        return
    by_indicator: dict[int, list[int]] = {}
    for r in rating_rows:
        by_indicator.setdefault(r.indicator_id, []).append(r.level.order)
    for indicator in indicators:
        orders = sorted(by_indicator[indicator.id])
        chosen = orders[len(orders) // 2]
        if chosen == top and not any(r.note for r in rating_rows if r.indicator_id == indicator.id):
            chosen = top - 1
        spread = orders[-1] - orders[0]
        rationale = (
            "The team agreed on the evidence."
            if spread == 0
            else "Most of the team saw it this way; the evidence was discussed."
            if spread == 1
            else "Ratings were far apart; the team settled on the evidence in the records."
        )
        finals.append(
            FinalRating(
                assessment=assessment,
                indicator=indicator,
                level=levels[chosen],
                rationale=rationale,
                decided_by=assessment.facilitator,
            )
        )
    FinalRating.objects.bulk_create(finals)
    assessment.status, assessment.finalised_at = Assessment.Status.FINAL, now
    assessment.save(update_fields=["status", "finalised_at"])


def _link_weak(rng: random.Random, work: list, keep_unlinked: int) -> int:
    """Link weak final ratings to work, leaving a few unlinked for the PM office's list."""
    weak = list(
        FinalRating.objects.filter(level__order=0, assessment__status="final").order_by("pk")
    )
    rng.shuffle(weak)
    links = []
    for final in weak[keep_unlinked:]:
        target = rng.choice(work)
        field = "initiative" if isinstance(target, Initiative) else "action"
        links.append(WorkLink(final=final, **{field: target}))
    WorkLink.objects.bulk_create(links)
    return len(links)


def build_demo_rubrics(plan: Plan, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 13)
    school_version = actions.import_framework(
        presets.school_mtss(), kind="school", acting_user=SYSTEM
    )
    district_version = actions.import_framework(
        presets.district_rubric(), kind="district", acting_user=SYSTEM
    )
    current = SchoolYear.objects.current(timezone.localdate())
    years = list(
        SchoolYear.objects.filter(start_date__lte=current.start_date).order_by("-start_date")[:2]
    )[::-1]
    people = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "pm.office",
                "senior.leader",
                "admin",
                "principal.a",
                "evaluator.a",
                "teacher.a",
                "principal.b",
                "evaluator.b",
                "teacher.b",
            ]
        )
    }
    demo_school = {}
    for side in ("a", "b"):
        principal = people.get(f"principal.{side}")
        school_id = (
            principal.role_assignments.filter(role="principal")
            .values_list("school_id", flat=True)
            .first()
            if principal
            else None
        )
        if school_id:
            demo_school[school_id] = [
                people[f"principal.{side}"],
                people[f"evaluator.{side}"],
                people[f"teacher.{side}"],
            ]
    school_keys = list(
        Indicator.objects.filter(domain__version=school_version).values_list("key", flat=True)
    )
    district_keys = list(
        Indicator.objects.filter(domain__version=district_version).values_list("key", flat=True)
    )
    counts = {"assessments": 0}
    schools = list(School.objects.filter(active=True).order_by("code"))
    for school in schools:
        team = demo_school.get(school.pk) or _team_accounts(school, rng)
        strength = rng.choice([0, 1, 1, 1, 2, 2])
        truths = {k: max(0, min(3, strength + rng.choice([-1, 0, 0, 1]))) for k in school_keys}
        for n, year in enumerate(years):
            if n:  # a year on, a few practices move up, one or two slip
                truths = {
                    k: max(
                        0,
                        min(
                            3, v + (1 if rng.random() < 0.25 else -1 if rng.random() < 0.06 else 0)
                        ),
                    )
                    for k, v in truths.items()
                }
            a = actions.open_assessment(
                school_version,
                school=school,
                school_year=year,
                opens_on=year.start_date + dt.timedelta(days=30),
                closes_on=year.start_date + dt.timedelta(days=75),
                facilitator=team[0],
                team=team,
                acting_user=SYSTEM,
            )
            _fill(a, truths, rng, final=True)
            counts["assessments"] += 1
    district_team = [people["pm.office"], people["senior.leader"], people["admin"]]
    truths = {k: rng.choice([0, 0, 1, 1, 2]) for k in district_keys}
    for n, year in enumerate(years):
        if n:
            truths = {k: min(2, v + (1 if rng.random() < 0.3 else 0)) for k, v in truths.items()}
        a = actions.open_assessment(
            district_version,
            school=None,
            school_year=year,
            opens_on=year.start_date + dt.timedelta(days=45),
            closes_on=year.start_date + dt.timedelta(days=120),
            facilitator=people["pm.office"],
            team=district_team,
            acting_user=SYSTEM,
        )
        last = n == len(years) - 1
        # This year's district rubric is under way: two of three members have submitted.
        _fill(a, truths, rng, final=not last, raters=2 if last else None)
        counts["assessments"] += 1
    work = list(Initiative.objects.filter(priority__plan=plan)) + list(
        PlanAction.objects.all()[:40]
    )
    counts["links"] = _link_weak(rng, work, keep_unlinked=8) if work else 0
    counts["schools"] = len(schools)
    return counts
