"""Each role on representative pages: who gets the page, who is refused, who sees what."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from districtpm.accounts.tests.scoped_data import (
    METRIC_ID,
    ROLE_USERS,
    VALUE_SCOPE,
    VALUES,
    leaked,
    marker,
    page_query,
    values,  # noqa: F401  (a fixture)
)

ROLES = [
    "admin",
    "pm",
    "slt",
    "team_lead",
    "team_member",
    "network_1",
    "principal_a",
    "evaluator_a",
    "teacher_a",
    "hr",
    "board",
]

EVALUATION_SECTION = set(ROLES) - {"team_lead", "team_member"}

# page → the roles that may open it (everyone else gets 403)
MATRIX = {
    "home": set(ROLES),
    "org:home": set(ROLES) - {"teacher_a"},
    "org:schools": set(ROLES) - {"teacher_a"},
    "org:staff": {"admin", "pm", "hr", "network_1", "principal_a", "evaluator_a", "teacher_a"},
    "org:import": {"admin"},
    "org:school_new": {"admin"},
    "org:year_new": {"admin", "pm"},
    "org:staff_new": {"admin", "hr"},
    "audit:list": {"admin", "pm"},
    "metrics:catalogue": set(ROLES) - {"teacher_a"},
    "plans:home": {
        "admin",
        "pm",
        "slt",
        "team_lead",
        "team_member",
        "network_1",
        "principal_a",
        "board",
    },
    "meetings:year": {"admin", "pm", "slt", "team_lead", "team_member", "board"},
    "actionplans:home": {"admin", "pm", "slt", "team_lead", "team_member"},
    # the section: a teacher on a team and the board (the district's final result) reach it;
    # which assessments each sees is scoped row by row (rubrics/tests/test_access.py)
    "rubrics:home": {
        "admin",
        "pm",
        "slt",
        "network_1",
        "principal_a",
        "evaluator_a",
        "teacher_a",
        "board",
    },
    "rubrics:heatmap": {"admin", "pm", "slt", "network_1", "principal_a"},
    "rubrics:import": {"admin", "pm"},
    "improvement:designations": {"admin", "pm", "slt", "network_1", "principal_a", "evaluator_a"},
    "improvement:steps": {"admin", "pm"},
    # the section: those who work with evaluations, and those who see only the ratings by
    # school; which records each reads is scoped row by row (evaluation/tests/test_records.py)
    "evaluation:home": EVALUATION_SECTION,
    "evaluation:framework": EVALUATION_SECTION,
    "evaluation:year": EVALUATION_SECTION,
    "evaluation:overdue": EVALUATION_SECTION,
    "evaluation:caseloads": {"principal_a"},
    "evaluation:results_import": {"hr"},  # a principal assigns their school's evaluators
    # every reader of the plan's initiatives; the board sees published versions only
    "processmaps:home": set(ROLES) - {"evaluator_a", "teacher_a", "hr"},
}


@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, login, role, page):
    response = login(world.users[role]).get(reverse(page))
    expected = 200 if role in MATRIX[page] else 403
    assert response.status_code == expected


def test_navigation_shows_only_the_pages_a_role_may_open(world, login):
    body = login(world.users["teacher_a"]).get("/").content.decode()
    assert f'href="{reverse("evaluation:home")}"' in body
    assert f'href="{reverse("org:home")}"' not in body
    assert f'href="{reverse("meetings:year")}"' not in body
    body = login(world.users["board"]).get("/").content.decode()
    assert reverse("meetings:year") in body
    assert reverse("actionplans:home") not in body
    assert reverse("audit:list") not in body


def test_school_list_is_scoped(world, login):
    a, b = world.school_a.name, world.school_b.name
    for role, sees_a, sees_b in [
        ("slt", True, True),
        ("board", True, True),
        ("network_1", True, False),
        ("network_2", False, True),
        ("principal_a", True, False),
        ("principal_b", False, True),
        ("evaluator_a", True, False),
    ]:
        body = login(world.users[role]).get(reverse("org:schools")).content.decode()
        assert (a in body) is sees_a, role
        assert (b in body) is sees_b, role


def test_staff_directory_is_scoped(world, login):
    names = {k: f"{s.last_name}, {s.first_name}" for k, s in world.staff.items()}
    body = login(world.users["principal_a"]).get(reverse("org:staff")).content.decode()
    assert names["teacher_a"] in body and names["teacher_a2"] in body
    assert names["teacher_b"] not in body
    body = login(world.users["evaluator_a"]).get(reverse("org:staff")).content.decode()
    assert names["teacher_a"] in body and names["coach_a"] in body  # caseload and self
    assert names["teacher_a2"] not in body and names["teacher_b"] not in body
    body = login(world.users["teacher_a"]).get(reverse("org:staff")).content.decode()
    assert names["teacher_a"] in body
    assert names["teacher_a2"] not in body and names["principal_a"] not in body
    body = login(world.users["hr"]).get(reverse("org:staff")).content.decode()
    assert all(n in body for n in names.values())


def test_principal_cannot_open_another_schools_private_pages(world, login):
    client = login(world.users["principal_a"])
    assert client.get(reverse("org:school", args=[world.school_a.pk])).status_code == 200
    for url in [
        reverse("org:school", args=[world.school_b.pk]),
        reverse("org:staff_detail", args=[world.staff["teacher_b"].pk]),
        reverse("org:staff_detail", args=[world.staff["principal_b"].pk]),
        reverse("org:staff") + f"?school={world.school_b.pk}",
    ]:
        response = client.get(url)
        assert response.status_code in (403, 404) or world.staff["teacher_b"].last_name not in (
            response.content.decode()
        ), url
    assert client.get(reverse("org:school", args=[world.school_b.pk])).status_code == 404
    assert client.get(reverse("org:network", args=[world.network_2.pk])).status_code == 404


def test_network_supervisor_sees_only_their_network(world, login):
    client = login(world.users["network_1"])
    assert client.get(reverse("org:school", args=[world.school_a.pk])).status_code == 200
    assert client.get(reverse("org:school", args=[world.school_b.pk])).status_code == 404
    assert (
        client.get(reverse("org:staff_detail", args=[world.staff["teacher_b"].pk])).status_code
        == 404
    )


def test_teacher_sees_only_their_own_record(world, login):
    client = login(world.users["teacher_a"])
    own = reverse("org:staff_detail", args=[world.staff["teacher_a"].pk])
    assert client.get(own).status_code == 200
    for other in ("teacher_a2", "teacher_b", "principal_a"):
        url = reverse("org:staff_detail", args=[world.staff[other].pk])
        assert client.get(url).status_code == 404, other
    assert client.get(reverse("org:school", args=[world.school_a.pk])).status_code == 403


def test_evaluator_sees_caseload_not_the_rest_of_the_school(world, login):
    client = login(world.users["evaluator_a"])
    assert (
        client.get(reverse("org:staff_detail", args=[world.staff["teacher_a"].pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("org:staff_detail", args=[world.staff["teacher_a2"].pk])).status_code
        == 404
    )


def test_board_never_sees_individual_records(world, login):
    client = login(world.users["board"])
    assert client.get(reverse("org:staff")).status_code == 403
    assert (
        client.get(reverse("org:staff_detail", args=[world.staff["teacher_a"].pk])).status_code
        == 403
    )
    body = client.get(reverse("org:school", args=[world.school_a.pk])).content.decode()
    assert world.staff["teacher_a"].last_name not in body


def test_principal_cannot_edit_schools(world, login):
    client = login(world.users["principal_a"])
    url = reverse("org:school_edit", args=[world.school_a.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "101", "name": "Hacked"}).status_code == 403
    world.school_a.refresh_from_db()
    assert world.school_a.name == "Aspen Elementary"


# ------------------------------------------------ metric values at every level, for every role
# DESIGN.md's roles table, as scoped_data.VALUE_SCOPE spells it out: the metric page, both
# exports and the JSON API show a role exactly the figures it may read, at every level.


@pytest.mark.usefixtures("values")
@pytest.mark.parametrize("role", ROLE_USERS)
def test_metric_page_shows_each_level_only_to_roles_that_may_read_it(world, login, role):
    client = login(world.users[role])
    allowed = VALUE_SCOPE[role]
    url = reverse("metrics:metric", args=[METRIC_ID])
    for key in VALUES:
        response = client.get(url, page_query(key))
        if allowed is None:
            assert response.status_code == 403, (role, key)
            continue
        body = response.content.decode()
        if key in allowed:
            assert response.status_code == 200, (role, key)
            assert marker(key) in body, (role, key)
        assert leaked(body, allowed) == [], (role, key)


def _csv_keys(content: bytes) -> set[tuple[str, str, str]]:
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    return {(r["Level"].lower(), r["Code"], r["Grade"]) for r in rows}


def _xlsx_keys(content: bytes) -> set[tuple[str, str, str]]:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    at = {name: header.index(name) for name in ("Level", "Code", "Grade")}
    return {(r[at["Level"]].lower(), r[at["Code"]], r[at["Grade"]] or "") for r in rows[1:]}


def _api_keys(content: bytes) -> set[tuple[str, str, str]]:
    data = json.loads(content)
    return {(v["level"], v["entity_code"], v["grade"]) for v in data["values"]}


@pytest.mark.usefixtures("values")
@pytest.mark.parametrize("role", ROLE_USERS)
@pytest.mark.parametrize(
    "name,keys",
    [
        ("metrics:export_csv", _csv_keys),
        ("metrics:export_xlsx", _xlsx_keys),
        ("metrics:api_values", _api_keys),
    ],
)
def test_exports_and_api_hold_each_level_only_for_roles_that_may_read_it(
    world, login, role, name, keys
):
    response = login(world.users[role]).get(reverse(name, args=[METRIC_ID]))
    allowed = VALUE_SCOPE[role]
    if allowed is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert keys(response.content) == set(allowed)
