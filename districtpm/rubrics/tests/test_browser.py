"""End to end in headless Chromium: three members of school A's team rate on their own, the
consensus view flags the indicator they disagree on, the facilitator records its final rating
with a rationale and finalises, and the school's heatmap cell and trend change."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions
from districtpm.rubrics.models import Assessment, FinalRating, Indicator
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser


def _rate_in_browser(driver, base, username, assessment, first, first_level):
    """Sign in, choose a level for every indicator (the first at `first_level`, the rest at
    Emerging), give evidence for the first, and submit."""
    sign_in(driver, base, username)
    driver.get(f"{base}/rubrics/assessments/{assessment.pk}/")
    wait_until(driver, lambda b: b.find_elements(By.ID, "my-ratings"))
    assert "⚑" not in driver.page_source  # nobody's ratings show before one's own are in
    levels = {lv.order: lv.pk for lv in assessment.version.levels.all()}
    for indicator in Indicator.objects.filter(domain__version=assessment.version):
        at = first_level if indicator.pk == first.pk else 1
        radio = driver.find_element(
            By.CSS_SELECTOR, f"input[name='level_{indicator.pk}'][value='{levels[at]}']"
        )
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", radio)
        radio.click()
    driver.find_element(By.ID, f"note_{first.pk}").send_keys(f"{username}: seen in the minutes.")
    driver.find_element(By.CSS_SELECTOR, "button[name=submit]").click()
    wait_until(driver, lambda b: "are submitted" in b.page_source)


def _heat_cell(driver, base, school) -> str:
    driver.get(f"{base}/rubrics/heatmap/?year={school['year']}")
    row = driver.find_element(By.XPATH, f"//tr[th/a[normalize-space()='{school['name']}']]")
    return row.find_elements(By.CSS_SELECTOR, "td .lv")[0].text


def test_a_team_rates_agrees_and_the_heatmap_changes(
    world,
    school_assessment,
    live_server,
    browser,  # noqa: F811
):
    base = live_server.url
    a = school_assessment
    first = (
        Indicator.objects.filter(domain__version=a.version)
        .order_by("domain__order", "order")
        .first()
    )
    school = {"name": world.school_a.name, "year": world.year.name}
    sign_in(browser, base, "network.a")
    assert _heat_cell(browser, base, school).startswith("·")  # nothing final yet

    # Three members rate on their own: 0, 2 and 1 on the first indicator, two levels apart.
    for username, level in [("principal.a", 0), ("evaluator.a", 2), ("teacher.a", 1)]:
        _rate_in_browser(browser, base, username, a, first, level)

    # The facilitator (the principal) sees the spread and the flag on that indicator only.
    sign_in(browser, base, "principal.a")
    browser.get(f"{base}/rubrics/assessments/{a.pk}/#consensus")
    row = browser.find_element(By.ID, f"consensus-{first.pk}")
    assert "⚑ apart" in row.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "tbody tr .flag")) == 1
    assert "evaluator.a" not in row.text or "seen in the minutes" in row.text
    # The final rating of the disputed indicator, with its rationale, in the browser …
    Select(browser.find_element(By.ID, f"final-level-{first.pk}")).select_by_visible_text(
        "Emerging"
    )
    browser.find_element(By.ID, f"rationale-{first.pk}").send_keys(
        "The minutes show a monthly meeting in the fall only."
    )
    browser.find_element(
        By.CSS_SELECTOR, f"form[action$='/indicators/{first.pk}/decide/'] button"
    ).click()
    wait_until(browser, lambda b: "final rating Emerging recorded" in b.page_source)
    final = FinalRating.objects.get(assessment=a, indicator=first)
    assert (
        final.rationale.startswith("The minutes show")
        and final.decided_by == world.users["principal_a"]
    )
    # … the other seventeen through the same action, then finalising in the browser.
    emerging = a.version.levels.get(order=1)
    for indicator in Indicator.objects.filter(domain__version=a.version).exclude(pk=first.pk):
        actions.decide_rating(a, indicator, emerging, rationale="Agreed.", acting_user=SYSTEM)
    browser.get(f"{base}/rubrics/assessments/{a.pk}/")
    browser.find_element(By.XPATH, "//button[normalize-space()='Finalise the assessment']").click()
    wait_until(browser, lambda b: "The assessment is final" in b.page_source)
    assert Assessment.objects.get(pk=a.pk).is_final

    # The heatmap cell and the trend now show the final rating.
    sign_in(browser, base, "network.a")
    assert _heat_cell(browser, base, school).startswith("1")
    browser.get(
        f"{base}/rubrics/frameworks/{a.version.framework_id}/trend/?school={world.school_a.pk}"
    )
    assert world.year.name in browser.page_source
    trend_row = browser.find_element(By.XPATH, f"//tr[th[normalize-space()='{first.name}']]")
    assert "Emerging" in trend_row.text
    assert heading(browser).startswith("School MTSS self-assessment")
