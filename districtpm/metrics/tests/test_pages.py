"""Metric pages and exports: scoped to the user's schools, nothing below minimum n."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from districtpm.metrics.compute import recompute
from districtpm.metrics.definitions import definitions_dir
from districtpm.metrics.models import ComputeRun, MetricValue

SUBSET = [
    "ela_proficiency.yaml",
    "ela_interim_on_track.yaml",
    "chronic_absenteeism.yaml",
    "survey_belonging.yaml",
    "survey_climate.yaml",
]


@pytest.fixture
def computed(world, analytics_path, settings, tmp_path, monkeypatch):
    """A few shipped metrics computed into the test database (all of them take too long)."""
    path = tmp_path / "analytics.duckdb"
    shutil.copy(analytics_path, path)
    settings.ANALYTICS_PATH = path
    folder = tmp_path / "definitions"
    folder.mkdir()
    for name in SUBSET:
        shutil.copy(definitions_dir() / name, folder / name)
    monkeypatch.setenv("DISTRICTPM_METRICS_DIR", str(folder))
    return recompute()


def test_run_records_lineage(computed):
    run = ComputeRun.objects.get()
    assert run.rows == MetricValue.objects.count() > 500
    assert "ela_proficiency" in run.definitions and run.definitions["ela_proficiency"]["digest"]
    assert MetricValue.objects.filter(suppressed=True).exists()
    # the database itself refuses a suppressed row that carries numbers
    assert not MetricValue.objects.filter(suppressed=True, value__isnull=False).exists()


def test_catalogue_lists_the_metrics(computed, login, world):
    body = login(world.users["slt"]).get(reverse("metrics:catalogue")).content.decode()
    assert "ELA proficiency (state test)" in body and "Chronic absenteeism" in body
    assert "5 metrics" in body


def test_metric_page_shows_values_and_marks_suppression(computed, login, world):
    client = login(world.users["pm"])
    url = reverse("metrics:metric", args=["ela_proficiency"])
    body = client.get(url, {"level": "school", "entity": "101", "group": "gender"}).content.decode()
    assert "Aspen Elementary" in body
    # few students report gender X, so X is hidden, and M with it (else M = all - F - X ... )
    assert body.count("n&lt;10") >= 2
    assert 'id="trend-spec"' in body
    hidden = MetricValue.objects.filter(
        metric_id="ela_proficiency",
        level="school",
        entity_code="101",
        group_dim="gender",
        suppressed=True,
    )
    assert hidden.exists() and all(v.value is None for v in hidden)


def test_principal_sees_own_school_not_another(computed, login, world):
    client = login(world.users["principal_a"])
    url = reverse("metrics:metric", args=["ela_proficiency"])
    assert client.get(url, {"level": "school", "entity": "101"}).status_code == 200
    assert client.get(url, {"level": "school", "entity": "102"}).status_code == 404
    assert client.get(url, {"level": "network", "entity": "N2"}).status_code == 404
    assert client.get(url).status_code == 200  # district aggregates


def test_exports_respect_access_and_suppression(computed, login, world):
    client = login(world.users["principal_a"])
    response = client.get(reverse("metrics:export_csv", args=["ela_proficiency"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and {r["Level"] for r in rows} <= {"District", "School", "Grade"}
    assert {r["Code"] for r in rows if r["Level"] != "District"} == {"101"}
    for r in rows:
        if r["Suppressed"]:
            assert r["Value (%)"] == r["Students (n)"] == r["Numerator"] == r["Denominator"] == ""
            assert r["Shown as"] == ""
        else:
            assert int(r["Students (n)"]) >= 10
    response = login(world.users["slt"]).get(
        reverse("metrics:export_xlsx", args=["ela_proficiency"])
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    n_col, sup_col = header.index("Students (n)"), header.index("Suppressed")
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {r[header.index("Code")] for r in data} >= {"101", "102"}
    assert all((r[n_col] in (None, "")) if r[sup_col] else r[n_col] >= 10 for r in data)


def test_teacher_sees_no_data(computed, login, world):
    client = login(world.users["teacher_a"])
    assert client.get(reverse("metrics:catalogue")).status_code == 403
    assert client.get(reverse("metrics:export_csv", args=["ela_proficiency"])).status_code == 403


def test_recompute_after_one_table_touches_only_its_metrics(computed):
    before = dict(MetricValue.objects.values_list("metric_id", "run_id").distinct())
    run = recompute(tables={"survey_responses"})
    after = dict(MetricValue.objects.values_list("metric_id", "run_id").distinct())
    changed = {m for m in after if after[m] != before.get(m)}
    assert changed == {"survey_belonging", "survey_climate"}
    assert run.scope.startswith("2 metrics reading survey_responses")


def test_api_answers_are_scoped_and_suppressed(computed, login, world):
    client = login(world.users["principal_a"])
    listing = client.get(reverse("metrics:api_metrics")).json()
    assert {m["id"] for m in listing["metrics"]} >= {"ela_proficiency"}
    data = client.get(
        reverse("metrics:api_values", args=["ela_proficiency"]), {"level": "school"}
    ).json()
    assert data["count"] > 0
    assert {v["entity_code"] for v in data["values"]} == {"101"}
    for v in data["values"]:
        if v["suppressed"]:
            assert v["value"] is None and v["n"] is None and v["numerator"] is None
        else:
            assert v["n"] >= 10
    assert any(v["suppressed"] for v in data["values"])
    other = client.get(
        reverse("metrics:api_values", args=["ela_proficiency"]),
        {"level": "school", "entity_code": "102"},
    ).json()
    assert other["count"] == 0
    assert login(world.users["teacher_a"]).get(reverse("metrics:api_metrics")).status_code == 403


def _page_cells(html: str) -> set[tuple[str, str, str]]:
    """(group, period, what the cell shows) for every cell of the page's main table, read from
    the HTML independently of the view: a value as shown, or "hidden"."""
    import re

    table = html[html.index('<table id="trend-table">') : html.index("</table>")]
    periods = re.findall(r'<th scope="col" class="num">([^<]+)</th>', table)
    cells = set()
    for label, body in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S):
        found = re.findall(r'<td class="num">(.*?)</td>', body, re.S)
        for period, cell in zip(periods, found, strict=True):
            text = re.sub(r"<[^>]+>", " ", cell).split()
            if text == ["—"]:
                continue  # no row at all for this group and period
            shown = "hidden" if "n=" not in cell else text[0]
            cells.add((label, period, shown))
    return cells


@pytest.mark.parametrize(
    "query",
    [
        {"level": "school", "entity": "101", "group": "ell"},
        {"level": "district", "entity": "district", "group": "race"},
        {"level": "grade", "entity": "101", "grade": "3", "group": "all"},
    ],
)
def test_the_csv_of_a_filtered_page_holds_exactly_the_rows_shown(computed, login, world, query):
    client = login(world.users["principal_a"])
    page = client.get(reverse("metrics:metric", args=["ela_proficiency"]), query)
    assert page.status_code == 200
    shown = _page_cells(page.content.decode())
    assert shown
    response = client.get(reverse("metrics:export_csv", args=["ela_proficiency"]), query)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    exported = {
        (r["Student group"], r["Period"], "hidden" if r["Suppressed"] else r["Shown as"])
        for r in rows
    }
    assert exported == shown and len(rows) == len(shown)
    for r in rows:  # integers as integers, rounded as the page rounds
        assert r["Students (n)"] == "" or r["Students (n)"].isdigit()
        assert "." not in r["Numerator"] and "." not in r["Denominator"]
        if r["Shown as"]:
            assert r["Shown as"] == f"{r['Value (%)']}%"
    assert "/export.csv?" in page.content.decode()
