"""A bad plan workbook is refused with a clear problem, never a traceback (issue 9)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from districtpm.analytics.tests.test_import_hardening import (
    ENTITY_BOMB,
    EXTERNAL_ENTITY,
    with_sheet_xml,
)
from districtpm.plans.models import Goal, Plan
from districtpm.plans.spreadsheet import PlanImportError, import_plan
from districtpm.plans.tests.test_plan_import import GOOD, workbook
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)


def variant(**changes) -> dict[str, list[list]]:
    """GOOD with cells changed: {"Goals": {(1, 8): value}} sets row 1, column 8 of Goals."""
    sheets = {k: [list(r) for r in v] for k, v in GOOD.items()}
    for sheet, cells in changes.items():
        for (r, c), value in cells.items():
            sheets[sheet][r][c] = value
    return sheets


def problems(data: bytes, user) -> list[str]:
    before = (Plan.objects.count(), Goal.objects.count())
    with pytest.raises(PlanImportError) as error:
        import_plan(data, acting_user=user, name="plan.xlsx")
    assert (Plan.objects.count(), Goal.objects.count()) == before
    return [str(p) for p in error.value.problems]


@pytest.mark.parametrize("bomb", [ENTITY_BOMB, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_an_entity_declaration_is_refused_before_parsing(plan, world, bomb):  # noqa: F811
    data = with_sheet_xml(workbook(**GOOD), bomb)
    [message] = problems(data, world.users["pm"])
    assert "entity declarations" in message


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity", "9" * 400])
def test_a_non_finite_baseline_or_target_is_a_problem(plan, world, value):  # noqa: F811
    data = workbook(**variant(Goals={(1, 8): value, (1, 13): value}))
    found = problems(data, world.users["pm"])
    assert any("baseline_value" in p and "finite" in p for p in found), found
    assert any("target for 2030-2031" in p and "finite" in p for p in found), found


def test_duplicate_headers_and_overlong_cells_are_problems(plan, world):  # noqa: F811
    sheets = variant(Priorities={(1, 2): "x" * 10_001})
    sheets["Goals"][0][12] = "statement"  # a second "statement" column
    found = problems(workbook(**sheets), world.users["pm"])
    assert any(p.startswith("Goals, line 1: The column 'statement' appears twice") for p in found)
    assert "Priorities, line 2: description: value is 10,001 characters long" in " ".join(found)


def test_a_sheet_over_the_row_limit_is_refused(plan, world, settings):  # noqa: F811
    settings.DISTRICTPM_MAX_ROWS = 20
    sheets = variant()
    sheets["Actions"] += [["Reading coaches", f"Step {i}", "no", "", "", ""] for i in range(30)]
    assert problems(workbook(**sheets), world.users["pm"]) == [
        "Actions: The sheet has more than 20 rows; nothing was read."
    ]


def test_a_workbook_over_the_expanded_limit_is_refused(plan, world, settings):  # noqa: F811
    settings.DISTRICTPM_MAX_EXPANDED_MB = 0.005
    [message] = problems(workbook(**GOOD), world.users["pm"])
    assert "expands to" in message


def test_the_command_refuses_bad_files_without_a_traceback(plan, world, tmp_path):  # noqa: F811
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(with_sheet_xml(workbook(**GOOD), ENTITY_BOMB))
    for path in (bomb, tmp_path / "missing.xlsx"):
        with pytest.raises(CommandError) as error:
            call_command("plan", "import", str(path), "--as", "pm.office")
        assert "Nothing was imported" in str(error.value) or "cannot be read" in str(error.value)
        assert str(tmp_path) not in str(error.value)
    assert Plan.objects.count() == 1


def test_the_web_import_refuses_big_and_hostile_workbooks(plan, login, world, settings):  # noqa: F811
    client = login(world.users["pm"])
    upload = SimpleUploadedFile("bomb.xlsx", with_sheet_xml(workbook(**GOOD), ENTITY_BOMB))
    response = client.post(reverse("plans:plan_import"), {"workbook": upload})
    assert response.status_code == 400 and "entity declarations" in response.content.decode()
    settings.DISTRICTPM_MAX_UPLOAD_MB = 0.001
    upload = SimpleUploadedFile("big.xlsx", workbook(**GOOD))
    response = client.post(reverse("plans:plan_import"), {"workbook": upload})
    assert response.status_code == 400 and "files may be at most" in response.content.decode()
    assert Plan.objects.count() == 1


# ------------------------------------------------------------------ fuzz

# Built once: a workbook's bytes hold the time it was written, and the examples must not vary.
GOOD_BYTES = workbook(**GOOD)


@hsettings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_a_damaged_workbook_only_ever_gives_problems(plan, world, data):  # noqa: F811
    """Random bytes, or a good workbook with bytes flipped or cut: PlanImportError or a plan."""
    good = GOOD_BYTES
    kind = data.draw(st.sampled_from(["random", "flip", "cut"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=2048))
    elif kind == "cut":
        blob = good[: data.draw(st.integers(0, len(good)))]
    else:
        blob = bytearray(good)
        for _ in range(data.draw(st.integers(1, 8))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    before = Plan.objects.count()
    try:
        import_plan(blob, acting_user=world.users["pm"], name="fuzz.xlsx")
    except PlanImportError as error:
        assert error.problems and all(str(p) for p in error.problems)
        assert Plan.objects.count() == before
    else:
        Plan.objects.filter(name="Plan 2031").delete()
