"""The story behind the number: the goal's owner writes the month's commentary, the PM office
approves it (or returns it with a note), and only then do the Board's view and pack show it."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pptx import Presentation

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.meetings import pack
from districtpm.meetings.models import Meeting
from districtpm.meetings.schedule import plan_year
from districtpm.plans import actions
from districtpm.plans.models import Commentary, Goal, Target
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)

STORY = {
    "what_happened": "Proficiency rose <b>two points</b> in the fall window.",
    "why": "Tutoring reached every third grade.",
    "what_next": "Extend it to fourth grade in January.",
}


@pytest.fixture
def goal(plan, world):  # noqa: F811
    goal = Goal.objects.create(
        plan=plan,
        priority=plan.priorities.get(),
        statement="Raise ELA proficiency by 2028-2029",
        metric_id="ela_proficiency",
        baseline_year="2024-2025",
        baseline_value=0.3,
        goal_year="2028-2029",
        owner=world.users["team_lead"],
    )
    Target.objects.create(goal=goal, school_year="2028-2029", value=0.45)
    return goal


def test_the_owner_writes_the_office_approves_and_only_then_the_board_reads_it(goal, world, login):
    url = reverse("plans:commentary", args=[goal.pk])
    board_view = reverse("plans:board")
    owner = login(world.users["team_lead"])
    assert owner.post(url, {**STORY, "submit": "yes"}).status_code == 302
    c = Commentary.objects.get()
    assert c.state == "submitted" and c.month == timezone.localdate().replace(day=1)
    board = login(world.users["board"])
    assert "two points" not in board.get(board_view).content.decode()
    assert "two points" not in board.get(reverse("plans:goal", args=[goal.pk])).content.decode()
    # only the office approves; returning needs a note
    with pytest.raises(PermissionDenied):
        actions.review_commentary(c, approve=True, acting_user=world.users["slt"])
    with pytest.raises(ValidationError, match="Say what to change"):
        actions.review_commentary(c, approve=False, acting_user=world.users["pm"])
    review = reverse("plans:review", args=[goal.pk, c.pk])
    login(world.users["pm"]).post(review, {"decision": "approve"})
    c.refresh_from_db()
    assert c.state == "approved" and c.reviewed_by == world.users["pm"]
    page = login(world.users["board"]).get(board_view).content.decode()
    assert "The story behind the numbers" in page
    assert "Proficiency rose &lt;b&gt;two points&lt;/b&gt; in the fall window." in page
    assert [e.action for e in AuditEntry.objects.order_by("pk") if "commentary" in e.action] == [
        "plans.commentary.submit",
        "plans.commentary.approve",
    ]


def test_only_the_owner_or_the_plans_keepers_write_it(goal, world, login):
    url = reverse("plans:commentary", args=[goal.pk])
    page = login(world.users["principal_a"]).get(reverse("plans:goal", args=[goal.pk]))
    assert "Send for approval" not in page.content.decode()
    assert login(world.users["principal_a"]).post(url, STORY).status_code == 403
    assert not Commentary.objects.exists()
    assert login(world.users["pm"]).post(url, {**STORY, "submit": "no"}).status_code == 302
    assert Commentary.objects.get().state == "draft"


def test_the_board_pack_carries_the_approved_story(goal, world):
    actions.save_commentary(
        goal, timezone.localdate(), STORY, submit=True, acting_user=world.users["team_lead"]
    )
    c = Commentary.objects.get()
    plan_year(world.year.name, "performance-dialogues", acting_user=SYSTEM)
    meeting = (
        Meeting.objects.filter(rule__kind="empower", focus_month__gte=c.month)
        .order_by("date")
        .first()
    )
    assert pack.assemble(meeting, user=world.users["board"], board=True).stories == []
    actions.review_commentary(c, approve=True, acting_user=world.users["pm"])
    built = pack.assemble(meeting, user=world.users["board"], board=True)
    assert [g.pk for g, _ in built.stories] == [goal.pk]
    deck = Presentation(io.BytesIO(pack.to_pptx(built)))
    slide = next(s for s in deck.slides if s.shapes.title.text == "The story behind the numbers")
    cells = [
        cell.text for shape in slide.shapes if shape.has_table for cell in shape.table.iter_cells()
    ]
    assert STORY["what_happened"] in cells and STORY["what_next"] in cells
