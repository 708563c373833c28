"""Every slide of the demo's packs stays on its slide: no shape outside it, no two shapes over
each other. Checked on every kind of meeting (Explore, Engage, Empower and its board version,
PM session), with a goal statement long enough to wrap and an overdue commitment, and on a
district's own 4:3 template."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.contrib.auth.models import User
from pptx import Presentation
from pptx.util import Inches

from districtpm.core.slides import Deck, lines_needed
from districtpm.meetings import pack
from districtpm.meetings.models import Meeting, MeetingItem

KINDS = ["explore", "engage", "empower", "pm_session"]


@pytest.fixture
def demo(db, settings, tmp_path):
    from districtpm.demo.cycle_data import build_demo_cycles
    from districtpm.demo.generator import build_demo
    from districtpm.demo.plan_data import build_demo_plan
    from districtpm.demo.processmap_data import build_demo_maps
    from districtpm.demo.student_data import build_student_data
    from districtpm.metrics.compute import recompute
    from districtpm.plans.models import Goal

    settings.CHART_CACHE_DIR = tmp_path / "charts"
    settings.ANALYTICS_PATH = tmp_path / "analytics.duckdb"
    build_demo("small", seed=2026)
    build_student_data("small", 2026, as_of=dt.date(2026, 11, 20))
    recompute()
    plan = build_demo_plan()
    build_demo_cycles(plan, 2026)
    build_demo_maps(2026)
    goal = Goal.objects.filter(level="district").order_by("pk").first()
    goal.statement = "Cut chronic absenteeism " + "in every school and every student group " * 6
    goal.save()
    return plan


def boxes(slide) -> list[tuple[str, int, int, int, int]]:
    """Every shape of the slide, and the marks its layout and master draw under it."""
    marks = [
        s
        for s in [*slide.slide_layout.shapes, *slide.slide_layout.slide_master.shapes]
        if not s.is_placeholder
    ]
    return [
        (s.name, s.left, s.top, s.left + s.width, s.top + s.height) for s in [*slide.shapes, *marks]
    ]


def overlap(a, b) -> bool:
    return min(a[3], b[3]) > max(a[1], b[1]) and min(a[4], b[4]) > max(a[2], b[2])


def misplaced(data: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(data))
    found = []
    for number, slide in enumerate(deck.slides, start=1):
        shapes = boxes(slide)
        for name, left, top, right, bottom in shapes:
            if left < 0 or top < 0 or right > deck.slide_width or bottom > deck.slide_height:
                found.append(f"slide {number}: {name} runs off the slide")
        for a, b in itertools.combinations(shapes, 2):
            if overlap(a, b):
                found.append(f"slide {number}: {a[0]} and {b[0]} overlap")
        if slide.shapes.title is None or not slide.shapes.title.text.strip():
            found.append(f"slide {number}: no title")
    return found


def test_no_shape_of_any_demo_pack_leaves_its_slide_or_covers_another(demo, tmp_path):
    pm = User.objects.get(username="pm.office")
    explores = list(Meeting.objects.filter(rule__kind="explore").order_by("date"))
    MeetingItem.objects.create(
        meeting=explores[0],
        kind=MeetingItem.Kind.COMMITMENT,
        text="Share the tutoring rosters with every network",
        owner=pm,
        due_date=explores[2].date - dt.timedelta(days=3),
        created_by=pm,
    )
    slides = 0
    for kind in KINDS:
        meeting = Meeting.objects.filter(rule__kind=kind).order_by("date")[2]
        for board in [False, True] if kind == "empower" else [False]:
            built = pack.assemble(meeting, user=pm, board=board)
            data = pack.to_pptx(built)
            assert misplaced(data) == [], (kind, board)
            deck = Presentation(io.BytesIO(data))
            slides += len(deck.slides)
            assert deck.slide_width == Inches(13.333) and deck.slide_height == Inches(7.5)
            titles = [s.shapes.title.text for s in deck.slides]
            assert titles[0].startswith("Performance Dialogues" if kind != "pm_session" else "PM")
            if kind in ("explore", "pm_session"):
                assert any(t.startswith("Status updates for") for t in titles)
                assert "Commitments still open" in titles
            if board:
                assert not any(t.startswith("Status updates") for t in titles)
                assert "Commitments still open" not in titles
    assert slides > 40

    # the overdue commitment is marked as such, with its owner's name
    built = pack.assemble(explores[2], user=pm)
    cells = [pack._commitment_cells(i, explores[2].date) for i in built.commitments]
    mine = [c for c in cells if c[0] == "Share the tutoring rosters with every network"]
    assert mine and mine[0][2].endswith("overdue") and mine[0][1] == pm.get_full_name()

    # a district's own 4:3 template: its layouts and marks are kept, its slides dropped
    template = Presentation()
    scratch = template.slides.add_slide(template.slide_layouts[6])
    logo = scratch.shapes.add_textbox(Inches(8.4), Inches(6.95), Inches(1.4), Inches(0.4))
    logo.text_frame.text = "Our District"
    template.slide_layouts[5].shapes._spTree.append(logo._element)
    path = tmp_path / "district.pptx"
    template.save(path)
    data = pack.to_pptx(built, template=path)
    deck = Presentation(io.BytesIO(data))
    assert deck.slide_width == Inches(10)
    assert misplaced(data) == []
    assert deck.slides[0].shapes.title.text.startswith("Performance Dialogues: Explore")
    marks = [s for s in deck.slides[3].slide_layout.shapes if not s.is_placeholder]
    assert [s.text_frame.text for s in marks] == ["Our District"]


def test_a_long_table_continues_on_further_slides_without_overflowing(db):
    deck = Deck()
    rows = [[f"Row {i} " + "with a long label " * (i % 4), "12.5%", "1,234"] for i in range(60)]
    deck.table("Sixty rows", ["Label", "Value", "n"], rows, [0.6, 0.2, 0.2])
    data = deck.save()
    assert misplaced(data) == []
    presentation = Presentation(io.BytesIO(data))
    titles = [s.shapes.title.text for s in presentation.slides]
    assert titles[0] == "Sixty rows" and titles[1] == "Sixty rows (continued)"
    shown = sum(len(s.shapes[1].table.rows) - 1 for s in presentation.slides)
    assert shown == 60


def test_line_estimates_wrap_at_words():
    one_inch = Inches(1)
    assert lines_needed("short", one_inch, 12) == 1
    assert lines_needed("word " * 40, one_inch, 12) > 5
    assert lines_needed("a\nb\nc", one_inch, 12) == 3
