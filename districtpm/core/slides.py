"""Slides laid out for the slide they are on: a title, then pictures, tables and lists placed
in boxes measured from the slide's own size, so that nothing runs off the slide or over another
shape. Long tables and lists go on to a continuation slide instead of overflowing.

The deck is built from the district's own PowerPoint template when one is configured
(`DISTRICTPM_PACK_TEMPLATE`: its layouts, logo, colours and fonts; its slides are dropped), or
else from python-pptx's default template with its layouts widened to 16:9. Either way the title
of a slide goes in its layout's title placeholder, where the template puts it, and content goes
below it.

How much room text needs is estimated from its length at a font size: a character is taken as
0.58 of the font's size wide, wider than the average of Calibri, Arial or Carlito, so that a
line estimated to fit does fit when another program draws it with a wider font. Every text is
passed through `plaintext.clean` (free text reaches here: never a control character that makes
PowerPoint refuse the file).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from districtpm.core import plaintext

EMU_PER_INCH = 914400
EMU_PER_POINT = 12700
CHAR_WIDTH_EM = 0.58  # of the font size, per character (see the module's docstring)
LINE_SPACING = 1.2
CELL_MARGIN_X = int(0.08 * EMU_PER_INCH)  # left and right, inside a table cell
CELL_MARGIN_Y = int(0.04 * EMU_PER_INCH)
GAP = int(0.25 * EMU_PER_INCH)
FOOTNOTE = int(0.4 * EMU_PER_INCH)  # the band under the content for a slide's note
WIDE = (int(13.333 * EMU_PER_INCH), int(7.5 * EMU_PER_INCH))

# layouts by name, as in the default template and most others; by position when missing
LAYOUT_NAMES = {"title": ("Title Slide", 0), "title_only": ("Title Only", 5)}


def text(value: Any) -> str:
    """Free text fit for a PowerPoint part."""
    return plaintext.clean(value)


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def right(self) -> int:
        return self.left + self.width


def lines_needed(value: str, width: int, points: float) -> int:
    """How many lines `value` takes in `width` EMU at a font size, wrapped at spaces."""
    per_line = max(1, int(width / (CHAR_WIDTH_EM * points * EMU_PER_POINT)))
    total = 0
    for paragraph in str(value).split("\n"):
        line = 0
        count = 1
        for word in paragraph.split(" "):
            size = len(word)
            if size > per_line:  # a word longer than a line breaks where it must
                count += (line + size) // per_line
                line = (line + size) % per_line
                continue
            if line and line + 1 + size > per_line:
                count += 1
                line = size
            else:
                line = line + (1 if line else 0) + size
        total += count
    return total


def text_height(value: str, width: int, points: float) -> int:
    return int(lines_needed(value, width, points) * points * LINE_SPACING * EMU_PER_POINT)


def _widen_to_16_9(deck: Any) -> None:
    """The default template is 4:3 (10 inches wide): widen the slide and every shape of its
    master and layouts in proportion, so that titles stay centred and bodies fill the slide."""
    ratio = WIDE[0] / deck.slide_width
    deck.slide_width, deck.slide_height = WIDE
    # A layout's placeholder without a position of its own inherits the master's: every box is
    # read before any is changed, then each is given all four of its numbers.
    boxes = [
        (shape, (shape.left, shape.top, shape.width, shape.height))
        for owner in [deck.slide_master, *deck.slide_layouts]
        for shape in owner.shapes
    ]
    for shape, (left, top, width, height) in boxes:
        if None not in (left, top, width, height):
            shape.left, shape.top = int(left * ratio), top
            shape.width, shape.height = int(width * ratio), height


def _template_path() -> Path | None:
    configured = getattr(settings, "DISTRICTPM_PACK_TEMPLATE", "")
    return Path(configured) if configured else None


class Deck:
    """A presentation being laid out slide by slide."""

    def __init__(self, template: Path | None = None, title: str = "", language: str = "en-US"):
        from pptx import Presentation

        template = template if template is not None else _template_path()
        if template is not None:
            self.deck = Presentation(str(template))
            _drop_slides(self.deck)
        else:
            self.deck = Presentation()
            _widen_to_16_9(self.deck)
        self.width, self.height = self.deck.slide_width, self.deck.slide_height
        self.margin = int(self.width * 0.045)
        props = self.deck.core_properties
        props.title = text(title)[:250]
        props.language = language
        props.author = "District PM"

    # -------------------------------------------------------------------------- layout

    def _layout(self, role: str) -> Any:
        name, index = LAYOUT_NAMES[role]
        for layout in self.deck.slide_layouts:
            if layout.name == name:
                return layout
        layouts = list(self.deck.slide_layouts)
        return layouts[min(index, len(layouts) - 1)]

    def _new(self, role: str, title: str) -> tuple[Any, Box]:
        """A slide with its title set, and the box left below the title for content."""
        from pptx.enum.text import MSO_AUTO_SIZE

        slide = self.deck.slides.add_slide(self._layout(role))
        heading = slide.shapes.title
        top = self.margin
        if heading is not None:
            heading.text = text(title)
            box = Box(heading.left, heading.top, heading.width, heading.height)
            # a long title gets a smaller size, so that it stays within its placeholder
            size = 32
            while size > 18 and text_height(title, box.width - CELL_MARGIN_X * 2, size) > (
                box.height - CELL_MARGIN_Y * 2
            ):
                size -= 2
            for paragraph in heading.text_frame.paragraphs:
                _size(paragraph, size)
            heading.text_frame.word_wrap = True
            heading.text_frame.auto_size = MSO_AUTO_SIZE.NONE
            top = box.bottom + int(GAP / 2)
        # placeholders the slide does not fill (body, date, footer, number) are removed, so
        # that no empty box sits under the content
        for shape in list(slide.placeholders):
            if heading is None or shape.shape_id != heading.shape_id:
                shape._element.getparent().remove(shape._element)
        bottom = self.height - FOOTNOTE
        # a template's own marks in the lower half (a logo, a band of colour) stay clear
        for shape in [*slide.slide_layout.shapes, *slide.slide_layout.slide_master.shapes]:
            if not shape.is_placeholder and shape.top is not None and shape.top > self.height / 2:
                bottom = min(bottom, shape.top - FOOTNOTE)
        content = Box(self.margin, top, self.width - 2 * self.margin, bottom - top)
        return slide, content

    # -------------------------------------------------------------------------- slides

    def title_slide(self, title: str, subtitle: str) -> None:
        slide = self.deck.slides.add_slide(self._layout("title"))
        if slide.shapes.title is not None:
            slide.shapes.title.text = text(title)
            slide.shapes.title.text_frame.word_wrap = True
        for shape in list(slide.placeholders):
            idx = shape.placeholder_format.idx
            if idx == 1:
                shape.text = text(subtitle)
            elif slide.shapes.title is None or shape.shape_id != slide.shapes.title.shape_id:
                shape._element.getparent().remove(shape._element)

    def bullets(self, title: str, items: Sequence[str], points: int = 20) -> None:
        """A list of lines, on as many slides as it takes at this size."""

        items = [text(i) for i in items] or ["Nothing to list."]
        first = True
        while items:
            slide, box = self._new("title_only", title if first else f"{title} (continued)")
            items = self._lines(slide, box, items, points, bullet=True)
            first = False

    def table(
        self,
        title: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        note: str = "",
        points: int = 12,
    ) -> None:
        """A table across the content box, continued on further slides when it is long."""
        rows = [[text(c) for c in r] for r in rows]
        if not rows:  # no empty table: the note says why there is nothing
            slide, box = self._new("title_only", title)
            self._lines(slide, box, [note or "Nothing to list."], 18)
            return
        first = True
        while first or rows:
            slide, box = self._new("title_only", title if first else f"{title} (continued)")
            rows = self._place_table(slide, box, header, rows, widths, points)
            if note:
                self._note(slide, box, note)
            first = False

    def chart(
        self,
        title: str,
        png: bytes,
        description: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        note: str = "",
        name: str = "Chart",
    ) -> None:
        """A chart's picture on the left, the table of its numbers on the right; rows that do
        not fit continue on a slide of their own."""
        slide, box = self._new("title_only", title)
        table_width = int(box.width * 0.34)
        picture_box = Box(box.left, box.top, box.width - table_width - GAP, box.height)
        self.picture_in(slide, picture_box, png, description, name)
        table_box = Box(picture_box.right + GAP, box.top, table_width, box.height)
        widths = [0.56, 0.26, 0.18]
        rest = self._place_table(slide, table_box, header, rows, widths, 11)
        if note:
            self._note(slide, box, note)
        if rest:
            self.table(f"{title}: the numbers", header, rest, widths, note=note, points=11)

    def picture(self, title: str, png: bytes, description: str, name: str = "Picture") -> None:
        slide, box = self._new("title_only", title)
        self.picture_in(slide, box, png, description, name)

    # -------------------------------------------------------------------------- shapes

    def picture_in(self, slide: Any, box: Box, png: bytes, description: str, name: str) -> Any:
        """The picture as large as the box allows, its proportions kept, centred in it."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            w, h = image.size
        scale = min(box.width / w, box.height / h)
        width, height = int(w * scale), int(h * scale)
        left = box.left + (box.width - width) // 2
        picture = slide.shapes.add_picture(io.BytesIO(png), left, box.top, width, height)
        picture.name = text(name)[:60]
        picture._element.nvPicPr.cNvPr.set("descr", text(description))
        return picture

    def _place_table(self, slide, box: Box, header, rows, widths, points) -> list:
        """As many rows as fit in the box, each as tall as its wrapped text; returns the rest."""

        total = sum(widths)
        columns = [int(box.width * w / total) for w in widths]

        def height(cells: Sequence[str], size: float) -> int:
            lines = max(
                lines_needed(c, width - 2 * CELL_MARGIN_X, size)
                for c, width in zip(cells, columns, strict=True)
            )
            return int(lines * size * LINE_SPACING * EMU_PER_POINT) + 2 * CELL_MARGIN_Y

        heights = [height(header, points)]
        taken = 0
        for row in rows:
            need = height(row, points)
            if sum(heights) + need > box.height and taken:
                break
            heights.append(need)
            taken += 1
        shape = slide.shapes.add_table(
            taken + 1, len(columns), box.left, box.top, sum(columns), sum(heights)
        )
        table = shape.table
        for c, width in enumerate(columns):
            table.columns[c].width = width
        for r, h in enumerate(heights):
            table.rows[r].height = h
        for r, cells in enumerate([list(header), *rows[:taken]]):
            for c, value in enumerate(cells):
                cell = table.cell(r, c)
                cell.margin_left = cell.margin_right = CELL_MARGIN_X
                cell.margin_top = cell.margin_bottom = CELL_MARGIN_Y
                cell.text = text(value)
                for paragraph in cell.text_frame.paragraphs:
                    _size(paragraph, points)
                cell.text_frame.word_wrap = True
        return list(rows[taken:])

    def _lines(
        self, slide: Any, box: Box, lines: Sequence[str], points: int, bullet: bool = False
    ) -> list[str]:
        """As many lines as fit in the box, a paragraph each; returns the rest."""
        from pptx.util import Pt

        used, taken = 0, 0
        inner = box.width - 2 * CELL_MARGIN_X
        for line in lines:
            need = text_height("• " * bullet + line, inner, points) + int(
                points * 0.5 * EMU_PER_POINT
            )
            if taken and used + need > box.height - 2 * CELL_MARGIN_Y:
                break
            used += need
            taken += 1
        shape = slide.shapes.add_textbox(box.left, box.top, box.width, min(box.height, used))
        frame = shape.text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines[:taken]):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = text(line)
            _size(paragraph, points)
            if bullet:
                _bullet(paragraph, points)
            paragraph.space_after = Pt(points * 0.4)
        return list(lines[taken:])

    def _note(self, slide: Any, box: Box, note: str) -> None:

        shape = slide.shapes.add_textbox(box.left, box.bottom, box.width, FOOTNOTE)
        shape.text_frame.word_wrap = True
        shape.text_frame.text = text(note)
        _size(
            shape.text_frame.paragraphs[0],
            min(12, math.floor(FOOTNOTE / EMU_PER_POINT / LINE_SPACING) - 2),
        )

    def save(self) -> bytes:
        out = io.BytesIO()
        self.deck.save(out)
        return out.getvalue()


def _size(paragraph: Any, points: float) -> None:
    """The font size of a paragraph and of each of its runs (programs differ in which they
    read)."""
    from pptx.util import Pt

    paragraph.font.size = Pt(points)
    for run in paragraph.runs:
        run.font.size = Pt(points)


def _bullet(paragraph: Any, points: int) -> None:
    """A real list item (a bullet the reader's software knows as one, not a typed "•"),
    hanging so that wrapped lines align with the text."""
    from pptx.oxml.ns import qn

    indent = int(points * 1.1 * EMU_PER_POINT)
    props = paragraph._p.get_or_add_pPr()
    props.set("marL", str(indent))
    props.set("indent", str(-indent))
    for tag in ("a:buNone", "a:buAutoNum", "a:buChar"):
        for old in props.findall(qn(tag)):
            props.remove(old)
    char = props.makeelement(qn("a:buChar"), {"char": "•"})
    # in the order the schema gives: before tabs, default run properties and extensions
    props.insert_element_before(char, "a:tabLst", "a:defRPr", "a:extLst")


def _drop_slides(deck: Any) -> None:
    """A template's own slides are not part of the pack: remove them and their parts."""
    slides = deck.slides._sldIdLst
    for entry in list(slides):
        deck.part.drop_rel(entry.rId)
        slides.remove(entry)
