"""A PM session's data pack shows the process maps of its focal area: in PowerPoint a slide per
map, titled, with the drawing (its text alternative naming the hand-offs) and the list of gaps
beside it, that LibreOffice opens; in PDF the same list; in the board's version only a
published version."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pptx import Presentation
from pypdf import PdfReader

from districtpm.core.scoping import SYSTEM
from districtpm.meetings import pack
from districtpm.meetings.models import Meeting
from districtpm.meetings.schedule import plan_year
from districtpm.meetings.sections import sections_for
from districtpm.plans.models import Initiative, Plan, Priority
from districtpm.processmaps import actions
from districtpm.processmaps.tests.sample import make_sample

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
GAP_LINES = [
    "Nobody owns the step: S6 Plan supports",
    "No way on from the step to an end: S6 Plan supports",
]


@pytest.fixture
def session(world):
    """A PM session on the Whole Child priority, whose initiative has the sample map: version 1
    published as it is, version 2 a draft to be (S6 given an owner and an end: no gaps)."""
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    whole_child = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    Priority.objects.create(plan=plan, name="Great Schools", order=2)
    outreach = Initiative.objects.create(priority=whole_child, name="Attendance outreach")
    sample = make_sample(world, initiative=outreach)
    s6 = sample.step(sample.draft, "S6")
    actions.change_step(s6, lane=sample.lanes["WCS"], acting_user=SYSTEM)
    actions.connect(s6, sample.step(sample.draft, "S7"), acting_user=SYSTEM)
    # a map of another priority's initiative stays out of this session's pack
    other = Initiative.objects.create(priority=plan.priorities.get(order=2), name="Partnerships")
    actions.create_map("School partnerships", initiative=other, acting_user=SYSTEM)
    plan_year("2026-2027", "pm-sessions", acting_user=SYSTEM)
    meeting = Meeting.objects.filter(rule__kind="pm_session", priority=whole_child).first()
    return meeting, sample


def map_slides(deck) -> list:
    return [
        s
        for s in deck.slides
        if s.shapes.title is not None and s.shapes.title.text.startswith("Process map: ")
    ]


def test_the_powerpoint_pack_has_the_map_and_its_gaps_and_opens_in_libreoffice(
    session, world, tmp_path
):
    meeting, sample = session
    full = pack.assemble(meeting, user=world.users["pm"])
    data = pack.to_pptx(full)
    deck = Presentation(io.BytesIO(data))
    *pictured, listing = map_slides(deck)  # the drawing, in parts if it is long; what it shows
    assert len(pictured) == len(full.sections[0].cut(full.sections[0].svg)) >= 1
    slide = pictured[0]
    # the PM office's pack shows the latest version: the draft, its gaps closed
    assert slide.shapes.title.text.startswith("Process map: Absence follow-up — To be (version 2)")
    pictures = [s for p in pictured for s in p.shapes if s.shape_type == 13]
    assert len(pictures) == len(pictured)
    alt = pictures[0]._element.nvPicPr.cNvPr.get("descr")
    assert "5 hand-offs between divisions" in alt
    assert "1. Whole Child Supports to Family Engagement (S1 to S2)" in alt
    assert listing.shapes.title.text == (
        "Process map: Absence follow-up — To be (version 2): what it shows"
    )
    boxes = [s for s in listing.shapes if s.has_text_frame and s != listing.shapes.title]
    listed = [p.text for b in boxes for p in b.text_frame.paragraphs]
    assert "5 hand-offs between divisions" in listed and "No gaps found" in listed

    # the board's version: version 1, as it is, with its two gaps listed
    board = Presentation(
        io.BytesIO(pack.to_pptx(pack.assemble(meeting, user=world.users["pm"], board=True)))
    )
    *pictured, listing = map_slides(board)
    assert pictured[0].shapes.title.text.startswith(
        "Process map: Absence follow-up — As is (version 1)"
    )
    boxes = [s for s in listing.shapes if s.has_text_frame and s != listing.shapes.title]
    listed = [p.text for b in boxes for p in b.text_frame.paragraphs]
    assert "2 gaps:" in listed and all(line in listed for line in GAP_LINES)
    assert "4 hand-offs between divisions" in listed and "Critical path: 6 days" in listed

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
    last = pages[-1].extract_text()
    assert "Process map: Absence follow-up" in last and "No gaps found" in last

    # the map's slide alone, drawn as a picture (LibreOffice draws a deck's first slide)
    ids = deck.slides._sldIdLst
    for entry in list(ids)[:-1]:
        ids.remove(entry)
    deck.save(tmp_path / "map-slide.pptx")
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "png",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "map-slide.pptx"),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    picture = (tmp_path / "map-slide.png").read_bytes()
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and len(picture) > 20_000


def test_the_board_reads_only_a_published_version_in_the_pack(session, world):
    meeting, sample = session
    for user in (world.users["board"], world.users["pm"]):
        board = pack.assemble(meeting, user=user, board=True)
        assert [s.title for s in board.sections] == [
            "Process map: Absence follow-up — As is (version 1)"
        ]
        assert board.sections[0].link.endswith(f"/{sample.pm.pk}/v1/")
    # with nothing published, the board's pack has no map at all
    sample.published.published = False
    sample.published.save()
    assert pack.assemble(meeting, user=world.users["pm"], board=True).sections == []
    assert pack.assemble(meeting, user=world.users["board"], board=True).sections == []


def test_a_reader_without_the_maps_gets_none_and_other_priorities_are_left_out(session, world):
    meeting, _ = session
    assert sections_for(meeting, world.users["principal_a"]) != []  # a principal reads them
    assert sections_for(meeting, world.users["teacher_a"]) == []
    titles = [s.title for s in pack.assemble(meeting, user=world.users["pm"]).sections]
    assert not any("School partnerships" in t for t in titles)


def test_the_pdf_pack_lists_the_gaps(session, world):
    meeting, _ = session
    board = pack.assemble(meeting, user=world.users["pm"], board=True)
    reader = PdfReader(io.BytesIO(pack.to_pdf(board)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    assert "Process map: Absence follow-up — As is (version 1)" in flat
    for line in GAP_LINES:
        assert line in flat
    assert "4 hand-offs between divisions" in flat
