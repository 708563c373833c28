"""The Content-Security-Policy in a real browser: every template family loads without a single
violation, HTMX and the small behaviours still work, and the Vega charts still render."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.core.scoping import SYSTEM
from districtpm.meetings import schedule
from districtpm.meetings.models import Meeting
from districtpm.meetings.tests.test_cycle_browser import ready  # noqa: F401  (fixture)
from districtpm.plans.models import Goal
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)
from districtpm.web.tests.test_browser import (
    chromium,
    heading,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def logging_browser():
    """Headless Chromium that keeps the page's console, where CSP violations are reported."""
    with chromium(keep_console=True) as driver:
        yield driver


def console_problems(browser) -> list[str]:
    """Console messages since the last call that report a CSP violation or a script error."""
    problems = []
    for entry in browser.get_log("browser"):
        message = entry.get("message", "")
        if "Content Security Policy" in message or "Refused to" in message or "Uncaught" in message:
            problems.append(message)
    return problems


def visit(browser, url: str) -> None:
    browser.get(url)
    wait_until(browser, lambda b: b.execute_script("return document.readyState") == "complete")
    assert "went wrong" not in heading(browser), url


def wait_for_chart(browser, selector: str) -> None:
    """The chart's container was filled by vega-embed with an SVG that has marks in it."""
    wait_until(
        browser,
        lambda b: b.find_element(By.CSS_SELECTOR, selector).get_attribute("data-rendered"),
    )
    marks = browser.find_elements(
        By.CSS_SELECTOR, f"{selector} svg .mark-line, {selector} svg path"
    )
    assert marks, f"no chart drawn in {selector}"


@pytest.fixture
def meeting(ready, world):  # noqa: F811
    """The November Explore meeting of a planned Performance Dialogues year."""
    schedule.plan_year(world.year.name, "performance-dialogues", acting_user=SYSTEM)
    return Meeting.objects.get(rule__kind="explore", focus_month="2026-11-01")


def test_every_template_family_satisfies_the_policy(
    ready,  # noqa: F811
    meeting,
    world,
    live_server,
    logging_browser,
):
    browser = logging_browser
    base = live_server.url
    goal = Goal.objects.get()

    # The policy is in force: a script injected into the page is refused by the browser.
    visit(browser, f"{base}/login/")
    browser.execute_script(
        "var s = document.createElement('script');"
        "s.textContent = 'window.inlineRan = true';"
        "document.head.appendChild(s);"
    )
    assert browser.execute_script("return window.inlineRan === true") is False
    assert any("Content Security Policy" in p for p in console_problems(browser))

    visit(browser, f"{base}/login/")
    sign_in(browser, base, "pm.office")
    problems: dict[str, list[str]] = {}
    pages = [
        "/",
        "/org/",
        f"/org/schools/{world.school_a.pk}/",
        "/data/metrics/ela_proficiency/",
        "/plan/",
        "/plan/scorecards/",
        f"/plan/goals/{goal.pk}/",
        "/meetings/?year=2026-2027",
        f"/meetings/{meeting.pk}/",
        "/action-plans/",
        f"/action-plans/teams/{ready.pk}/",
        "/audit/",
        "/no-such-page/",
    ]
    for path in pages:
        visit(browser, base + path)
        if path.startswith("/data/metrics/"):
            wait_for_chart(browser, "#trend-chart")
        if path.startswith("/plan/goals/"):
            wait_for_chart(browser, "#trend-chart")
        if path.startswith("/meetings/") and path != "/meetings/?year=2026-2027":
            wait_for_chart(browser, "#pack-chart-1")
        problems[path] = console_problems(browser)

    # HTMX swaps search results in place.
    visit(browser, f"{base}/org/schools/")
    browser.find_element(By.ID, "id_q").send_keys("Birch")
    wait_until(
        browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#school-results tbody tr")) == 1
    )
    problems["/org/schools/ (search)"] = console_problems(browser)

    # Cancelling a meeting still asks first (the confirm moved from onclick to app.js).
    visit(browser, f"{base}/meetings/{meeting.pk}/")
    browser.find_element(By.XPATH, "//summary[starts-with(., 'Move, hold or cancel')]").click()
    browser.find_element(By.CSS_SELECTOR, "button[value=cancelled]").click()
    alert = wait_until(browser, lambda b: b.switch_to.alert)
    assert alert.text.startswith("Cancel this meeting?")
    alert.dismiss()
    meeting.refresh_from_db()
    assert meeting.state == "scheduled"
    problems["/meetings/<pk>/ (cancel)"] = console_problems(browser)

    # The metric catalogue's filter submits itself when changed (no inline onchange any more).
    visit(browser, f"{base}/data/")
    Select(browser.find_element(By.ID, "id_kind")).select_by_value("lagging")
    wait_until(browser, lambda b: "kind=lagging" in b.current_url)
    problems["/data/ (filter)"] = console_problems(browser)

    found = [f"{path}: {message}" for path, messages in problems.items() for message in messages]
    assert not found, "\n".join(found)
