"""The framework as a workbook and its editing pages: the preset goes out and comes back the
same; a workbook with bad cells creates nothing and names every one (sheet, row, column,
reason); weights that do not make 100 and cut points out of order are refused; a closed
framework no longer changes; only the district admin and HR partners change it, while the
section's readers download it, a formula-like name stored as text."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from districtpm.audit.models import AuditEntry
from districtpm.core.intake import ImportFailed
from districtpm.evaluation import actions, framework_io
from districtpm.evaluation.models import Component, Framework, OverallLevel, WeightSet


@pytest.fixture
def leap(world):
    return actions.create_from_preset(world.year, acting_user=world.users["hr"])


def _shape(framework):
    """Everything a framework holds, read straight from its rows."""
    return {
        "components": [
            (
                c.kind,
                c.name,
                c.order,
                c.scale_min,
                c.scale_max,
                [(i.code, i.name, i.gateway, i.order) for i in c.indicators.all()],
            )
            for c in framework.components.all()
        ],
        "weights": sorted(
            (ws.name, ws.default, sorted((w.component.name, w.percent) for w in ws.weights.all()))
            for ws in framework.weight_sets.all()
        ),
        "levels": [
            (lv.order, lv.name, lv.state_rating, lv.min_score) for lv in framework.levels.all()
        ],
    }


def _edit(data: bytes, changes: dict[tuple[str, str], object]) -> bytes:
    """The workbook with some cells changed, as a district would in Excel."""
    book = load_workbook(BytesIO(data))
    for (sheet, cell), value in changes.items():
        book[sheet][cell] = value
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(data: bytes, name: str = "framework.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=framework_io.XLSX)


def _where(failure: ImportFailed) -> set[tuple[str, int | None, str]]:
    return {(e.file, e.line, e.column) for e in failure.outcome.errors}


# ---------------------------------------------------------------- the round trip


def test_the_preset_goes_out_and_comes_back_the_same(leap, world):
    data = framework_io.export_framework(leap)
    copy = framework_io.import_framework(
        data, world.year, name="Imported", acting_user=world.users["hr"]
    )
    assert copy.pk != leap.pk and copy.school_year == world.year
    assert _shape(copy) == _shape(leap)
    assert len(_shape(copy)["components"][0][5]) == 12  # the observation's indicators came too
    assert AuditEntry.objects.filter(action="evaluation.framework.import").count() == 1
    entry = AuditEntry.objects.get(action="evaluation.framework.import")
    assert entry.object_id == str(copy.pk) and entry.actor == world.users["hr"]


def test_the_shipped_workbook_is_the_preset_and_imports_through_the_page(leap, world, login):
    client = login(world.users["admin"])
    download = client.get(reverse("evaluation:framework_preset"))
    assert download.status_code == 200
    assert download["Content-Type"] == framework_io.XLSX
    response = client.post(
        reverse("evaluation:framework_import"),
        {"file": _upload(download.content), "school_year": world.year.name, "name": "Ours"},
    )
    assert response.status_code == 302
    ours = Framework.objects.get(name="Ours")
    assert _shape(ours) == _shape(leap)
    # and a year's framework downloads in the same layout
    exported = client.get(reverse("evaluation:framework_export", args=[leap.pk]))
    assert framework_io.read_workbook(exported.content) == framework_io.read_workbook(
        download.content
    )


# ---------------------------------------------------------------- all or nothing

BAD_CELLS = {
    ("Components", "A3"): "nonsense",  # not a kind
    ("Components", "D4"): 0,  # the survey's scale would run 0 to 0
    ("Indicators", "A14"): "Professionalsm",  # no such component
    ("Indicators", "D2"): "maybe",  # gateway neither yes nor no
    ("Weights", "D3"): "lots",  # not a number
    ("Levels", "C3"): "great",  # not a state rating
    ("Levels", "D5"): 150,  # a cut point above 100
}
WHERE = {
    ("Components", 3, "A"),
    ("Components", 4, "D"),
    ("Indicators", 14, "A"),
    ("Indicators", 2, "D"),
    ("Weights", 3, "D"),
    ("Levels", 3, "C"),
    ("Levels", 5, "D"),
}


def test_a_workbook_with_bad_cells_changes_nothing_and_names_each(leap, world):
    data = _edit(framework_io.export_framework(leap), BAD_CELLS)
    frameworks, entries = Framework.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ImportFailed) as failure:
        framework_io.import_framework(data, world.year, name="Bad", acting_user=world.users["hr"])
    assert _where(failure.value) == WHERE
    reasons = {(e.file, e.line): e.reason for e in failure.value.outcome.errors}
    assert "“nonsense” is not a kind of component" in reasons[("Components", 3)]
    assert "“Professionalsm” is not on the Components sheet" in reasons[("Indicators", 14)]
    assert "yes or no" in reasons[("Indicators", 2)]
    assert "“lots” is not a number" in reasons[("Weights", 3)]
    assert "not a state rating" in reasons[("Levels", 3)]
    assert "from 0 to 100, not 150" in reasons[("Levels", 5)]
    assert "Nothing was imported: 7 problems" in str(failure.value)
    assert Framework.objects.count() == frameworks
    assert not Framework.objects.filter(name="Bad").exists()
    assert AuditEntry.objects.count() == entries


def test_a_check_failing_after_the_rows_are_made_leaves_none_of_them(leap, world, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(framework):
        raise ValidationError("refused after the rows were made")

    monkeypatch.setattr(actions, "_check", refuse)
    rows = (Framework.objects.count(), Component.objects.count(), OverallLevel.objects.count())
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        framework_io.import_framework(
            framework_io.export_framework(leap),
            world.year,
            name="Half",
            acting_user=world.users["hr"],
        )
    after = (Framework.objects.count(), Component.objects.count(), OverallLevel.objects.count())
    assert after == rows and AuditEntry.objects.count() == entries


def test_the_import_page_shows_every_problem_and_keeps_nothing(leap, world, login):
    data = _edit(framework_io.export_framework(leap), BAD_CELLS)
    response = login(world.users["hr"]).post(
        reverse("evaluation:framework_import"),
        {"file": _upload(data), "school_year": world.year.name, "name": "Bad"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: 7 problems to fix" in page
    for sheet, line, column in WHERE:
        assert f'<th scope="row">{sheet}</th><td class="num">{line}</td><td>{column}</td>' in page
    assert not Framework.objects.filter(name="Bad").exists()
    assert Component.objects.count() == 5


def test_a_name_used_that_year_a_missing_sheet_or_not_a_workbook_is_refused(leap, world):
    hr = world.users["hr"]
    book = load_workbook(BytesIO(framework_io.export_framework(leap)))
    del book["Levels"]
    out = BytesIO()
    book.save(out)
    with pytest.raises(ImportFailed) as failure:
        framework_io.import_framework(out.getvalue(), world.year, name="leap", acting_user=hr)
    assert _where(failure.value) == {("Framework name", None, ""), ("Levels", None, "")}
    assert "has a framework called leap already" in str(failure.value.outcome.errors[0])
    with pytest.raises(ImportFailed, match="Nothing was imported: 1 problem"):
        framework_io.import_framework(b"Kind,Name\n", world.year, name="CSV", acting_user=hr)
    assert Framework.objects.count() == 1


def test_weights_that_do_not_add_up_to_100_are_refused(leap, world, login):
    hr = world.users["hr"]
    data = _edit(framework_io.export_framework(leap), {("Weights", "D2"): 50})
    with pytest.raises(ImportFailed) as failure:
        framework_io.import_framework(data, world.year, name="Over", acting_user=hr)
    [error] = failure.value.outcome.errors
    assert (error.file, error.line, error.column) == ("Weights", None, "D")
    assert "“With a student survey” (rows 2–6) add up to 105%" in error.reason
    # and on the page
    ws = WeightSet.objects.get(framework=leap, name="Without a student survey")
    before = _shape(leap)
    url = reverse("evaluation:framework_weights", args=[leap.pk, ws.pk])
    form = login(hr).get(url).content.decode()
    assert "Save the weights" in form and '<label for="id_c' in form
    post = {f"c{c.pk}": "" for c in leap.components.all()}
    post |= {
        f"c{leap.components.get(kind=k).pk}": v
        for k, v in {
            "observation": "60",
            "professionalism": "15",
            "growth_individual": "20",
        }.items()
    }
    post[f"c{leap.components.get(kind='growth_collective').pk}"] = "10"
    page = login(hr).post(url, post).content.decode()
    assert "These weights add up to 105%" in page and "exactly 100%" in page
    assert _shape(leap) == before
    assert not AuditEntry.objects.filter(action="evaluation.weights.change").exists()
    # 55 + 15 + 20 + 10 saves, through the action and its audit row
    post[f"c{leap.components.get(kind='observation').pk}"] = "50"
    post[f"c{leap.components.get(kind='professionalism').pk}"] = "20"
    assert login(hr).post(url, post).status_code == 302
    weights = {w.component.kind: w.percent for w in ws.weights.select_related("component")}
    assert weights == {
        "observation": 50,
        "professionalism": 20,
        "growth_individual": 20,
        "growth_collective": 10,
    }
    assert AuditEntry.objects.filter(action="evaluation.weights.change").count() == 1


def test_levels_out_of_order_are_refused_and_all_move_at_once(leap, world, login):
    hr = world.users["hr"]
    data = _edit(framework_io.export_framework(leap), {("Levels", "D4"): 30})
    with pytest.raises(ImportFailed) as failure:
        framework_io.import_framework(data, world.year, name="Down", acting_user=hr)
    [error] = failure.value.outcome.errors
    assert (error.file, error.line, error.column) == ("Levels", 4, "D")
    assert "“Effective” must start at a higher score than “Approaching”" in error.reason
    data = _edit(framework_io.export_framework(leap), {("Levels", "C5"): "ineffective"})
    with pytest.raises(ImportFailed) as failure:
        framework_io.import_framework(data, world.year, name="Lower", acting_user=hr)
    assert _where(failure.value) == {("Levels", 5, "C")}
    # on the page: Approaching above Effective is refused, nothing moves
    levels = {lv.name: lv for lv in leap.levels.all()}
    url = reverse("evaluation:framework_levels", args=[leap.pk])
    cuts = {"Not meeting": 0, "Approaching": 70, "Effective": 60, "Distinguished": 85}
    page = login(hr).post(url, {f"l{levels[n].pk}": v for n, v in cuts.items()})
    assert "must start at a higher score" in page.content.decode()
    assert [lv.min_score for lv in leap.levels.all()] == [0, 40, 60, 85]
    # every level up at once: one at a time, Approaching at 65 would pass Effective at 60
    cuts = {"Not meeting": 0, "Approaching": 65, "Effective": 80, "Distinguished": 90}
    assert login(hr).post(url, {f"l{levels[n].pk}": v for n, v in cuts.items()}).status_code == 302
    assert [lv.min_score for lv in leap.levels.all()] == [0, 65, 80, 90]
    assert AuditEntry.objects.filter(action="evaluation.levels.change").count() == 1


def test_a_closed_framework_refuses_edits(leap, world, login):
    client = login(world.users["hr"])
    close = reverse("evaluation:framework_close", args=[leap.pk])
    confirm = client.get(close).content.decode()
    assert "Close the framework" in confirm and "Keep it open" in confirm
    leap.refresh_from_db()
    assert not leap.closed  # asking is not closing
    assert client.post(close).status_code == 302
    leap.refresh_from_db()
    assert leap.closed
    assert AuditEntry.objects.filter(action="evaluation.framework.close").count() == 1
    before = _shape(leap)
    ws = leap.weight_sets.get(default=True)
    weights_url = reverse("evaluation:framework_weights", args=[leap.pk, ws.pk])
    page = client.get(weights_url).content.decode()
    assert "is closed" in page and "Save the weights" not in page
    post = {f"c{c.pk}": "20" for c in leap.components.all()}
    page = client.post(weights_url, post).content.decode()
    assert "is closed" in page
    levels_url = reverse("evaluation:framework_levels", args=[leap.pk])
    cut = {f"l{lv.pk}": v for lv, v in zip(leap.levels.all(), [0, 30, 50, 70], strict=True)}
    assert "closed" in client.post(levels_url, cut).content.decode()
    assert client.post(close).status_code == 302  # closing again changes nothing
    assert _shape(leap) == before
    assert AuditEntry.objects.filter(action="evaluation.framework.close").count() == 1
    assert not AuditEntry.objects.filter(
        action__in=["evaluation.weights.change", "evaluation.levels.change"]
    ).exists()
    framework_page = client.get(reverse("evaluation:framework")).content.decode()
    assert weights_url not in framework_page and levels_url not in framework_page


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["principal_a", "teacher_a", "pm"])
def test_only_the_admin_and_hr_change_it_through_the_pages(leap, world, login, who):
    client = login(world.users[who])
    ws = leap.weight_sets.get(default=True)
    data = framework_io.export_framework(leap)
    before, entries = _shape(leap), AuditEntry.objects.count()
    writes = [
        (reverse("evaluation:framework_import"), None),
        (reverse("evaluation:framework_weights", args=[leap.pk, ws.pk]), None),
        (reverse("evaluation:framework_levels", args=[leap.pk]), None),
        (reverse("evaluation:framework_close", args=[leap.pk]), None),
    ]
    posts = {
        writes[0][0]: {"file": _upload(data), "school_year": world.year.name, "name": "Theirs"},
        writes[1][0]: {f"c{c.pk}": "20" for c in leap.components.all()},
        writes[2][0]: {f"l{lv.pk}": 10 * lv.order - 10 for lv in leap.levels.all()},
        writes[3][0]: {},
    }
    for url, _ in writes:
        assert client.get(url).status_code == 403, url
        assert client.post(url, posts[url]).status_code == 403, url
    leap.refresh_from_db()
    assert not leap.closed and _shape(leap) == before
    assert Framework.objects.count() == 1
    assert AuditEntry.objects.count() == entries
    page = client.get(reverse("evaluation:framework")).content.decode()
    assert reverse("evaluation:framework_export", args=[leap.pk]) in page
    assert reverse("evaluation:framework_import") not in page
    assert reverse("evaluation:framework_close", args=[leap.pk]) not in page


def test_the_setters_see_the_links(leap, world, login):
    page = login(world.users["hr"]).get(reverse("evaluation:framework")).content.decode()
    ws = leap.weight_sets.get(default=True)
    for url in [
        reverse("evaluation:framework_import"),
        reverse("evaluation:framework_export", args=[leap.pk]),
        reverse("evaluation:framework_weights", args=[leap.pk, ws.pk]),
        reverse("evaluation:framework_levels", args=[leap.pk]),
        reverse("evaluation:framework_close", args=[leap.pk]),
    ]:
        assert url in page, url


def test_the_export_is_for_the_sections_readers_only(leap, world, client, login):
    for url in [
        reverse("evaluation:framework_export", args=[leap.pk]),
        reverse("evaluation:framework_preset"),
    ]:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
        assert login(world.users["norole"]).get(url).status_code == 403
        client.logout()
        reader = login(world.users["teacher_a"]).get(url)
        assert reader.status_code == 200 and reader["Content-Type"] == framework_io.XLSX
        assert reader["Content-Disposition"].startswith("attachment;")
        client.logout()
    assert (
        login(world.users["teacher_a"])
        .get(reverse("evaluation:framework_export", args=[leap.pk + 99]))
        .status_code
        == 404
    )


def test_a_formula_looking_name_is_text_in_the_export_and_comes_back_unchanged(leap, world):
    evil = '=HYPERLINK("http://x.example","click")'
    Component.objects.filter(framework=leap, kind="survey").update(name=evil)
    WeightSet.objects.filter(framework=leap, default=False).update(name="@SUM(A1)")
    OverallLevel.objects.filter(framework=leap, order=4).update(name="+Distinguished")
    data = framework_io.export_framework(leap)
    book = load_workbook(BytesIO(data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert book["Components"]["B4"].value == evil
    assert book["Components"]["B4"].data_type == "s"
    assert {c.value for c in book["Weights"]["A"]} >= {"@SUM(A1)"}
    assert book["Levels"]["B5"].value == "+Distinguished"
    copy = framework_io.import_framework(
        data, world.year, name="Again", acting_user=world.users["hr"]
    )
    assert copy.components.filter(name=evil).exists()
    assert _shape(copy) == _shape(leap)
    assert (
        copy.weight_sets.get(name="@SUM(A1)")
        .weights.filter(component__kind="observation", percent=Decimal(55))
        .exists()
    )
