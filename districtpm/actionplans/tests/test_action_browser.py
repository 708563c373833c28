"""End to end in headless Chromium: a team lead edits an action's owner (through the people
picker, searching as one types) and due date, links it to an initiative and sees it on the
timeline; the PM office corrects a recorded decision and finds it in the decision log."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction
from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.meetings.models import Meeting, MeetingItem
from districtpm.meetings.schedule import plan_year
from districtpm.plans.models import Initiative
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def team_plan(plan, world):  # noqa: F811
    priority = plan.priorities.get()
    Initiative.objects.create(priority=priority, name="Tutoring")
    Initiative.objects.create(priority=priority, name="Attendance liaisons")
    team = ActionTeam.objects.create(
        priority=priority, name="Great Schools", lead=world.users["team_lead"]
    )
    team.members.set([world.users["team_member"]])
    action_plan = ActionPlan.objects.create(team=team, school_year=world.year.name)
    action = PlanAction.objects.create(
        plan=action_plan,
        name="Train the tutors",
        owner=world.users["team_lead"],
        due_date=dt.date(2026, 12, 18),
    )
    return team, action


def _set_date(driver, element_id: str, value: str) -> None:
    field = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].value = arguments[1]", field, value)


def test_a_team_lead_reworks_an_action_and_the_office_corrects_a_decision(
    team_plan,
    world,
    live_server,
    browser,  # noqa: F811
):
    team, action = team_plan
    base = live_server.url
    sign_in(browser, base, "team.lead")
    browser.get(f"{base}/action-plans/teams/{team.pk}/")
    browser.find_element(By.CSS_SELECTOR, 'a[aria-label="Edit Train the tutors"]').click()
    wait_until(browser, lambda b: heading(b).startswith("Edit an action"))
    owner = Select(browser.find_element(By.ID, "id_owner"))
    offered = [o.text for o in owner.options]
    assert offered[0].startswith("-") and len(offered) > 2
    assert not any("Pat Alder" in o for o in offered)  # a principal is not on the team
    # search as one types: the server answers with the people who match, and only them
    search = browser.find_element(By.ID, "id_owner_search")
    search.send_keys("Naka")
    wait_until(browser, lambda b: len(Select(b.find_element(By.ID, "id_owner")).options) == 2)
    Select(browser.find_element(By.ID, "id_owner")).select_by_index(1)
    _set_date(browser, "id_start_date", "2027-01-11")
    _set_date(browser, "id_due_date", "2027-03-15")
    Select(browser.find_element(By.ID, "id_initiative")).select_by_visible_text("Tutoring")
    percent = browser.find_element(By.ID, "id_percent_complete")
    percent.clear()
    percent.send_keys("40")
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    wait_until(browser, lambda b: heading(b).startswith("Great Schools"))
    action.refresh_from_db()
    assert action.owner == world.users["team_member"]
    assert action.due_date == dt.date(2027, 3, 15) and action.start_date == dt.date(2027, 1, 11)
    assert action.initiative.name == "Tutoring" and action.percent_complete == 40
    change = AuditEntry.objects.get(action="actionplans.action.change")
    assert change.before["due_date"] == "2026-12-18" and change.after["due_date"] == "2027-03-15"
    # on the timeline: a bar from the start to the due date, 40% done
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.timeline rect title")
    texts = [b.get_attribute("textContent") for b in bars]
    assert "Train the tutors: 11 Jan 2027 to 15 Mar 2027, 40% done" in texts
    row = browser.find_element(By.XPATH, "//td[contains(., 'Train the tutors')]/..").text
    assert "Tom Nakamura" in row and "Tutoring" in row

    # The PM office corrects a decision recorded at a meeting, then finds it in the log.
    plan_year(world.year.name, "performance-dialogues", acting_user=SYSTEM)
    meeting = Meeting.objects.filter(rule__kind="explore").order_by("date").first()
    decision = MeetingItem.objects.create(
        meeting=meeting,
        kind=MeetingItem.Kind.DECISION,
        text="Fund tutors for two schools",
        created_by=world.users["pm"],
    )
    sign_in(browser, base, "pm.office")
    browser.get(f"{base}/meetings/{meeting.pk}/")
    browser.find_element(
        By.CSS_SELECTOR, 'a[aria-label="Edit: Fund tutors for two schools"]'
    ).click()
    wait_until(browser, lambda b: heading(b).startswith("Edit a decision"))
    text = browser.find_element(By.ID, "id_text")
    text.clear()
    text.send_keys("Fund tutors for all four schools")
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    wait_until(browser, lambda b: "Decision saved." in b.page_source)
    decision.refresh_from_db()
    assert decision.text == "Fund tutors for all four schools"
    entry = AuditEntry.objects.get(action="meetings.item.change")
    assert entry.before["text"] == "Fund tutors for two schools"
    browser.find_element(By.LINK_TEXT, "Every decision and commitment, across meetings").click()
    wait_until(browser, lambda b: heading(b).startswith("Decisions and commitments"))
    Select(browser.find_element(By.ID, "id_kind")).select_by_visible_text("Decisions")
    browser.find_element(By.CSS_SELECTOR, "form.toolbar button[type=submit]").click()
    wait_until(browser, lambda b: "kind=decision" in b.current_url)
    log = browser.find_element(By.ID, "decision-log").text
    assert "Fund tutors for all four schools" in log and "two schools" not in log
