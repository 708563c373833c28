"""End to end in Debian's headless Chromium: sign in and click through the shell as two roles."""

from __future__ import annotations

import contextlib
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from districtpm.conftest import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@contextlib.contextmanager
def chromium(*, keep_console: bool = False):
    """Debian's headless Chromium in a fresh profile; `keep_console` keeps the page's console
    log (where CSP violations and script errors are reported) for `get_log("browser")`."""
    profile = tempfile.mkdtemp(prefix="districtpm-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ]:
        options.add_argument(flag)
    if keep_console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


# Chromium's own wording when an element found a moment ago went with the page a navigation
# replaced, sent as a plain WebDriverException rather than a stale element.
GONE_WITH_THE_PAGE = "does not belong to the document"


def wait_until(browser, condition, timeout: float = 10):
    """Wait for a condition on the page, riding out elements replaced by a navigation."""

    def holds(b):
        try:
            return condition(b)
        except WebDriverException as exc:
            if GONE_WITH_THE_PAGE in str(exc):
                return False
            raise

    return WebDriverWait(
        browser, timeout, ignored_exceptions=[StaleElementReferenceException]
    ).until(holds)


def heading(browser) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def sign_in(browser, base: str, username: str) -> None:
    """Sign in afresh. A request of the previous page still in flight when the cookies are
    cleared can set a new CSRF cookie after the form was served (Django then refuses the
    POST as forged): the form is loaded once more and sent again, once."""
    for attempt in range(2):
        browser.delete_all_cookies()
        browser.get(f"{base}/login/")
        wait_until(browser, lambda b: b.execute_script("return document.readyState") == "complete")
        browser.find_element(By.ID, "id_username").send_keys(username)
        browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)
        try:
            wait_until(browser, lambda b: heading(b).startswith("Welcome"))
            return
        except TimeoutException:
            if attempt:
                raise


def current_nav(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, 'nav.sidenav a[aria-current="page"]').text


def click_through_navigation(browser) -> list[str]:
    labels = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.sidenav a")]
    visited = []
    for label in labels:
        browser.find_element(By.LINK_TEXT, label).click()
        wait_until(browser, lambda b, label=label: current_nav(b) == label)
        title = heading(browser)
        assert "went wrong" not in title and "access" not in title.lower(), (label, title)
        visited.append(label)
    return visited


def test_principal_clicks_through_the_shell(world, live_server, browser):
    sign_in(browser, live_server.url, "principal.a")
    visited = click_through_navigation(browser)
    assert "Organisation" in visited and "Educator evaluation" in visited
    assert "Meeting cycles" not in visited and "Audit log" not in visited
    browser.find_element(By.LINK_TEXT, "Organisation").click()
    browser.find_element(By.LINK_TEXT, "Browse schools").click()
    wait_until(browser, lambda b: heading(b) == "Schools")
    rows = browser.find_elements(By.CSS_SELECTOR, "#school-results tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["Aspen Elementary"]
    browser.find_element(By.LINK_TEXT, "Aspen Elementary").click()
    wait_until(browser, lambda b: heading(b) == "Aspen Elementary")
    assert "Tess" in browser.page_source  # a teacher at the school
    # Another school's page by URL is refused.
    browser.get(f"{live_server.url}/org/schools/{world.school_b.pk}/")
    assert heading(browser) == "Not found"
    assert "Birch" not in browser.page_source


def test_pm_office_clicks_through_and_filters_with_htmx(world, live_server, browser):
    sign_in(browser, live_server.url, "pm.office")
    visited = click_through_navigation(browser)
    assert {"Organisation", "Meeting cycles", "Strategic plan", "Audit log"} <= set(visited)
    assert "Educator evaluation" in visited  # its ratings by school; no individual record
    browser.get(f"{live_server.url}/org/schools/")
    search = browser.find_element(By.ID, "id_q")
    search.send_keys("Birch")
    # HTMX swaps the results in place once the typing pauses.
    wait_until(
        browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#school-results tbody tr")) == 1
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#school-results tbody tr")
    assert "Birch Middle" in rows[0].text
    assert "q=Birch" in browser.current_url


def test_keyboard_user_reaches_the_skip_link_first(world, live_server, browser):
    sign_in(browser, live_server.url, "teacher.a")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to main content"
    focused.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#main")
