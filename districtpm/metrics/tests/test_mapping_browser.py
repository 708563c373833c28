"""End to end in headless Chromium: a CSV with columns no mapping knows is mapped, previewed
and imported in the page; importing the same file again reports that nothing changed."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from districtpm.analytics import store
from districtpm.audit.models import AuditEntry
from districtpm.metrics.models import DataImport, SavedMapping
from districtpm.web.tests.test_browser import browser, heading, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser

UNFAMILIAR = (
    "Pupil,Yr,Bldg,Gr,Course,Score,Level\n"
    "P-1,2026,101,03,Reading,741,3\n"
    "P-2,2026,101,04,Maths,702,2\n"
    "P-3,2026,101,04,Reading,*,\n"
)
CHOICES = {
    "student_id": "Pupil",
    "school_year": "Yr",
    "school_code": "Bldg",
    "grade": "Gr",
    "subject": "Course",
    "scale_score": "Score",
    "performance_level": "Level",
}


def stored(path) -> list[tuple]:
    with store.connect(path) as con:
        return con.execute(
            "SELECT student_id, school_year, grade, subject, scale_score FROM assessments "
            "WHERE student_id LIKE 'P-%' ORDER BY student_id"
        ).fetchall()


def test_a_new_file_is_mapped_previewed_and_imported_in_the_page(
    world,
    store_copy,
    live_server,
    browser,  # noqa: F811
    tmp_path,
):
    source = tmp_path / "district-results.csv"
    source.write_text(UNFAMILIAR)
    base = live_server.url
    sign_in(browser, base, "pm.office")
    browser.get(f"{base}/data/import/")
    browser.find_element(By.LINK_TEXT, "Map its columns in the page").click()
    wait_until(browser, lambda b: heading(b).startswith("Map a new file"))
    browser.find_element(By.ID, "id_file").send_keys(str(source))
    browser.find_element(By.CSS_SELECTOR, "input[name=table][value=assessments]").click()
    browser.find_element(By.CSS_SELECTOR, "form.panel button[type=submit]").click()
    wait_until(browser, lambda b: heading(b).startswith("Map district-results.csv"))
    sample = browser.find_element(By.ID, "sample").text
    assert "Pupil" in sample and "Reading" in sample and "P-2" in sample

    for column, chosen in CHOICES.items():
        Select(browser.find_element(By.ID, f"col_{column}")).select_by_visible_text(chosen)
    for column, value in {"test": "state", "test_window": "annual"}.items():
        browser.find_element(By.ID, f"fixed_{column}").send_keys(value)
    Select(browser.find_element(By.ID, "id_period")).select_by_visible_text(
        "the year it ends (2026)"
    )
    # a code the product does not know is refused by the preview with its line
    codes = browser.find_element(By.ID, "values_subject")
    codes.clear()
    codes.send_keys("Reading = ela")
    browser.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    wait_until(browser, lambda b: b.find_elements(By.ID, "preview"))
    preview = browser.find_element(By.ID, "preview").text
    assert "nothing imported" in preview and "Maths" in preview and "3" in preview
    codes = browser.find_element(By.ID, "values_subject")
    codes.clear()
    codes.send_keys("Reading = ela\nMaths = math")
    browser.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    wait_until(browser, lambda b: "Nothing has been imported yet" in b.page_source)
    rows = browser.find_element(By.ID, "preview-rows").text
    assert "P-1" in rows and "2025-2026" in rows and "ela" in rows
    assert stored(store_copy) == []  # a preview writes nothing

    name = browser.find_element(By.ID, "id_name")
    name.clear()
    name.send_keys("District results export")
    browser.find_element(By.CSS_SELECTOR, "button[value=import]").click()
    wait_until(browser, lambda b: "rows into assessments" in b.page_source)
    assert stored(store_copy) == [
        ("P-1", "2025-2026", "3", "ela", 741.0),
        ("P-2", "2025-2026", "4", "math", 702.0),
        ("P-3", "2025-2026", "4", "ela", None),  # "*": suppressed by the publisher, not a 0
    ]
    saved = SavedMapping.objects.get()
    assert saved.name == "District results export" and saved.table == "assessments"
    assert AuditEntry.objects.filter(action="data.mapping.create").count() == 1

    # the same file again, with the saved mapping: nothing changes
    browser.get(f"{base}/data/import/")
    browser.find_element(By.ID, "id_file").send_keys(str(source))
    Select(browser.find_element(By.ID, "id_mapping")).select_by_visible_text(
        "District results export (made in the page)"
    )
    browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
    wait_until(browser, lambda b: "Nothing changed" in b.page_source)
    assert DataImport.objects.count() == 2 and len(stored(store_copy)) == 3
