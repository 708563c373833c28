"""End to end in headless Chromium: school A's principal writes a problem statement from a
metric and a student group (its figures from the stored engine values), verifies a cause against
an indicator of the school's self-assessment, builds a plan with a leading measure, writes and
publishes the Blueprint; then a browser that never signed in opens it in Spanish."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.improvement.models import (
    Blueprint,
    InitiativeMeasure,
    ProblemStatement,
    RootCause,
    SchoolPlan,
)
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def _fill(driver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def _submit(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def _loaded(driver) -> None:
    wait_until(driver, lambda b: b.execute_script("return document.readyState") == "complete")


def test_from_data_to_a_published_blueprint_read_in_spanish(
    world,
    ela,
    final_self_assessment,
    live_server,
    browser,  # noqa: F811
):
    base = live_server.url
    sign_in(browser, base, "principal.a")

    # 1. A problem statement from ELA proficiency for English learners, 2025-2026.
    browser.get(f"{base}/school-improvement/problems/new/")
    Select(browser.find_element(By.ID, "id_school")).select_by_visible_text(world.school_a.name)
    Select(browser.find_element(By.ID, "id_metric")).select_by_visible_text(ela.name)
    Select(browser.find_element(By.ID, "id_school_year")).select_by_visible_text("2025-2026")
    Select(browser.find_element(By.ID, "id_group")).select_by_visible_text("English learners")
    _fill(browser, "id_desired", "45")
    _submit(browser)
    wait_until(browser, lambda b: "Current state" in b.page_source)
    statement = ProblemStatement.objects.get()
    assert (statement.current_value, statement.current_n) == (0.31, 64)  # the stored values
    assert "31% (n = 64)" in browser.page_source

    # 2. A cause, verified against an indicator of the self-assessment.
    _fill(browser, "hypothesis", "Little small-group reading time for English learners")
    browser.find_element(By.ID, "hypothesis").submit()
    wait_until(
        browser,
        lambda b: RootCause.objects.exists() and b.find_elements(By.NAME, "indicator_rating"),
    )
    cause = RootCause.objects.get()
    indicator = Select(browser.find_element(By.ID, f"ind-{cause.pk}"))
    indicator.select_by_index(1)
    chosen = indicator.first_selected_option.text
    _fill(browser, f"ev-{cause.pk}", "Schedules show 20 minutes a week")
    browser.find_element(
        By.CSS_SELECTOR, f"form[action$='/causes/{cause.pk}/decide/'] button[value=verified]"
    ).click()
    wait_until(browser, lambda b: "Cause verified" in b.page_source)
    cause.refresh_from_db()
    assert cause.status == "verified" and cause.indicator_rating is not None
    assert cause.indicator_rating.indicator.name in chosen

    # 3. The plan: an area answering the statement, an initiative, a leading measure.
    browser.get(f"{base}/school-improvement/plans/?year={world.year.name}")
    browser.find_element(By.CSS_SELECTOR, "form[action$='/plans/start/'] button").click()
    wait_until(browser, lambda b: "improvement plan" in heading(b))
    plan = SchoolPlan.objects.get(school=world.school_a)
    browser.find_element(By.LINK_TEXT, "Add an area of focus").click()
    _fill(browser, "id_name", "Reading for English learners")
    Select(browser.find_element(By.ID, "id_problem")).select_by_index(1)
    _submit(browser)
    wait_until(browser, lambda b: "Area of focus saved" in b.page_source)
    browser.find_element(By.LINK_TEXT, "Add an initiative").click()
    _fill(browser, "id_name", "Daily small-group reading")
    _fill(browser, "id_name_es", "Lectura diaria en grupos pequeños")
    _submit(browser)
    wait_until(browser, lambda b: "Initiative saved" in b.page_source)
    browser.find_element(By.LINK_TEXT, "Add a measure").click()
    Select(browser.find_element(By.ID, "id_kind")).select_by_visible_text("Leading")
    Select(browser.find_element(By.ID, "id_metric")).select_by_visible_text(ela.name)
    Select(browser.find_element(By.ID, "id_group")).select_by_visible_text("English learners")
    _fill(browser, "id_target", "40")
    _submit(browser)
    wait_until(browser, lambda b: "Measure saved" in b.page_source)
    measure = InitiativeMeasure.objects.get()
    assert (measure.kind, measure.group_value, measure.target) == ("leading", "yes", 0.4)
    assert "Verified cause" in browser.page_source  # the statement's cause shows in its area
    browser.find_element(By.LINK_TEXT, "Write the theory of action").click()
    _fill(
        browser,
        "id_theory_of_action",
        "If English learners read in small groups daily, their reading grows.",
    )
    _submit(browser)
    wait_until(browser, lambda b: "Theory of action saved" in b.page_source)

    # 4. The Blueprint: goals in both languages, a reading measure; preview, then publish.
    browser.find_element(By.LINK_TEXT, "Write the Blueprint").click()
    _fill(browser, "id_goals", "Every English learner grows a year in reading.")
    _fill(browser, "id_goals_es", "Cada estudiante de inglés avanza un año en lectura.")
    _fill(browser, "id_theory_es", "Si leen a diario en grupos pequeños, su lectura mejora.")
    Select(browser.find_element(By.ID, "id_reading-metric")).select_by_visible_text(ela.name)
    _fill(browser, "id_reading-label", "Students reading at grade level")
    _fill(browser, "id_reading-label_es", "Estudiantes que leen al nivel de su grado")
    _fill(browser, "id_reading-target", "60")
    _submit(browser)
    wait_until(browser, lambda b: "Preview: not published" in b.page_source)
    browser.find_element(By.CSS_SELECTOR, ".preview-bar button").click()
    wait_until(browser, lambda b: "The Blueprint is public" in b.page_source)
    assert Blueprint.objects.get(plan=plan).published_at is not None

    # 5. Someone who never signed in opens it, in Spanish.
    browser.delete_all_cookies()
    browser.get(f"{base}/blueprints/")
    _loaded(browser)
    browser.find_element(By.LINK_TEXT, "Español").click()
    wait_until(browser, lambda b: "Planes escolares" in heading(b))
    browser.find_element(By.LINK_TEXT, world.school_a.name).click()
    wait_until(browser, lambda b: heading(b) == world.school_a.name)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    page = browser.find_element(By.TAG_NAME, "main").text
    for words in [
        "Nuestras metas",
        "Cada estudiante de inglés avanza un año en lectura.",
        "Si leen a diario en grupos pequeños",
        "Lectura diaria en grupos pequeños",
        "Aprendizaje: lectura",
        "Estudiantes que leen al nivel de su grado",
    ]:
        assert words in page, words
    assert re.search(r"60\s%", page)  # the goal, in Spanish number style
    assert "Sign out" not in browser.page_source  # nobody is signed in
