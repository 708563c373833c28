"""Importing a plan from a workbook, and exporting one in the same format."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from districtpm.audit.models import AuditEntry
from districtpm.plans.models import Goal, Initiative, KeyAction, Plan, Priority
from districtpm.plans.spreadsheet import export_plan
from districtpm.plans.tests.test_plan_pages import plan  # noqa: F401  (fixture)
from districtpm.plans.tests.test_scorecards import make_goal


def workbook(**sheets: list[list]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = {
    "Plan": [
        ["field", "value"],
        ["name", "Plan 2031"],
        ["first_year", "2025-2026"],
        ["last_year", "2030-2031"],
        ["vision", "Every student reads by third grade."],
    ],
    "Priorities": [
        ["order", "name", "description", "owner"],
        [1, "Early literacy", "Reading by grade 3.", "pm.office"],
        [2, "Attendance", "", ""],
    ],
    "Goals": [
        [
            "priority",
            "statement",
            "metric",
            "level",
            "entity",
            "group_dim",
            "group_value",
            "baseline_year",
            "baseline_value",
            "goal_year",
            "tolerance",
            "leading_metrics",
            "2026-2027",
            "2030-2031",
        ],
        [
            "Early literacy",
            "Raise ELA proficiency",
            "ela_proficiency",
            "district",
            "",
            "",
            "",
            "2025-2026",
            0.31,
            "2030-2031",
            0.02,
            "ela_interim_on_track",
            0.33,
            0.45,
        ],
        [
            "Early literacy",
            "Aspen ELA for English learners",
            "ela_proficiency",
            "school",
            "101",
            "ell",
            "yes",
            "2025-2026",
            0.2,
            "2030-2031",
            "",
            "",
            "",
            0.35,
        ],
    ],
    "Initiatives": [
        ["priority", "name", "description", "owner", "leading_metrics"],
        [
            "Early literacy",
            "Reading coaches",
            "A coach in every K-3 building.",
            "senior.leader",
            "",
        ],
    ],
    "Actions": [
        ["initiative", "name", "milestone", "owner", "due_date", "status"],
        ["Reading coaches", "Hire coaches", "yes", "senior.leader", "2026-01-15", "in progress"],
    ],
}


def test_a_plan_imports_from_a_workbook_with_audit(plan, login, world):  # noqa: F811
    client = login(world.users["pm"])
    upload = SimpleUploadedFile("plan.xlsx", workbook(**GOOD))
    response = client.post(reverse("plans:plan_import"), {"workbook": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Plan.objects.get(name="Plan 2031")
    assert new.vision == "Every student reads by third grade."
    assert list(new.priorities.values_list("name", flat=True)) == ["Early literacy", "Attendance"]
    district, aspen = new.goals.order_by("level")
    assert district.targets_by_year == {"2026-2027": 0.33, "2030-2031": 0.45}
    assert [m.id for m in district.leading_metrics.all()] == ["ela_interim_on_track"]
    assert (aspen.level, aspen.entity_code, aspen.group_dim, aspen.group_value) == (
        "school",
        "101",
        "ell",
        "yes",
    )
    assert aspen.tolerance == 0.02  # the default when the cell is empty
    action = KeyAction.objects.get(initiative__priority__plan=new)
    assert (
        action.milestone
        and action.status == "in_progress"
        and action.owner.username == "senior.leader"
    )
    assert AuditEntry.objects.filter(action="plans.plan.import").count() == 1
    assert AuditEntry.objects.filter(action="plans.goal.create", source="import").count() == 2


def test_a_bad_workbook_reports_every_bad_row_and_saves_nothing(plan, login, world):  # noqa: F811
    bad = {k: [list(r) for r in v] for k, v in GOOD.items()}
    bad["Plan"][1][1] = "Plan 2030"  # the name of the plan that exists
    bad["Priorities"][2][3] = "nobody"  # unknown owner
    bad["Goals"][1][2] = "reading_magic"  # unknown metric
    bad["Goals"][2][4] = "999"  # unknown school
    bad["Goals"][2][9] = "2030-2032"  # not a school year
    bad["Initiatives"][1][0] = "Math"  # unknown priority
    bad["Actions"][1][4] = "next spring"  # not a date
    bad["Actions"][0].append("resources")
    bad["Actions"][1].append("x" * 301)  # longer than the field
    before = (Plan.objects.count(), Goal.objects.count(), AuditEntry.objects.count())
    client = login(world.users["pm"])
    upload = SimpleUploadedFile("plan.xlsx", workbook(**bad))
    response = client.post(reverse("plans:plan_import"), {"workbook": upload})
    assert response.status_code == 400
    page = response.content.decode()
    for expected in [
        "A plan named &#x27;Plan 2030&#x27; exists already.",
        "owner &#x27;nobody&#x27; is not an active user.",
        "metric &#x27;reading_magic&#x27; is not a known metric.",
        "there is no school with code &#x27;999&#x27;.",
        "goal_year &#x27;2030-2032&#x27; is not a school year like 2027-2028.",
        "priority &#x27;Math&#x27; is not on the Priorities sheet.",
        "due_date &#x27;next spring&#x27; is not a date like 2027-03-31.",
        "resources is longer than 300 characters.",
    ]:
        assert expected in page, expected
    assert "Nothing was imported: 8 problems to fix." in page
    assert '<td class="num">3</td>' in page  # Goals, line 3
    after = (Plan.objects.count(), Goal.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_a_file_that_is_not_a_workbook_is_refused(plan, login, world):  # noqa: F811
    client = login(world.users["pm"])
    upload = SimpleUploadedFile("plan.xlsx", b"name,years\nPlan,2030")
    response = client.post(reverse("plans:plan_import"), {"workbook": upload})
    assert response.status_code == 400
    assert "Not an Excel workbook" in response.content.decode()
    assert Plan.objects.count() == 1


def test_export_then_import_gives_the_same_plan(plan, login, world):  # noqa: F811
    goal = make_goal(plan)
    goal.leading_metrics.set(["ela_interim_on_track"])
    initiative = Initiative.objects.create(priority=plan.priorities.get(), name="Coaching")
    KeyAction.objects.create(
        initiative=initiative, name="Hire", milestone=True, resources="Two coaches, 0.5 FTE each"
    )
    client = login(world.users["slt"])
    response = client.get(reverse("plans:plan_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    book["Plan"]["B2"] = "Plan 2030, revised"
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("plan.xlsx", out.getvalue())
    assert client.post(reverse("plans:plan_import"), {"workbook": upload}).status_code == 302
    copy = Plan.objects.get(name="Plan 2030, revised")

    def shape(p: Plan) -> list:
        return [
            (
                g.priority.name,
                g.statement,
                g.metric_id,
                g.level,
                g.entity_code,
                g.baseline_year,
                g.baseline_value,
                g.goal_year,
                g.tolerance,
                g.targets_by_year,
                sorted(m.id for m in g.leading_metrics.all()),
            )
            for g in p.goals.all()
        ] + [
            (a.initiative.name, a.name, a.milestone, a.status, a.resources)
            for a in KeyAction.objects.filter(initiative__priority__plan=p)
        ]

    assert shape(copy) == shape(plan)
    assert Priority.objects.filter(plan=copy).count() == 1
    assert export_plan(copy)  # and the copy exports too


def test_only_plan_editors_import(plan, login, world):  # noqa: F811
    upload = SimpleUploadedFile("plan.xlsx", workbook(**GOOD))
    response = login(world.users["principal_a"]).post(
        reverse("plans:plan_import"), {"workbook": upload}
    )
    assert response.status_code == 403
    assert not Plan.objects.filter(name="Plan 2031").exists()
