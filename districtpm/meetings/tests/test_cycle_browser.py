"""End to end in headless Chromium: the PM office plans the year, an action team lead sends a
status update, the Explore page shows it beside the data pack, and a decision recorded there
appears at the next meeting."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.actionplans.models import ActionTeam
from districtpm.meetings.models import Meeting
from districtpm.plans.models import Goal, Initiative, Target
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def ready(plan, world):  # noqa: F811
    """The plan fixture's priority with a goal, a leading measure and an action team."""
    priority = plan.priorities.get()
    goal = Goal.objects.create(
        plan=plan,
        priority=priority,
        statement="Raise ELA proficiency by 2028-2029",
        metric_id="ela_proficiency",
        baseline_year="2024-2025",
        baseline_value=0.3,
        goal_year="2028-2029",
    )
    Target.objects.create(goal=goal, school_year="2028-2029", value=0.45)
    goal.leading_metrics.set(["ela_interim_on_track"])
    Initiative.objects.create(priority=priority, name="Tutoring")
    return ActionTeam.objects.create(
        priority=priority, name="Great Schools", lead=world.users["team_lead"]
    )


def test_a_month_of_performance_dialogues_in_the_browser(ready, world, live_server, browser):  # noqa: F811
    base = live_server.url
    # 1. The PM office plans the year.
    sign_in(browser, base, "pm.office")
    browser.find_element(By.LINK_TEXT, "Meeting cycles").click()
    wait_until(browser, lambda b: heading(b).startswith("Meeting cycles"))
    assert "No meetings" in browser.page_source
    Select(browser.find_element(By.ID, "id_preset")).select_by_visible_text("Performance Dialogues")
    Select(browser.find_element(By.ID, "id_school_year")).select_by_visible_text("2026-2027")
    browser.find_element(By.ID, "plan-year").click()
    wait_until(browser, lambda b: "27 meetings created" in b.page_source)
    assert len(browser.find_elements(By.LINK_TEXT, "Explore")) == 9  # September to May
    explore = Meeting.objects.get(rule__kind="explore", focus_month="2026-11-01")

    # 2. The action team lead sends the November update.
    sign_in(browser, base, "team.lead")
    browser.find_element(By.LINK_TEXT, "Action teams and plans").click()
    browser.find_element(By.LINK_TEXT, "Great Schools").click()
    wait_until(browser, lambda b: heading(b).startswith("Great Schools"))
    browser.get(f"{base}/action-plans/teams/{ready.pk}/updates/2026-11-01/")
    browser.find_element(By.CSS_SELECTOR, "input[name=timeline][value=on_track]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=scope][value=at_risk]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=resources][value=off_track]").click()
    browser.find_element(By.ID, "id_narrative").send_keys("Tutors start in two schools next week.")
    browser.find_element(By.ID, "send-update").click()
    wait_until(browser, lambda b: "Status update for November 2026 saved" in b.page_source)

    # 3. At Explore the update sits beside the data pack; a decision is recorded.
    sign_in(browser, base, "pm.office")
    browser.get(f"{base}/meetings/?year=2026-2027")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/meetings/{explore.pk}/"]').click()
    wait_until(browser, lambda b: heading(b).startswith("Performance Dialogues: Explore"))
    updates = browser.find_element(By.ID, "status-updates").text
    assert "Great Schools" in updates and "Tutors start in two schools" in updates
    assert "At risk" in updates and "Off track" in updates
    pack = browser.find_element(By.CSS_SELECTOR, ".workspace-pack")
    assert "Raise ELA proficiency by 2028-2029" in pack.text
    wait_until(
        browser, lambda b: b.find_element(By.ID, "pack-chart-1").get_attribute("data-rendered")
    )
    Select(browser.find_element(By.ID, "id_kind")).select_by_visible_text("Decision")
    browser.find_element(By.ID, "id_text").send_keys("Fund two more tutors from January.")
    browser.find_element(By.CSS_SELECTOR, "#record button[type=submit]").click()
    wait_until(browser, lambda b: "Decision recorded" in b.page_source)

    # 4. The next meeting carries the decision forward.
    following = (
        Meeting.objects.filter(cycle=explore.cycle, date__gt=explore.date).order_by("date").first()
    )
    browser.get(f"{base}/meetings/?year=2026-2027")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/meetings/{following.pk}/"]').click()
    wait_until(browser, lambda b: heading(b) != "Meeting cycles 2026-2027")
    carried = browser.find_element(By.ID, "carried-decisions").text
    assert "Fund two more tutors from January." in carried
