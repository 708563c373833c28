"""Data packs: at most twelve charts, PowerPoint that LibreOffice opens, PDF, and a board
version with nothing below the minimum n."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.conf import settings
from pptx import Presentation
from pypdf import PdfReader

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.conftest import use_store_with_past_years
from districtpm.core.scoping import SYSTEM
from districtpm.meetings import pack
from districtpm.meetings.models import Meeting
from districtpm.meetings.schedule import plan_year
from districtpm.metrics.compute import recompute
from districtpm.metrics.models import Metric, MetricValue
from districtpm.plans.models import Goal, Initiative, Plan, Priority, Target

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


@pytest.fixture
def meeting(world, analytics_path, settings, tmp_path):
    use_store_with_past_years(world, analytics_path, settings, tmp_path)
    recompute()
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Foundation for Success", order=1)
    leading = list(Metric.objects.filter(kind="leading"))
    for metric_id in ("ela_proficiency", "math_proficiency"):
        goal = Goal.objects.create(
            plan=plan,
            priority=priority,
            statement=f"Raise {metric_id}",
            metric=Metric.objects.get(id=metric_id),
            baseline_year="2024-2025",
            baseline_value=0.3,
            goal_year="2028-2029",
        )
        Target.objects.create(goal=goal, school_year="2028-2029", value=0.42)
    initiative = Initiative.objects.create(priority=priority, name="Tutoring")
    initiative.leading_metrics.set(leading)
    plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    return Meeting.objects.filter(rule__kind="explore").first()


def test_a_pack_holds_at_most_twelve_charts(meeting, world):
    full = pack.assemble(meeting, user=world.users["pm"])
    assert len(full.charts) == pack.MAX_CHARTS and full.left_out > 0
    titles = [c.title for c in full.charts]
    assert titles[0] == "Raise ela_proficiency" and "by network" in titles[2]
    assert [r.goal.statement for r in full.goals] == [
        "Raise ela_proficiency",
        "Raise math_proficiency",
    ]


def test_each_chart_is_drawn_once_whichever_export_asks(
    meeting, world, settings, tmp_path, monkeypatch
):
    settings.CHART_CACHE_DIR = tmp_path / "charts"
    drawn = []
    draw = pack._draw
    monkeypatch.setattr(pack, "_draw", lambda spec: drawn.append(spec) or draw(spec))
    full = pack.assemble(meeting, user=world.users["pm"])
    pack.to_pptx(full)
    assert len(drawn) == len(full.charts) == pack.MAX_CHARTS
    pack.to_pdf(full)
    pack.to_pptx(pack.assemble(meeting, user=world.users["pm"]))
    assert len(drawn) == pack.MAX_CHARTS
    # a kept picture is the one drawn for that spec
    assert pack.chart_pngs(full.charts[:1]) == [draw(full.charts[0].export_spec())]
    # a chart whose spec changes in any way (here its title) is drawn again
    full.charts[0].spec["title"] = "Raise ela_proficiency, again"
    pack.chart_pngs(full.charts)
    assert len(drawn) == pack.MAX_CHARTS + 1
    # at most CHART_CACHE_FILES pictures are kept
    monkeypatch.setattr(pack, "CHART_CACHE_FILES", 3)
    full.charts[1].spec["title"] = "Raise math_proficiency, again"
    pack.chart_pngs(full.charts)
    assert len(list((tmp_path / "charts").glob("*.png"))) == 3


def test_the_powerpoint_pack_opens_in_libreoffice(meeting, world, tmp_path):
    full = pack.assemble(meeting, user=world.users["pm"])
    data = pack.to_pptx(full)
    deck = Presentation(io.BytesIO(data))
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == len(full.charts) <= 12
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[:3] == [
        "Performance Dialogues: Explore — Foundation for Success",
        "Agenda",
        "Goals: where they stand",
    ]
    source = tmp_path / "pack.pptx"
    source.write_bytes(data)
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pages = PdfReader(tmp_path / "pack.pdf").pages
    assert len(pages) == len(deck.slides)
    assert "Agenda" in pages[1].extract_text()


def test_the_pdf_pack_has_a_page_per_chart(meeting, world):
    full = pack.assemble(meeting, user=world.users["pm"])
    reader = PdfReader(io.BytesIO(pack.to_pdf(full)))
    assert len(reader.pages) == 1 + len(full.charts)
    assert "Agenda" in reader.pages[0].extract_text()


def test_the_board_version_has_no_value_below_minimum_n(meeting, world, login):
    board = pack.assemble(meeting, user=world.users["board"], board=True)
    assert not any("by network" in c.title for c in board.charts)
    deck = Presentation(io.BytesIO(pack.to_pptx(board)))
    counts, labels = [], []
    for slide in deck.slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            rows = list(shape.table.rows)
            if [c.text for c in rows[0].cells] != ["", "Value", "n"]:
                continue
            for row in rows[1:]:
                label, _, n = (c.text for c in row.cells)
                labels.append(label)
                if n:
                    counts.append(int(n.replace(",", "")))
    assert counts and min(counts) >= settings.DISTRICTPM_MIN_N
    hidden = MetricValue.objects.filter(
        metric_id__in=["ela_proficiency", "math_proficiency"],
        level="district",
        suppressed=True,
        group_dim__in=list(GROUP_DIMENSIONS),
    )
    assert hidden.exists(), "the test data should have small groups"
    for row in hidden:
        period = row.period
        assert f"{GROUP_DIMENSIONS[row.group_dim]}: {row.group_value} {period}" not in labels
    # a board member downloading gets the board version whatever they ask for
    response = login(world.users["board"]).get(f"/meetings/{meeting.pk}/pack.pptx")
    assert response.status_code == 404  # a board member does not see Explore meetings
    empower = Meeting.objects.filter(rule__kind="empower").first()
    response = login(world.users["board"]).get(f"/meetings/{empower.pk}/pack.pptx")
    assert response.status_code == 200 and "-board.pptx" in response["Content-Disposition"]
