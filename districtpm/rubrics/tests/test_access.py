"""By URL, every assessment page and download refuses a teacher outside the team and another
school's principal, reading and writing alike, and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions
from districtpm.rubrics.models import FinalRating, Indicator, Rating, WorkLink
from districtpm.rubrics.urls import urlpatterns


@pytest.fixture
def closed_team(world, frameworks):
    """School A's self-assessment without teacher_a on the team, rated, decided, one link."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from districtpm.plans.models import Initiative, Plan, Priority

    u = world.users
    a = actions.open_assessment(
        frameworks["school"],
        school=world.school_a,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        facilitator=u["principal_a"],
        team=[u["principal_a"], u["evaluator_a"]],
        acting_user=SYSTEM,
    )
    levels = {lv.order: lv for lv in a.version.levels.all()}
    indicators = list(Indicator.objects.filter(domain__version=a.version))
    for who in ["principal_a", "evaluator_a"]:
        member = a.members.get(user=u[who])
        values = {i.id: actions.RatingInput(level=levels[0], note="n") for i in indicators}
        values[indicators[0].id].file = SimpleUploadedFile("notes.txt", b"private notes")
        actions.save_ratings(member, values, acting_user=SYSTEM)
    for i in indicators:
        actions.decide_rating(a, i, levels[0], rationale="r", acting_user=SYSTEM)
    plan = Plan.objects.create(name="P", first_year="2024-2025", last_year="2029-2030")
    initiative = Initiative.objects.create(
        priority=Priority.objects.create(plan=plan, name="Pr", order=1), name="Screening"
    )
    final = FinalRating.objects.filter(assessment=a).first()
    link = actions.link_work(final, initiative, acting_user=SYSTEM)
    return {
        "pk": a.pk,
        "indicator": indicators[0].pk,
        "member": a.members.first().pk,
        "final": final.pk,
        "link": link.pk,
        "rating": Rating.objects.exclude(file="").first().pk,
    }


def _urls(ids):
    """Every route of the app that names something of the assessment, with its arguments."""
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        if "assessments/<int:pk>" in route:
            kwargs = {"pk": ids["pk"]}
            if "<int:indicator>" in route:
                kwargs["indicator"] = ids["indicator"]
            if "<int:member>" in route:
                kwargs["member"] = ids["member"]
        elif route.startswith("finals/"):
            kwargs = {"pk": ids["final"]}
        elif route.startswith("links/"):
            kwargs = {"pk": ids["link"]}
        elif route.startswith("ratings/"):
            kwargs = {"pk": ids["rating"]}
        else:
            continue
        yield pattern.name, reverse(f"rubrics:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("outsider", ["teacher_a", "principal_b", "evaluator_b", "network_2"])
def test_outsiders_are_refused_every_assessment_url(world, login, closed_team, outsider):
    client = login(world.users[outsider])
    urls = list(_urls(closed_team))
    assert len(urls) == 13  # the framework pages are not of an assessment
    before = (
        Rating.objects.count(),
        FinalRating.objects.count(),
        WorkLink.objects.count(),
        AuditEntry.objects.count(),
    )
    for name, url in urls:
        for method in (client.get, client.post):
            response = method(url, {"level": "1", "rationale": "x", "reason": "x", "target": "x:1"})
            assert response.status_code in (403, 404, 405), (
                outsider,
                name,
                method,
                response.status_code,
            )
            assert response.status_code != 405 or method == client.get, (
                name,
                "a POST reached the view",
            )
    after = (
        Rating.objects.count(),
        FinalRating.objects.count(),
        WorkLink.objects.count(),
        AuditEntry.objects.count(),
    )
    assert before == after


def test_insiders_reach_the_pages(world, login, closed_team):
    for who in ["principal_a", "evaluator_a", "network_1"]:
        client = login(world.users[who])
        for name in ["assessment", "report", "report_xlsx", "report_pdf"]:
            url = reverse(f"rubrics:{name}", args=[closed_team["pk"]])
            assert client.get(url).status_code == 200, (who, name)


def test_the_list_page_runs_the_same_queries_for_two_assessments_as_for_six(
    world, frameworks, login, query_count
):
    client = login(world.users["pm"])
    u = world.users

    def add(n):
        from districtpm.org.models import SchoolYear

        for i in range(n):
            year = SchoolYear.objects.create(
                district=world.district,
                name=f"20{10 + i + n}-20{11 + i + n}",
                start_date=dt.date(2010 + i + n, 8, 1),
                end_date=dt.date(2011 + i + n, 6, 1),
            )
            actions.open_assessment(
                frameworks["district"],
                school=None,
                school_year=year,
                opens_on=dt.date(2010 + i + n, 9, 1),
                closes_on=dt.date(2010 + i + n, 9, 30),
                facilitator=u["pm"],
                team=[u["pm"], u["slt"]],
                acting_user=SYSTEM,
            )

    add(2)
    two = query_count.page(client, reverse("rubrics:home"))
    add(4)
    six = query_count.page(client, reverse("rubrics:home"))
    assert two == six
