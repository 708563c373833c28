"""Metrics over published data: the NYC file's school rates rolled up from its grade rows alone,
through the shipped definitions, recompute, the metric page and the CSV export."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from django.urls import reverse

from districtpm.analytics import store as analytics_store
from districtpm.analytics.importer import import_file
from districtpm.metrics import bench, engine, reference
from districtpm.metrics.compute import recompute
from districtpm.metrics.definitions import definitions_dir, load_all
from districtpm.metrics.models import MetricValue
from districtpm.org.models import School

PUBLIC = Path(__file__).resolve().parents[4] / "shared" / "data" / "public"
MAPPINGS = Path(__file__).resolve().parents[2] / "analytics" / "mappings"
NYC = "nyc-demo-ela-math-2016-2017.csv"
MA = "ma-public-schools-2017.csv"
# The file's columns for each subject: number tested, count and percent at level 3 or 4.
SUBJECTS = {
    "math": (
        "nyc_math_proficiency_published",
        "number_tested_math",
        "level3_4_n_math",
        "level3_4_math",
    ),
    "ela": ("nyc_ela_proficiency_published", "number_tested", "level_3_4", "level_3_4_1"),
}
LEAST_SHARE = {"math": 0.99, "ela": 0.96}
SCHOOL = "01M015"  # P.S. 015 Roberto Clemente


def _public(name: str) -> Path:
    path = PUBLIC / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have shared/ beside the clone")
        pytest.skip(f"{path} is not on this machine")
    return path


def _school_year(year: str) -> str:
    """The file's year (2016, the spring of the test) as a school year (2015-2016)."""
    return f"{int(year) - 1}-{year}"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def nyc_computed(world, settings, tmp_path, monkeypatch):
    """The NYC file without its "All Grades" rows, imported, with the shipped NYC proficiency
    metrics computed into the test database; one of its schools is a school of the district."""
    original = _public(NYC)
    grades_only = tmp_path / "nyc-grade-rows.csv"
    with original.open(newline="", encoding="utf-8") as f, grades_only.open("w", newline="") as g:
        reader = csv.reader(f)
        writer = csv.writer(g)
        header = next(reader)
        writer.writerow(header)
        grade = header.index("grade")
        kept = [row for row in reader if row[grade] != "All Grades"]
        writer.writerows(kept)
    assert kept and all(row[grade] in {"3", "4", "5", "6", "7", "8"} for row in kept)
    store = tmp_path / "analytics.duckdb"
    settings.ANALYTICS_PATH = store
    settings.VAR_DIR = tmp_path
    import_file(grades_only, MAPPINGS / "nyc-demo-ela-math.yaml", store_path=store)
    folder = tmp_path / "definitions"
    folder.mkdir()
    for metric_id, *_ in SUBJECTS.values():
        shutil.copy(definitions_dir() / f"{metric_id}.yaml", folder / f"{metric_id}.yaml")
    monkeypatch.setenv("DISTRICTPM_METRICS_DIR", str(folder))
    School.objects.create(
        district=world.district,
        network=world.network_1,
        code=SCHOOL,
        name="P.S. 015 Roberto Clemente",
        lowest_grade="K",
        highest_grade="5",
    )
    recompute()
    return _read(original)


def _export(client, metric_id: str) -> list[dict[str, str]]:
    response = client.get(reverse("metrics:export_csv", args=[metric_id]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_nyc_school_rates_rolled_up_from_grade_rows_match_the_published_all_grades(
    nyc_computed, login, world
):
    client = login(world.users["pm"])
    rows = nyc_computed
    for subject, (metric_id, tested, level34_n, level34) in SUBJECTS.items():
        # Read from the original file, independently of the import: the published all-grades
        # percentage, and the grades the publisher suppressed.
        published = {
            (r["dbn"], _school_year(r["year"])): float(r[level34])
            for r in rows
            if r["grade"] == "All Grades" and r[level34] != "s"
        }
        suppressed_grades = {
            (r["dbn"], _school_year(r["year"]), r["grade"])
            for r in rows
            if r["grade"] != "All Grades" and r[level34_n] == "s"
        }
        assert suppressed_grades  # the file keeps "number tested" on these rows
        assert all(
            int(r[tested]) > 0
            for r in rows
            if (r["dbn"], _school_year(r["year"]), r["grade"]) in suppressed_grades
        )
        with_suppressed_grade = {(dbn, year) for dbn, year, _grade in suppressed_grades}
        tested_by_school: dict[tuple[str, str], int] = {}
        for r in rows:
            if r["grade"] != "All Grades":
                key = (r["dbn"], _school_year(r["year"]))
                tested_by_school[key] = tested_by_school.get(key, 0) + int(r[tested])

        export = _export(client, metric_id)
        schools = {(r["Code"], r["Period"]): r for r in export if r["Level"] == "School"}
        grades = {(r["Code"], r["Period"], r["Grade"]): r for r in export if r["Level"] == "Grade"}
        assert set(schools) == set(tested_by_school)  # every school-year, from grade rows only

        # A suppressed grade is never a 0: its cell is empty, and so is its school's rate.
        for key in suppressed_grades:
            cell = grades[key]
            assert cell["Value (%)"] == "" and cell["Numerator"] == "", (subject, key, cell)
        for key in with_suppressed_grade:
            cell = schools[key]
            assert cell["Value (%)"] == "" and cell["Numerator"] == "", (subject, key, cell)
        assert not [r for r in export if r["Value (%)"] == "" and r["Numerator"] not in ("", None)]

        # The product's own small-n rule hides a school-year with fewer than min_n tested (and
        # a complement beside one); every other school-year shows its roll-up.
        hidden = [key for key, r in schools.items() if r["Suppressed"]]
        small = [key for key in hidden if schools[key]["Suppressed"].startswith("n<")]
        assert all(tested_by_school[key] < 10 for key in small)
        assert all(
            r["Value (%)"] != "" or key in with_suppressed_grade
            for key, r in schools.items()
            if not r["Suppressed"]
        )

        both = {
            # the exact rate, from the counts (the value column is rounded as the page shows it)
            key: (100 * float(r["Numerator"]) / float(r["Denominator"]), published[key])
            for key, r in schools.items()
            if r["Value (%)"] != "" and key in published
        }
        within = sum(1 for ours, theirs in both.values() if abs(ours - theirs) <= 0.1 + 1e-9)
        share = within / len(both)
        print(
            f"{metric_id}: {within} of {len(both)} school-years ({share:.2%}) within 0.1 point "
            f"of the published all-grades figure; {len(with_suppressed_grade)} unknown (a "
            f"suppressed grade), {len(hidden)} hidden by the product's minimum n "
            f"({len(small)} small, {len(hidden) - len(small)} complements), "
            f"{len(published)} published"
        )
        assert len(both) > 0.95 * len(published)
        assert share >= LEAST_SHARE[subject], (subject, share)
        # n is the number tested as published, summed over the grades
        for key, r in schools.items():
            if not r["Suppressed"]:
                n = int(r["Students (n)"])
                assert n == tested_by_school[key] == float(r["Denominator"])


def test_the_metric_page_shows_a_nyc_schools_published_rate(nyc_computed, login, world):
    client = login(world.users["pm"])
    url = reverse("metrics:metric", args=["nyc_math_proficiency_published"])
    response = client.get(url, {"level": "school", "entity": SCHOOL})
    assert response.status_code == 200
    body = response.content.decode()
    assert "P.S. 015 Roberto Clemente" in body
    # 2016: grades 3, 4, 5 have 4 of 21, 5 of 15 and 2 of 16 at level 3 or 4: 11 of 52
    # (the file's All Grades row says 21.2%); 2017: 12 of 29, 9 of 23, 10 of 17: 31 of 69 (44.9%)
    assert "21.2%" in body and "n=52" in body
    assert "44.9%" in body and "n=69" in body
    assert "Grade 3" in body  # the grades it was rolled up from, to drill into
    value = MetricValue.objects.get(
        metric_id="nyc_math_proficiency_published",
        level="school",
        entity_code=SCHOOL,
        period="2015-2016",
    )
    assert (value.numerator, value.denominator, value.n) == (11.0, 52.0, 52)
    # a principal of another school does not see it
    other = login(world.users["principal_b"]).get(url, {"level": "school", "entity": SCHOOL})
    assert other.status_code == 404


def test_the_three_engines_agree_on_both_public_files(tmp_path):
    path = tmp_path / "analytics.duckdb"
    import_file(_public(NYC), MAPPINGS / "nyc-demo-ela-math.yaml", store_path=path)
    import_file(_public(MA), MAPPINGS / "ma-public-schools.yaml", store_path=path)
    published = [d for d in load_all().values() if d.published]
    assert {d.id for d in published} >= {
        "nyc_ela_proficiency_published",
        "nyc_math_proficiency_published",
        "ma_graduation_rate_published",
    }
    tables = reference.load_tables(str(path))
    con = analytics_store.ibis_connection(path)
    duck = duckdb.connect(str(path), read_only=True)
    try:
        for d in published:
            ours = engine.compute(con, d)
            assert len(ours) > 100 and ours["value"].notna().any(), d.id
            for name, theirs in (
                ("pandas reference", reference.compute(tables, d)),
                ("hand-written SQL", duck.execute(bench.metric_sql(d)).df()),
            ):
                same, detail = bench.same(ours, theirs)
                assert same, (d.id, name, detail)
    finally:
        con.disconnect()
        duck.close()
