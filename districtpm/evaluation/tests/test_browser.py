"""End to end in headless Chromium, with a real SMTP server: school A's evaluator scores an
observation, holds the mid-year conversation and sends the follow-up email the record calls
for; the teacher acknowledges the conversation; the end-of-year rating is refused until its
rationales are written; the HR partner sees the teacher flagged at risk, with the email sent;
then the rating is made final."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.actionplans.tests.test_action_teams import smtp  # noqa: F401  (fixture)
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, records
from districtpm.evaluation.models import Conversation, Evaluation, FollowUp, Observation
from districtpm.web.tests.test_browser import browser, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def _fill(driver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def _date(driver, field_id: str, day) -> None:
    # a date input takes its value in the page's own format; set it as the page's script would
    driver.execute_script(
        "arguments[0].value = arguments[1]", driver.find_element(By.ID, field_id), day.isoformat()
    )


def _click(driver, css: str) -> None:
    driver.find_element(By.CSS_SELECTOR, css).click()


@pytest.fixture
def evaluation(world):
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    made = records.open_evaluation(
        world.staff["teacher_a"], world.school_a, framework, acting_user=SYSTEM
    )
    e = Evaluation.objects.get(pk=made.pk)
    # the spring's results, imported by HR in real life
    for c in framework.components.filter(
        kind__in=["survey", "growth_individual", "growth_collective"]
    ):
        records.score_component(
            e, c, 45 if c.kind == "survey" else 2, "From the spring results.", acting_user=SYSTEM
        )
    return e


def test_an_evaluation_year_from_observation_to_final_rating(
    world,
    evaluation,
    live_server,
    browser,  # noqa: F811
    smtp,  # noqa: F811
):
    base, e = live_server.url, evaluation
    today = min(timezone.localdate(), world.year.end_date)
    page = f"{base}/evaluation/{e.pk}/"

    # 1. The evaluator observes: five indicators scored 1 (not yet there), an action step,
    #    a note stamped with its time; then shares it with the teacher.
    sign_in(browser, base, "evaluator.a")
    browser.get(page)
    browser.find_element(By.LINK_TEXT, "New observation").click()
    wait_until(browser, lambda b: b.find_elements(By.ID, "id_observed_on"))
    _date(browser, "id_observed_on", today)
    scored = []
    selects = browser.find_elements(By.CSS_SELECTOR, "main select")
    for select in selects[:5]:
        Select(select).select_by_visible_text("1")
        scored.append(select.get_attribute("id"))
    _fill(browser, "id_action_step", "Check for understanding before independent work.")
    _click(browser, "main form button[type=submit]")
    wait_until(browser, lambda b: "Observation saved" in b.page_source)
    _fill(browser, "id_text", "Students wait for help; no check of understanding.")
    _click(browser, "form[action$='/notes/'] button")
    wait_until(browser, lambda b: "Note added" in b.page_source)
    _click(browser, "form[action$='/share/'] button")
    wait_until(browser, lambda b: "Shared: the teacher" in b.page_source)
    o = Observation.objects.get(evaluation=e)
    assert o.scores.count() == 5 and o.shared_at and o.notes.count() == 1

    # 2. The mid-year conversation, then the follow-up email the record suggests.
    browser.get(f"{page}conversations/mid_year/")
    _fill(browser, "id_s_practice", "The observation shows students waiting for help.")
    _fill(browser, "id_s_next", "Check for understanding twice a lesson.")
    _date(browser, "id_held_on", today)
    _click(browser, "form[action$='/held/'] button[type=submit]")
    wait_until(browser, lambda b: "Follow-up email to" in b.page_source)
    assert "Projected rating below effective" in browser.page_source  # suggested: at risk
    assert "a follow-up is required" in browser.page_source
    _fill(browser, "id_next_steps", "Check for understanding twice a lesson; coaching weekly.")
    _click(browser, "main form button[type=submit]")
    wait_until(browser, lambda b: b.find_elements(By.ID, "id_body"))
    body = browser.find_element(By.ID, "id_body")
    assert "Dear Tess," in body.get_attribute("value")
    body.send_keys("\nI am glad we talked.")
    _click(browser, "button[name=send]")
    wait_until(browser, lambda b: "Email sent to teacher_a@example.org" in b.page_source)
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["teacher_a@example.org"]
    sent = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    assert "coaching weekly" in sent.get_content() and "I am glad we talked." in sent.get_content()
    assert FollowUp.objects.get(evaluation=e).template == "at_risk_rating"

    # 3. The teacher reads the notes and acknowledges the conversation.
    sign_in(browser, base, "teacher.a")
    browser.get(f"{page}conversations/mid_year/")
    assert "students waiting for help" in browser.page_source
    _fill(browser, "id_comment", "I see the waiting differently.")
    _click(browser, "form[action$='/acknowledge/'] button")
    wait_until(browser, lambda b: "Acknowledged. Thank you." in b.page_source)
    assert Conversation.objects.get(evaluation=e, kind="mid_year").acknowledged_at

    # 4. The end of the year: scores without rationales cannot be made final.
    sign_in(browser, base, "evaluator.a")
    browser.get(page)
    for kind, score in [("observation", "1.5"), ("professionalism", "2")]:
        c = e.framework.components.get(kind=kind)
        _click(browser, f"#component-{c.pk} summary")
        _fill(browser, f"id_c{c.pk}-score", score)
        _click(browser, f"#component-{c.pk} form button")
        wait_until(browser, lambda b, name=c.name: f"{name} scored." in b.page_source)
    _click(browser, "form[action$='/finalise/'] button")
    wait_until(browser, lambda b: "Not final yet." in b.page_source)
    assert "A rationale is needed for: Observation of practice, Professionalism." in (
        browser.page_source
    )
    assert "A rationale is needed for the overall rating." in browser.page_source
    e.refresh_from_db()
    assert e.state == Evaluation.State.OPEN

    # 5. The HR partner sees the teacher flagged at risk, with the follow-up sent.
    sign_in(browser, base, "hr.partner")
    browser.get(f"{base}/evaluation/?year={world.year.name}")
    wait_until(browser, lambda b: "Teachers at risk" in b.page_source)
    row = browser.find_element(By.XPATH, "//section[@aria-labelledby='risk-h']//tr[th/a]")
    assert "Tess Ash" in row.text
    assert "The rating projected so far is ineffective." in row.text
    assert f"Sent {timezone.localdate():%-d %b %Y}" in row.text

    # 6. With every rationale written, the rating is final.
    sign_in(browser, base, "evaluator.a")
    browser.get(page)
    for kind in ["observation", "professionalism"]:
        c = e.framework.components.get(kind=kind)
        _click(browser, f"#component-{c.pk} summary")
        _fill(browser, f"id_c{c.pk}-rationale", "Below the expectation in every observation.")
        _click(browser, f"#component-{c.pk} form button")
        wait_until(browser, lambda b, name=c.name: f"{name} scored." in b.page_source)
    _fill(browser, "id_rationale", "The year's evidence falls short of effective practice.")
    _click(browser, "form[action$='/finalise/'] button")
    wait_until(browser, lambda b: "The evaluation is final." in b.page_source)
    e.refresh_from_db()
    assert e.state == Evaluation.State.FINAL and e.final_level.state_rating == "ineffective"
