"""Each role on representative pages: who gets the page, who is refused, who sees what."""

from __future__ import annotations

import pytest
from django.urls import reverse

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
    "web:rubrics": {"admin", "pm", "slt", "network_1", "principal_a", "evaluator_a"},
    "web:improvement": {"admin", "pm", "slt", "network_1", "principal_a", "evaluator_a"},
    "web:evaluation": {"admin", "principal_a", "evaluator_a", "teacher_a", "hr"},
    "web:processmaps": {"admin", "pm", "slt", "team_lead", "team_member", "network_1"},
}


@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, login, role, page):
    response = login(world.users[role]).get(reverse(page))
    expected = 200 if role in MATRIX[page] else 403
    assert response.status_code == expected


def test_navigation_shows_only_the_pages_a_role_may_open(world, login):
    body = login(world.users["teacher_a"]).get("/").content.decode()
    assert f'href="{reverse("web:evaluation")}"' in body
    assert f'href="{reverse("org:home")}"' not in body
    assert f'href="{reverse("meetings:year")}"' not in body
    body = login(world.users["board"]).get("/").content.decode()
    assert reverse("meetings:year") in body
    assert reverse("web:evaluation") not in body
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
