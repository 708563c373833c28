"""Free text in the data packs is shown as text: reportlab's paragraph markup, images, links and
control characters typed into a priority, a goal, an agenda or a network name stay inert."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from lxml import etree
from pptx import Presentation
from pypdf import PdfReader

from districtpm.conftest import use_store_with_past_years
from districtpm.core.scoping import SYSTEM
from districtpm.meetings import pack
from districtpm.meetings.models import Meeting, MeetingItem
from districtpm.meetings.schedule import plan_year
from districtpm.metrics.compute import recompute
from districtpm.metrics.models import Metric
from districtpm.org.models import Network
from districtpm.plans.models import Goal, Initiative, Plan, Priority, Target

# PostgreSQL refuses NUL in text at the database, and the product's forms refuse it on every
# engine (Django's ProhibitNullCharactersValidator); these tests store text directly, so on
# PostgreSQL they use another control character in its place.
NUL = "\x01" if connection.vendor == "postgresql" else "\x00"

# A secret on the server: a PNG and a text file that free text must never pull into a pack.
SECRET = "SERVER-SECRET-4b1d"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)

PRIORITY = 'Equity "><img src=x onerror=alert(1)> & <b>more</b>'
AGENDA = [
    "Review the <font size=60 color=red>numbers</font> & trends",
    "</para><para>Second paragraph",
    'Open <a href="http://evil.example/agenda">the link</a>',
    f"Control{NUL}chars\x0bin\x1ftext",
]
# A link typed as text stays text; only markup must not become a live link.
LINK = "http://evil.example/goal"


def goal_statements(tmp_path) -> list[str]:
    return [
        f'Raise reading <img src="{tmp_path / "secret.png"}" width="200" height="200"/> now',
        f'Raise math <link href="{LINK}">click here</link> & <img src="{tmp_path / "secret.txt"}"/>',
    ]


def flat(text: str) -> str:
    """Text with every run of whitespace made one space, as line wrapping breaks it anywhere."""
    return " ".join(text.split())


@pytest.fixture
def hostile(world, analytics_path, settings, tmp_path):
    (tmp_path / "secret.png").write_bytes(PNG)
    (tmp_path / "secret.txt").write_text(SECRET)
    use_store_with_past_years(world, analytics_path, settings, tmp_path)
    recompute(tables={"assessments"})  # what the two goals and their leading measure read
    Network.objects.filter(code="N1").update(name="North <b>&amp; \x07bell</b>")
    plan = Plan.objects.create(name="Plan 2030", first_year="2024-2025", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name=PRIORITY, order=1)
    for metric_id, statement in zip(
        ("ela_proficiency", "math_proficiency"), goal_statements(tmp_path), strict=True
    ):
        goal = Goal.objects.create(
            plan=plan,
            priority=priority,
            statement=statement,
            metric=Metric.objects.get(id=metric_id),
            baseline_year="2024-2025",
            baseline_value=0.3,
            goal_year="2028-2029",
        )
        Target.objects.create(goal=goal, school_year="2028-2029", value=0.42)
    initiative = Initiative.objects.create(priority=priority, name="Tutoring <i>x</i>")
    initiative.leading_metrics.set([Metric.objects.get(id="ela_interim_on_track")])
    plan_year("2026-2027", "performance-dialogues", acting_user=SYSTEM)
    Meeting.objects.update(agenda=AGENDA)
    meetings = {
        kind: Meeting.objects.filter(rule__kind=kind).first() for kind in ("explore", "empower")
    }
    for meeting in meetings.values():
        for kind in (MeetingItem.Kind.DECISION, MeetingItem.Kind.COMMITMENT):
            MeetingItem.objects.create(
                meeting=meeting, kind=kind, text=f'<img src="{tmp_path / "secret.png"}"/>{NUL}'
            )
    return meetings


def expected_texts(tmp_path) -> list[str]:
    """What the reader must see, character for character (control characters become spaces)."""
    return [
        PRIORITY,
        *AGENDA[:3],
        "Control chars in text",
        *goal_statements(tmp_path),
    ]


def pdf_images(reader: PdfReader) -> int:
    found = set()
    for page in reader.pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for name, ref in xobjects.items():
            if ref.get_object().get("/Subtype") == "/Image":
                found.add((name, getattr(ref, "idnum", id(ref))))
    return len(found)


def pdf_uris(reader: PdfReader) -> list[str]:
    uris = []
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            action = annot.get_object().get("/A", {})
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def check_pdf(response, meeting, user, tmp_path, board: bool) -> None:
    assert response.status_code == 200
    assert ("-board.pdf" in response["Content-Disposition"]) == board
    reader = PdfReader(io.BytesIO(response.content))
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    for expected in expected_texts(tmp_path):
        assert flat(expected) in text
    if not board:
        assert "North <b>&amp; bell</b>" in text  # a network name in a chart's table
    assert SECRET not in text and SECRET.encode() not in response.content
    # the only images are the charts the product drew; no link comes from free text
    drawn = pack.assemble(meeting, user=user, board=board)
    assert drawn.charts and pdf_images(reader) == len(drawn.charts)
    assert pdf_uris(reader) == []


def check_pptx(response, meeting, user, tmp_path, board: bool) -> None:
    assert response.status_code == 200
    assert ("-board.pptx" in response["Content-Disposition"]) == board
    data = response.content
    # every part is well-formed XML 1.0, which PowerPoint and LibreOffice insist on
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                part = archive.read(name)
                etree.fromstring(part)  # raises on a control character
                assert b"hlinkClick" not in part and b"relationships/hyperlink" not in part
    deck = Presentation(io.BytesIO(data))
    texts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
    text = flat("\n".join(texts))
    for expected in expected_texts(tmp_path):
        assert flat(expected) in text
    if not board:
        assert "North <b>&amp; bell</b>" in text
    assert SECRET not in text
    drawn = pack.assemble(meeting, user=user, board=board)
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == 13]
    assert drawn.charts and len(pictures) == len(drawn.charts)


def test_the_pm_offices_packs_show_free_text_literally(hostile, world, login, tmp_path):
    meeting, user = hostile["explore"], world.users["pm"]
    client = login(user)
    check_pdf(client.get(f"/meetings/{meeting.pk}/pack.pdf"), meeting, user, tmp_path, False)
    check_pptx(client.get(f"/meetings/{meeting.pk}/pack.pptx"), meeting, user, tmp_path, False)


def test_the_board_packs_show_free_text_literally(hostile, world, login, tmp_path):
    meeting, user = hostile["empower"], world.users["board"]
    client = login(user)
    check_pdf(client.get(f"/meetings/{meeting.pk}/pack.pdf"), meeting, user, tmp_path, True)
    check_pptx(client.get(f"/meetings/{meeting.pk}/pack.pptx"), meeting, user, tmp_path, True)
