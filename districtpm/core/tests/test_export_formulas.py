"""No export lets a name or statement run as a formula when the file is opened (OWASP CSV
injection); numbers stay numbers. Through the real download views."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from districtpm.accounts.tests.scoped_data import METRIC_ID, Values, make_values
from districtpm.plans.models import Goal, Plan, Priority, Target

EVIL = '=HYPERLINK("http://x","y")'
# OWASP's list, written out here so the test does not lean on the code it checks
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def values(world) -> Values:
    return make_values()


@pytest.fixture
def evil_school(world, values):
    """School A renamed by a hostile importer; its figures are in the export."""
    world.school_a.name = EVIL
    world.school_a.save()
    values.rows[("school", "101", "")].value = -4.25  # a negative number stays a number
    values.rows[("school", "101", "")].save()
    return world


def test_metric_csv_export_neutralises_a_school_named_like_a_formula(evil_school, login):
    response = login(evil_school.users["pm"]).get(reverse("metrics:export_csv", args=[METRIC_ID]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    school = next(r for r in rows if (r["Level"], r["Code"]) == ("School", "101"))
    assert school["Name"] == "'" + EVIL
    assert school["Value"] == "-4.25"
    # every other cell starting like a formula is a number (a negative one)
    for cell in (c for r in rows for c in r.values() if c.startswith(FORMULA_TRIGGERS)):
        float(cell)


def test_metric_xlsx_export_writes_a_formula_like_name_as_text(evil_school, login):
    response = login(evil_school.users["pm"]).get(reverse("metrics:export_xlsx", args=[METRIC_ID]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    name_at, value_at = header.index("Name"), header.index("Value")
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)
        if row[header.index("Code")].value == "101" and row[0].row and row[1].value == ("School"):
            # a workbook has cell types: the name is stored as text, exactly as typed
            assert row[name_at].value == EVIL
            assert row[name_at].data_type == "s"
            assert row[value_at].value == -4.25 and row[value_at].data_type == "n"
            checked += 1
    assert checked == 1


def test_plan_export_writes_formula_like_text_as_text(world, login, values):
    plan = Plan.objects.create(name="+Plan 2030", first_year="2024-2025", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="@Whole Child", order=1)
    goal = Goal.objects.create(
        plan=plan,
        priority=priority,
        statement=EVIL,
        metric=values.metric,
        baseline_year="2024-2025",
        baseline_value=-1.5,
        goal_year="2028-2029",
    )
    Target.objects.create(goal=goal, school_year="2028-2029", value=2.0)
    response = login(world.users["pm"]).get(reverse("plans:plan_export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    # stored as text exactly as typed, so the workbook imports back unchanged
    assert {EVIL, "@Whole Child", "+Plan 2030"} <= texts
    goals = book["Goals"]
    header = [c.value for c in goals[1]]
    baseline = goals.cell(row=2, column=header.index("baseline_value") + 1)
    assert baseline.value == -1.5 and baseline.data_type == "n"


def _refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_the_api_answers_valid_json_with_null_for_a_number_that_is_not_finite(world, login, values):
    row = values.rows[("district", "district", "")]
    row.value, row.numerator = float("inf"), float("-inf")
    row.save()
    response = login(world.users["pm"]).get(reverse("metrics:api_values", args=[METRIC_ID]))
    data = json.loads(response.content, parse_constant=_refuse)  # strict: no Infinity, no NaN
    district = next(v for v in data["values"] if v["level"] == "district")
    assert district["value"] is None and district["numerator"] is None
    assert district["n"] == 120


def test_control_characters_in_a_name_break_no_export(world, login, values):
    # A bell and a vertical tab in a school's name: openpyxl refuses them, and every download
    # of the workbook answered 500 for every user.
    world.school_a.name = "Bell\x07School\x0bA"
    world.school_a.save()
    plan = Plan.objects.create(name="Plan", first_year="2024-2025", last_year="2029-2030")
    Priority.objects.create(plan=plan, name="Reading", description="x\x07\x0b y", order=1)
    client = login(world.users["pm"])
    for url in (
        reverse("metrics:export_xlsx", args=[METRIC_ID]),
        reverse("metrics:export_csv", args=[METRIC_ID]),
        reverse("plans:plan_export"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    csv_text = client.get(reverse("metrics:export_csv", args=[METRIC_ID])).content.decode()
    assert "Bell School A" in csv_text and "\x07" not in csv_text
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("metrics:export_xlsx", args=[METRIC_ID])).content)
    ).active
    assert "Bell School A" in {c.value for row in sheet.iter_rows() for c in row}


def test_every_csv_field_is_quoted_so_a_separator_cannot_start_a_formula(world, login, values):
    # In a semicolon locale an unquoted `X;=1+1` splits into `X` and a live `=1+1`.
    world.school_a.name = "X;=1+1"
    world.school_a.save()
    response = login(world.users["pm"]).get(reverse("metrics:export_csv", args=[METRIC_ID]))
    lines = response.content.decode().splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    assert any('"X;=1+1"' in line for line in lines)
