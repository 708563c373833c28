"""Scorecards to share: a principal reaches their school's scorecard in one click from home; a
print of it (Chromium's own print to PDF) is one clean document with no navigation; the
PowerPoint export holds the page's goals and is scoped like the page; the board view has nothing
to drill into."""

from __future__ import annotations

import base64
import io

import pytest
import time_machine
from django.urls import reverse
from pptx import Presentation
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

from districtpm.plans.models import Goal, Target
from districtpm.plans.tests.test_plan_pages import TODAY, plan  # noqa: F401  (fixture)
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

STATEMENT = "Raise ELA proficiency by 2028-2029 <b>for every reader</b>"
NAVIGATION = ["Skip to main content", "Sign out", "Signed in as", "Audit log", "data shown is"]


@pytest.fixture
def goal(plan, world):  # noqa: F811
    goal = Goal.objects.create(
        plan=plan,
        priority=plan.priorities.get(),
        statement=STATEMENT,
        metric_id="ela_proficiency",
        baseline_year="2024-2025",
        baseline_value=0.3,
        goal_year="2028-2029",
    )
    Target.objects.create(goal=goal, school_year="2028-2029", value=0.45)
    return goal


@pytest.mark.browser
def test_a_principal_reaches_the_school_scorecard_in_one_click_and_prints_it_clean(
    goal,
    world,
    live_server,
    browser,  # noqa: F811
):
    sign_in(browser, live_server.url, "principal.a")
    browser.find_element(By.LINK_TEXT, "Aspen Elementary scorecard").click()
    wait_until(browser, lambda b: heading(b).startswith("Aspen Elementary"))
    assert "School scorecard" in heading(browser)
    assert STATEMENT in browser.page_source.replace("&lt;", "<").replace("&gt;", ">")
    options = PrintOptions()
    options.background = False
    pdf = PdfReader(io.BytesIO(base64.b64decode(browser.print_page(options))))
    words = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert len(pdf.pages) == 1
    assert "Aspen Elementary" in words and "for every reader" in words
    assert "Goals and where they stand" in words
    for item in [*NAVIGATION, "Print this scorecard", "Download as PowerPoint"]:
        assert item not in words, item
    # the navigation is there on screen: it is the print stylesheet that leaves it out
    assert "Sign out" in browser.page_source


@time_machine.travel(TODAY)
def test_the_powerpoint_export_holds_the_goals_and_is_scoped_like_the_page(goal, world, login):
    url = reverse("plans:school_scorecard", args=["101"])
    response = login(world.users["principal_a"]).get(url, {"format": "pptx"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="aspen-elementary-scorecard.pptx"'
    )
    deck = Presentation(io.BytesIO(response.content))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[:2] == ["Aspen Elementary scorecard", "Goals and where they stand"]
    cells = [
        c.text
        for s in deck.slides
        for sh in s.shapes
        if sh.has_table
        for c in sh.table.iter_cells()
    ]
    assert STATEMENT in cells  # as typed: the markup is text
    # another school's principal gets no scorecard of Aspen, in any format
    other = login(world.users["principal_b"]).get(url, {"format": "pptx"})
    assert other.status_code == 404


@time_machine.travel(TODAY)
def test_the_board_view_has_nothing_to_drill_into(goal, world, login):
    page = login(world.users["board"]).get(reverse("plans:board")).content.decode()
    assert "Network One" in page
    assert reverse("plans:network_scorecard", args=["N1"]) not in page
    assert reverse("plans:goal", args=[goal.pk]) not in page
    district = login(world.users["pm"]).get(reverse("plans:district_scorecard")).content.decode()
    assert reverse("plans:network_scorecard", args=["N1"]) in district


@time_machine.travel(TODAY)
def test_home_leads_each_role_to_its_own_scorecards(goal, world, login):
    home = login(world.users["principal_a"]).get("/").content.decode()
    assert reverse("plans:school_scorecard", args=["101"]) in home
    assert reverse("plans:school_scorecard", args=["102"]) not in home
    network = login(world.users["network_1"]).get("/").content.decode()
    assert reverse("plans:network_scorecard", args=["N1"]) in network
    pm = login(world.users["pm"]).get("/").content.decode()
    assert reverse("plans:district_scorecard") in pm
    teacher = login(world.users["teacher_a"]).get("/").content.decode()
    assert "scorecard" not in teacher.lower()
