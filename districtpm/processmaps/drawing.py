"""A process map drawn as an SVG swimlane diagram, on the server, from a `Graph`.

Why our own layout. A swimlane drawing needs lanes that are true horizontal bands, aligned
across the whole map; Graphviz clusters only approximate that (each cluster is packed on its
own, so bands drift and overlap), browser diagram libraries are not packaged for offline use,
and nothing may be fetched while a page is drawn. The maps are small (tens of steps), so a
plain rank-and-order layout does the job, is easy to reason about, and gives the same bytes
for the same map, so a drawing can be cached and compared:

1. Loops are found by a depth-first search that takes the steps, and each step's flows, in
   the map's own order; a flow back to a step still on the search path is a loop (back edge).
2. Without the loops the map is acyclic; a step's rank is the longest path to it from any
   step nothing flows into. Its column is its rank, so the map reads left to right in flow
   order.
3. Each lane is a horizontal band, one per division in `graph.lanes` order, then "No owner"
   when a step has no lane. Steps of one lane and one rank stack in sub-rows, in map order,
   and the band grows to hold them.
4. Flows are orthogonal polylines routed in the gaps between columns and in the free strips
   above and below each sub-row, never across a step's box; where several flows share a gap
   or a strip each gets its own track. Loops leave and enter their steps from below and run
   in the strip under the row, dashed.
5. Hand-offs between divisions (`graph.handoffs()`) are drawn thicker, in orange, with a
   numbered badge at their midpoint, so colour is never the only signal.

Every piece of free text is cleaned of characters XML 1.0 refuses and escaped by ElementTree.
Text is measured with Liberation Sans' (Arial's) advance widths, the font named first; the
renderers we use (vl-convert for PNG, Chromium) have it, and others fall back to Arial or
Helvetica, which share its metrics.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from districtpm.core.plaintext import clean
from districtpm.processmaps.graph import DECISION, END, HANDOFF, START, Edge, Graph, Node

NO_OWNER = "No owner"
HANDOFF_LEGEND = "Hand-offs between divisions are numbered"

FONT = "'Liberation Sans', Arial, Helvetica, sans-serif"
MARGIN = 12
TITLE_H = 36  # room above the lanes for a visible title
LABEL_W = 164  # the lane names' column
BOX_W, BOX_H = 148, 64
GAP_X = 72  # between columns: the vertical runs of flows
PAD_Y = 24  # above and below a box in its sub-row: the horizontal runs
COL_W = BOX_W + GAP_X
ROW_H = BOX_H + 2 * PAD_Y
NOTCH = 12  # depth of the notch and point of a step with an outside party
LEGEND_ROW = 26

INK = "#0f172a"
MUTED = "#475569"
FLOW = "#475569"
HANDOFF_COLOUR = "#c2410c"
LANE_FILLS = ("#f8fafc", "#eef2f7")
LANE_HEAD = "#e2e8f0"
LANE_LINE = "#94a3b8"

# Liberation Sans advance widths for " " to "~", in thousandths of an em.
_WIDTHS = (
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278)
    + (556,) * 10
    + (278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278)
    + (500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667)
    + (611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222)
    + (222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500)
    + (500, 334, 260, 334, 584)
)


# ---------------------------------------------------------------------------------------------
# Public functions


def draw(graph: Graph, *, title: str = "") -> str:
    """The map as a standalone SVG document: a lane per division, steps left to right in flow
    order, hand-offs between divisions numbered; the same map always gives the same text."""
    layout = _Layout(graph)
    return _Drawing(layout, _one_line(title)).svg()


def pages(svg: str, columns: int = 5) -> list[str]:
    """The drawing cut into pages of `columns` columns each, for a slide or a printed page
    where the whole would be too small to read: each page repeats the lane names on the left
    and cuts in the middle of a gap between columns, where only flows run. A drawing that fits
    is one page, itself."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    span = columns * COL_W
    first = LABEL_W + GAP_X / 2  # the middle of the gap before the first column
    if width <= first + span + GAP_X:
        return [svg]
    inner = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
    # the first page starts right after the lane names (the legend begins there), the others
    # in the middle of a gap
    cuts = [LABEL_W] + [first + k * span for k in range(1, int((width - first) // span) + 1)]
    cuts.append(width)
    cuts = [c for i, c in enumerate(cuts) if i == 0 or c > cuts[i - 1] + GAP_X]
    out = []
    for x0, x1 in zip(cuts, cuts[1:], strict=False):
        w = LABEL_W + (x1 - x0)
        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(w)} {_n(height)}" font-family="{root.get("font-family", "")}" '
            f'font-size="{root.get("font-size", "12")}">'
            f'<svg x="0" y="0" width="{_n(LABEL_W)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(LABEL_W)} {_n(height)}">{inner}</svg>'
            f'<svg x="{_n(LABEL_W)}" y="0" width="{_n(x1 - x0)}" height="{_n(height)}" '
            f'viewBox="{_n(x0)} 0 {_n(x1 - x0)} {_n(height)}">{inner}</svg></svg>'
        )
    return out


MAX_PAGES = 6


def slide_pages(svg: str) -> list[str]:
    """The pages for a slide deck: the drawing cut as `pages` does, or whole when it would
    take more than MAX_PAGES (a picture too small to read beats a deck of dozens)."""
    cut = pages(svg)
    return cut if len(cut) <= MAX_PAGES else [svg]


def png(svg: str, scale: float = 1.0) -> bytes:
    """The SVG drawn as a PNG image, `scale` times its natural size."""
    import vl_convert

    return vl_convert.svg_to_png(svg, scale=scale)


# ---------------------------------------------------------------------------------------------
# Text


def _one_line(text: object) -> str:
    return " ".join(clean(text).split())


def _char_width(char: str) -> float:
    code = ord(char)
    if 32 <= code <= 126:
        return _WIDTHS[code - 32]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1000
    if unicodedata.combining(char):
        return 0
    base = unicodedata.normalize("NFD", char)[0]
    if base != char and 32 <= ord(base) <= 126:
        return _WIDTHS[ord(base) - 32]
    return 600


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The text's width in SVG units, a little generous so a renderer's own font still fits."""
    width = sum(_char_width(c) for c in text) * size / 1000
    return width * (1.1 if bold else 1.04)


def _fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """The text, cut with an ellipsis where it would be wider than `width`."""
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + "…", size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, widths: list[float], size: float, *, bold: bool = False) -> list[str]:
    """The text broken into at most len(widths) lines, line i no wider than widths[i]; words
    too long for a line are broken, and what does not fit ends in an ellipsis."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        limit = widths[min(len(lines), len(widths) - 1)]
        if text_width(candidate, size, bold=bold) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
            limit = widths[min(len(lines), len(widths) - 1)]
        while text_width(word, size, bold=bold) > limit:
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold=bold) > limit:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
            limit = widths[min(len(lines), len(widths) - 1)]
        current = word
    if current:
        lines.append(current)
    if len(lines) > len(widths):
        last = " ".join(lines[len(widths) - 1 :])
        lines = lines[: len(widths) - 1] + [_fit(last + " …", widths[-1], size, bold)]
        if lines[-1].endswith(" …"):  # the cut fell between words
            lines[-1] = lines[-1][:-2] + "…"
    return lines


def _n(value: float) -> str:
    """A coordinate as short, stable text."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _days(days: float) -> str:
    return f"{round(days, 1):g} d"


# ---------------------------------------------------------------------------------------------
# Layout: ranks, lanes and boxes


@dataclass
class _Lane:
    name: str | None  # None: the steps nobody owns
    rows: int = 1
    y: float = 0
    height: float = 0
    label: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return NO_OWNER if self.name is None else _one_line(self.name)


@dataclass
class _Box:
    node: Node
    lane: int
    col: int
    row: int
    x: float = 0
    y: float = 0

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2

    @property
    def right(self) -> float:
        return self.x + BOX_W

    @property
    def bottom(self) -> float:
        return self.y + BOX_H

    # Where a flow meets the shape's outline, `d` from the middle of a side.
    def right_at(self, dy: float) -> float:
        hh = BOX_H / 2
        if self.node.kind == DECISION:
            return self.cx + BOX_W / 2 * (1 - abs(dy) / hh)
        if self.node.kind in (START, END):
            return self.right - hh + math.sqrt(max(hh * hh - dy * dy, 0))
        if self.node.kind == HANDOFF:
            return self.right - NOTCH * abs(dy) / hh
        return self.right

    def left_at(self, dy: float) -> float:
        hh = BOX_H / 2
        if self.node.kind == DECISION:
            return self.cx - BOX_W / 2 * (1 - abs(dy) / hh)
        if self.node.kind in (START, END):
            return self.x + hh - math.sqrt(max(hh * hh - dy * dy, 0))
        if self.node.kind == HANDOFF:
            return self.x + NOTCH * (1 - abs(dy) / hh)
        return self.x

    def bottom_at(self, dx: float) -> float:
        if self.node.kind == DECISION:
            return self.cy + BOX_H / 2 * (1 - abs(dx) / (BOX_W / 2))
        return self.bottom


def back_edges(graph: Graph) -> set[int]:
    """Indexes of the flows that loop back: a depth-first search in the map's own order, where
    a flow to a step still on the search path closes a loop."""
    out: dict[str, list[int]] = {n.key: [] for n in graph.nodes}
    for i, e in enumerate(graph.edges):
        out[e.source].append(i)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    back: set[int] = set()
    for root in graph.nodes:
        if root.key in state:
            continue
        state[root.key] = 1
        stack = [(root.key, iter(out[root.key]))]
        while stack:
            key, flows = stack[-1]
            for i in flows:
                target = graph.edges[i].target
                seen = state.get(target)
                if seen is None:
                    state[target] = 1
                    stack.append((target, iter(out[target])))
                    break
                if seen == 1:
                    back.add(i)
            else:
                state[key] = 2
                stack.pop()
    return back


def ranks(graph: Graph, back: set[int]) -> dict[str, int]:
    """Each step's rank: the longest path to it, loops left out, from a step nothing flows
    into."""
    order = {n.key: i for i, n in enumerate(graph.nodes)}
    waiting = {n.key: 0 for n in graph.nodes}
    after: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for i, e in enumerate(graph.edges):
        if i not in back:
            waiting[e.target] += 1
            after[e.source].append(e.target)
    rank = {n.key: 0 for n in graph.nodes}
    ready = [n.key for n in graph.nodes if waiting[n.key] == 0]
    while ready:
        key = min(ready, key=order.__getitem__)
        ready.remove(key)
        for target in after[key]:
            rank[target] = max(rank[target], rank[key] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return rank


class _Layout:
    """Where every lane, step and flow goes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.back = back_edges(graph)
        self.rank = ranks(graph, self.back)
        names: list[str | None] = list(dict.fromkeys(graph.lanes))
        if any(n.lane is None for n in graph.nodes):
            names.append(None)
        self.lanes = [_Lane(name) for name in names]
        lane_of = {name: i for i, name in enumerate(names)}

        self.boxes: dict[str, _Box] = {}
        stacked: dict[tuple[int, int], int] = {}
        for node in graph.nodes:
            lane, col = lane_of[node.lane], self.rank[node.key]
            row = stacked.get((lane, col), 0)
            stacked[(lane, col)] = row + 1
            self.lanes[lane].rows = max(self.lanes[lane].rows, row + 1)
            self.boxes[node.key] = _Box(node, lane, col, row)
        self.columns = max((b.col + 1 for b in self.boxes.values()), default=1)

        self.handoff_number: dict[int, int] = {}
        handoffs = graph.handoffs()
        for i, e in enumerate(graph.edges):
            if len(self.handoff_number) < len(handoffs) and e is handoffs[len(self.handoff_number)]:
                self.handoff_number[i] = len(self.handoff_number) + 1

    def place(self, top: float) -> float:
        """Gives lanes and boxes their coordinates from `top`; the lanes' bottom."""
        y = top
        for lane in self.lanes:
            lane.label = wrap(lane.title, [LABEL_W - 24] * 8, 13, bold=True)
            lane.height = max(lane.rows * ROW_H, len(lane.label) * 16 + 24)
            lane.y = y
            y += lane.height
        for box in self.boxes.values():
            lane = self.lanes[box.lane]
            rows_top = lane.y + (lane.height - lane.rows * ROW_H) / 2
            box.x = LABEL_W + GAP_X + box.col * COL_W
            box.y = rows_top + box.row * ROW_H + PAD_Y
        return y

    @property
    def width(self) -> float:
        return LABEL_W + GAP_X + self.columns * COL_W - GAP_X / 2


# ---------------------------------------------------------------------------------------------
# Routing: flows as orthogonal polylines in the gaps and strips, one track per flow


Ref = tuple  # ("gap", column) or ("strip", lane, row, "above" | "below")


@dataclass
class _Flow:
    index: int
    edge: Edge
    source: _Box
    target: _Box
    loop: bool
    handoff: int  # its number, 0 when it is not a hand-off
    start: tuple[float, float] = (0, 0)
    moves: list[tuple[str, float | Ref]] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    lowest_port: bool = False  # the lowest of its step's flows out of the right side
    crowded: bool = False  # one of three or more labelled flows out of one side


def _gap_x(col: int) -> float:
    """The middle of the gap to the right of column `col` (-1: the gap before the first)."""
    return LABEL_W + GAP_X + col * COL_W + BOX_W + GAP_X / 2


def _offsets(count: int, spacing: float, room: float) -> list[float]:
    if count <= 1:
        return [0.0] * count
    spacing = min(spacing, room / (count - 1))
    return [(i - (count - 1) / 2) * spacing for i in range(count)]


class _Router:
    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.by_column: dict[int, list[_Box]] = {}
        for box in layout.boxes.values():
            self.by_column.setdefault(box.col, []).append(box)
        self.flows = [
            _Flow(
                i,
                e,
                layout.boxes[e.source],
                layout.boxes[e.target],
                i in layout.back,
                layout.handoff_number.get(i, 0),
            )
            for i, e in enumerate(layout.graph.edges)
        ]

    def route(self) -> list[_Flow]:
        # Twice: the first routes tell which way each flow turns, and the second spreads each
        # side's flows in that order, so flows leaving or entering one side do not cross.
        headings: dict[int, tuple[float, float]] = {}
        for _ in range(2):
            self._ports(headings)
            for flow in self.flows:
                if flow.loop:
                    self._route_loop(flow)
                else:
                    self._route_forward(flow)
            headings = {f.index: self._heading(f) for f in self.flows}
        self._resolve(self._tracks())
        return self.flows

    def _heading(self, flow: _Flow) -> tuple[float, float]:
        """Where the flow goes once it leaves its step (the height of its first vertical run)
        and where it comes from before it enters the next (the height it comes down from)."""
        ys = [flow.start[1]]
        for axis, to in flow.moves:
            value = self._base(to) if isinstance(to, tuple) else to
            ys.append(value if axis == "v" else ys[-1])
        turns = [y for y in ys if abs(y - ys[0]) > 0.5]
        leave = turns[0] if turns else ys[-1]
        before = [y for y in ys if abs(y - ys[-1]) > 0.5]
        arrive = before[-1] if before else ys[0]
        return leave, arrive

    def _ports(self, headings: dict[int, tuple[float, float]]) -> None:
        """Spreads the flows that leave or enter a side of a step, so no two share a line;
        each side's flows are sorted by where they head, so they do not cross on the way."""
        outs: dict[str, list[_Flow]] = {}
        ins: dict[str, list[_Flow]] = {}
        under: dict[str, list[tuple[_Flow, str]]] = {}
        for f in self.flows:
            if f.loop:
                under.setdefault(f.edge.target, []).append((f, "in"))
                under.setdefault(f.edge.source, []).append((f, "out"))
            else:
                outs.setdefault(f.edge.source, []).append(f)
                ins.setdefault(f.edge.target, []).append(f)
        self.out_dy: dict[int, float] = {}
        self.in_dy: dict[int, float] = {}
        self.under_dx: dict[tuple[int, str], float] = {}
        room = BOX_H - 24

        def leave(f: _Flow) -> float:
            return headings[f.index][0] if f.index in headings else f.target.cy

        def arrive(f: _Flow) -> float:
            return headings[f.index][1] if f.index in headings else f.source.cy

        for flows in outs.values():
            flows.sort(key=lambda f: (leave(f), f.target.x, f.index))
            spacing = 18 if any(f.edge.label for f in flows) else 12
            crowded = sum(1 for f in flows if f.edge.label) > 2
            for f, dy in zip(flows, _offsets(len(flows), spacing, room), strict=True):
                self.out_dy[f.index] = dy
                f.lowest_port = len(flows) > 1 and f is flows[-1]
                f.crowded = crowded and not f.loop
        for flows in ins.values():
            flows.sort(key=lambda f: (arrive(f), f.source.x, f.index))
            for f, dy in zip(flows, _offsets(len(flows), 12, room), strict=True):
                self.in_dy[f.index] = dy
            if len(flows) == 1:
                # A step's only way in lines up with the way out of the step before, if it can.
                f = flows[0]
                dy = f.source.cy + self.out_dy[f.index] - f.target.cy
                if abs(dy) <= room / 2:
                    self.in_dy[f.index] = dy
        for flows in outs.values():
            if len(flows) == 1:
                f = flows[0]
                dy = f.target.cy + self.in_dy[f.index] - f.source.cy
                if abs(dy) <= room / 2:
                    self.out_dy[f.index] = dy
        for pairs in under.values():
            # Arrivals on the left, departures on the right: loops run right to left. A loop
            # from a step to itself takes two neighbouring places, so it crosses no other.
            def place(pair: tuple[_Flow, str]) -> tuple[int, int]:
                f, end = pair
                if f.source is f.target:
                    return (1, f.index) if end == "in" else (2, -f.index)
                return (0, f.index) if end == "in" else (3, f.index)

            pairs.sort(key=place)
            for (f, end), dx in zip(pairs, _offsets(len(pairs), 16, 64), strict=True):
                self.under_dx[(f.index, end)] = dx

    def _free(self, y: float, first: int, last: int) -> bool:
        """Whether a horizontal line at `y` crosses no box in the columns between."""
        return not any(
            box.y - 4 <= y <= box.bottom + 4
            for col in range(first + 1, last)
            for box in self.by_column.get(col, [])
        )

    def _route_forward(self, flow: _Flow) -> None:
        u, v = flow.source, flow.target
        sy = u.cy + self.out_dy[flow.index]
        ty = v.cy + self.in_dy[flow.index]
        flow.start = (u.right_at(sy - u.cy), sy)
        tx = v.left_at(ty - v.cy)
        if abs(sy - ty) < 0.5 and self._free(sy, u.col, v.col):
            flow.moves = [("h", tx)]
        elif v.col == u.col + 1:
            flow.moves = [("h", ("gap", u.col)), ("v", ty), ("h", tx)]
        elif self._free(sy, u.col, v.col):
            flow.moves = [("h", ("gap", v.col - 1)), ("v", ty), ("h", tx)]
        elif self._free(ty, u.col, v.col):
            flow.moves = [("h", ("gap", u.col)), ("v", ty), ("h", tx)]
        else:
            side = "above" if v.cy >= u.cy else "below"
            strip = ("strip", v.lane, v.row, side)
            flow.moves = [
                ("h", ("gap", u.col)),
                ("v", strip),
                ("h", ("gap", v.col - 1)),
                ("v", ty),
                ("h", tx),
            ]

    def _route_loop(self, flow: _Flow) -> None:
        u, v = flow.source, flow.target
        sx = u.cx + self.under_dx[(flow.index, "out")]
        tx = v.cx + self.under_dx[(flow.index, "in")]
        flow.start = (sx, u.bottom_at(sx - u.cx))
        ty = v.bottom_at(tx - v.cx)
        strip = ("strip", u.lane, u.row, "below")
        if (u.lane, u.row) == (v.lane, v.row):
            flow.moves = [("v", strip), ("h", tx), ("v", ty)]
        else:
            flow.moves = [
                ("v", strip),
                ("h", ("gap", v.col - 1)),
                ("v", ("strip", v.lane, v.row, "below")),
                ("h", tx),
                ("v", ty),
            ]

    def _base(self, ref: Ref) -> float:
        if ref[0] == "gap":
            return _gap_x(ref[1])
        _, lane, row, side = ref
        box_top = self._row_top(lane, row)
        return box_top - PAD_Y / 2 if side == "above" else box_top + BOX_H + PAD_Y / 2

    def _row_top(self, lane: int, row: int) -> float:
        band = self.layout.lanes[lane]
        return band.y + (band.height - band.rows * ROW_H) / 2 + row * ROW_H + PAD_Y

    def _tracks(self) -> dict[tuple[int, Ref], float]:
        """Each flow's offset within each gap and strip it runs in: flows whose runs overlap
        get separate tracks, ordered so that flows turning the same way do not cross."""
        runs: dict[Ref, list[tuple[float, float, float, int]]] = {}
        for flow in self.flows:
            points = [flow.start]
            for axis, to in flow.moves:
                value = self._base(to) if isinstance(to, tuple) else to
                x, y = points[-1]
                points.append((value, y) if axis == "h" else (x, value))
            for k, (axis, to) in enumerate(flow.moves):
                if not isinstance(to, tuple):
                    continue
                # The run is the segment after this move; `along` is its direction, `across`
                # the other, and each end turns to one side of it (-1 or +1) or to none (0).
                along, across = (1, 0) if axis == "h" else (0, 1)
                a, b = points[k + 1], points[k + 2]
                side_a = _sign(points[k][across] - a[across])
                side_b = _sign(points[k + 3][across] - b[across]) if k + 3 < len(points) else 0
                (lo, lo_side), (hi, hi_side) = sorted([(a[along], side_a), (b[along], side_b)])
                # A Z from the near side at its low end to the far side at its high end: the one
                # whose low end is lower (later) goes nearer; mirrored for the opposite Z.
                if (lo_side, hi_side) == (-1, 1):
                    key = -lo
                elif (lo_side, hi_side) == (1, -1):
                    key = hi
                else:
                    key = 0.0
                runs.setdefault(to, []).append((key, lo, hi, flow.index))
        offsets: dict[tuple[int, Ref], float] = {}
        for ref, items in sorted(runs.items(), key=lambda kv: repr(kv[0])):
            tracks: list[list[tuple[float, float]]] = []
            chosen: list[tuple[int, int]] = []
            for _, lo, hi, index in sorted(items):
                free = (
                    t
                    for t, taken in enumerate(tracks)
                    if all(hi + 8 < a or lo - 8 > b for a, b in taken)
                )
                track = next(free, len(tracks))
                if track == len(tracks):
                    tracks.append([])
                tracks[track].append((lo, hi))
                chosen.append((index, track))
            if ref[0] == "gap":
                spread = _offsets(len(tracks), 8, GAP_X - 16)
            else:
                spread = _offsets(len(tracks), 6, PAD_Y - 8)
            for index, track in chosen:
                offsets[(index, ref)] = spread[track]
        return offsets

    def _resolve(self, offsets: dict[tuple[int, Ref], float]) -> None:
        for flow in self.flows:
            x, y = flow.start
            points = [(x, y)]
            for axis, to in flow.moves:
                value = self._base(to) + offsets[(flow.index, to)] if isinstance(to, tuple) else to
                if axis == "h":
                    x = value
                else:
                    y = value
                points.append((x, y))
            flow.points = _simplify(points)


def _sign(value: float) -> int:
    return 0 if abs(value) < 0.5 else (1 if value > 0 else -1)


def _simplify(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The polyline without repeated points or points in the middle of a straight run."""
    kept: list[tuple[float, float]] = []
    for p in points:
        if kept and abs(p[0] - kept[-1][0]) < 0.05 and abs(p[1] - kept[-1][1]) < 0.05:
            continue
        if len(kept) >= 2:
            a, b = kept[-2], kept[-1]
            if (abs(a[0] - b[0]) < 0.05 and abs(b[0] - p[0]) < 0.05) or (
                abs(a[1] - b[1]) < 0.05 and abs(b[1] - p[1]) < 0.05
            ):
                kept[-1] = p
                continue
        kept.append(p)
    return kept


def _along(points: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point `fraction` of the way along the polyline."""
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False)]
    goal = sum(lengths) * fraction
    for (a, b), length in zip(zip(points, points[1:], strict=False), lengths, strict=True):
        if goal <= length and length > 0:
            t = goal / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        goal -= length
    return points[-1]


# ---------------------------------------------------------------------------------------------
# The document


class _Drawing:
    def __init__(self, layout: _Layout, title: str) -> None:
        self.layout = layout
        self.title = title
        digest = hashlib.sha256(
            repr((layout.graph.nodes, layout.graph.edges, layout.graph.lanes, title)).encode()
        ).hexdigest()
        self.id = f"pm{digest[:10]}"
        self.top = MARGIN + (TITLE_H if title else 0)
        self.lanes_bottom = layout.place(self.top) if layout.lanes else self.top + 40
        self.width = max(layout.width, 480)
        self.flows = _Router(layout).route()
        self.taken: list[tuple[float, float, float, float]] = []  # labels and badges so far

    def svg(self) -> str:
        legend = self._legend()
        height = self.lanes_bottom + 14 + legend.rows * LEGEND_ROW + MARGIN
        root = ET.Element(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "width": _n(self.width),
                "height": _n(height),
                "viewBox": f"0 0 {_n(self.width)} {_n(height)}",
                "role": "img",
                "aria-labelledby": f"{self.id}-title {self.id}-desc",
                "font-family": FONT,
                "font-size": "12",
                "class": "processmap",
            },
        )
        ET.SubElement(root, "title", id=f"{self.id}-title").text = self.title or "Process map"
        ET.SubElement(root, "desc", id=f"{self.id}-desc").text = self._description()
        self._defs(root)
        ET.SubElement(
            root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"}
        )  # PNGs get a white page, not a transparent one
        if self.title:
            heading = ET.SubElement(
                root,
                "text",
                {"x": _n(MARGIN), "y": _n(MARGIN + 20), "font-size": "17", "font-weight": "bold"},
            )
            heading.set("fill", INK)
            heading.text = _fit(self.title, self.width - 2 * MARGIN, 17, bold=True)
        self._lanes(ET.SubElement(root, "g", {"class": "lanes"}))
        flows = ET.SubElement(root, "g", {"class": "flows"})
        for flow in self.flows:
            if not flow.handoff:
                self._flow(flows, flow)
        steps = ET.SubElement(root, "g", {"class": "steps"})
        for node in self.layout.graph.nodes:
            self._step(steps, self.layout.boxes[node.key])
        handoffs = ET.SubElement(root, "g", {"class": "handoffs"})
        for flow in self.flows:
            if flow.handoff:
                self._flow(handoffs, flow)
        legend.draw(root)
        ET.indent(root, space="")
        return ET.tostring(root, encoding="unicode") + "\n"

    def _description(self) -> str:
        graph, layout = self.layout.graph, self.layout
        counts = {i: 0 for i in range(len(layout.lanes))}
        for box in layout.boxes.values():
            counts[box.lane] += 1
        steps = len(graph.nodes)
        parts = [
            f"{self.title or 'Process map'}: {steps} step{'s' if steps != 1 else ''} in "
            f"{len(layout.lanes)} lane{'s' if len(layout.lanes) != 1 else ''}, in flow order "
            "from left to right.",
            "Lanes: "
            + "; ".join(
                f"{lane.title} ({counts[i]} step{'s' if counts[i] != 1 else ''})"
                for i, lane in enumerate(layout.lanes)
            )
            + ".",
        ]

        def step(key: str) -> str:
            box = layout.boxes[key]
            return f"“{_one_line(box.node.name)}” ({layout.lanes[box.lane].title})"

        handoffs = [f for f in self.flows if f.handoff]
        if handoffs:
            parts.append(
                f"{len(handoffs)} hand-off{'s' if len(handoffs) != 1 else ''} between divisions: "
                + "; ".join(
                    f"{f.handoff}. {step(f.edge.source)} to {step(f.edge.target)}" for f in handoffs
                )
                + "."
            )
        else:
            parts.append("No hand-offs between divisions.")
        loops = [f for f in self.flows if f.loop]
        if loops:
            parts.append(
                "Loops back: "
                + "; ".join(f"{step(f.edge.source)} to {step(f.edge.target)}" for f in loops)
                + "."
            )
        return " ".join(parts)

    def _defs(self, root: ET.Element) -> None:
        defs = ET.SubElement(root, "defs")
        for name, colour in (("arrow", FLOW), ("arrow-handoff", HANDOFF_COLOUR)):
            marker = ET.SubElement(
                defs,
                "marker",
                {
                    "id": f"{self.id}-{name}",
                    "viewBox": "0 0 10 10",
                    "refX": "10",
                    "refY": "5",
                    "markerWidth": "10" if name == "arrow" else "12",
                    "markerHeight": "10" if name == "arrow" else "12",
                    "markerUnits": "userSpaceOnUse",
                    "orient": "auto",
                },
            )
            ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": colour})

    def _lanes(self, group: ET.Element) -> None:
        if not self.layout.lanes:
            empty = {"x": _n(MARGIN), "y": _n(self.top + 24), "fill": MUTED}
            ET.SubElement(group, "text", empty).text = "This map has no steps yet."
            return
        for i, lane in enumerate(self.layout.lanes):
            data = "" if lane.name is None else _one_line(lane.name)
            ET.SubElement(
                group,
                "rect",
                {
                    "class": "lane",
                    "data-lane": data,
                    "x": "0",
                    "y": _n(lane.y),
                    "width": _n(self.width),
                    "height": _n(lane.height),
                    "fill": LANE_FILLS[i % 2],
                },
            )
            ET.SubElement(
                group,
                "rect",
                {
                    "class": "lane-head",
                    "x": "0",
                    "y": _n(lane.y),
                    "width": _n(LABEL_W),
                    "height": _n(lane.height),
                    "fill": LANE_HEAD,
                },
            )
            label = ET.SubElement(
                group,
                "text",
                {
                    "class": "lane-label",
                    "data-lane": data,
                    "font-size": "13",
                    "font-weight": "bold",
                    "fill": INK,
                },
            )
            if lane.name is None:
                label.set("font-style", "italic")
            first = lane.y + lane.height / 2 - (len(lane.label) - 1) * 8 + 4.5
            for j, line in enumerate(lane.label):
                tspan = ET.SubElement(label, "tspan", {"x": "12", "y": _n(first + j * 16)})
                tspan.text = line
        for lane in self.layout.lanes[1:]:
            ET.SubElement(
                group,
                "line",
                {
                    "x1": "0",
                    "y1": _n(lane.y),
                    "x2": _n(self.width),
                    "y2": _n(lane.y),
                    "stroke": LANE_LINE,
                },
            )
        bottom = self.lanes_bottom
        ET.SubElement(
            group,
            "line",
            {"x1": _n(LABEL_W), "y1": _n(self.top), "x2": _n(LABEL_W), "y2": _n(bottom)},
            stroke=LANE_LINE,
        )
        ET.SubElement(
            group,
            "rect",
            {
                "x": "0.5",
                "y": _n(self.top + 0.5),
                "width": _n(self.width - 1),
                "height": _n(bottom - self.top - 1),
                "fill": "none",
                "stroke": "#64748b",
            },
        )

    def _step(self, parent: ET.Element, box: _Box) -> None:
        node = box.node
        lane = self.layout.lanes[box.lane]
        name = _one_line(node.name)
        group = ET.SubElement(
            parent,
            "g",
            {
                "class": "step",
                "data-key": _one_line(node.key),
                "data-lane": "" if lane.name is None else _one_line(lane.name),
                "data-kind": _one_line(node.kind),
            },
        )
        ET.SubElement(group, "title").text = name
        x, y, w, h = box.x, box.y, BOX_W, BOX_H
        shape: dict[str, str] = {"class": "shape", "fill": "#ffffff", "stroke": "#334155"}
        rect = {"x": _n(x), "y": _n(y), "width": _n(w), "height": _n(h)}
        size, gap = 12.0, 14.0
        if node.kind == DECISION:
            points = [(x + w / 2, y), (x + w, y + h / 2), (x + w / 2, y + h), (x, y + h / 2)]
            ET.SubElement(
                group,
                "polygon",
                {
                    "points": " ".join(f"{_n(a)},{_n(b)}" for a, b in points),
                    **shape,
                    "fill": "#fefce8",
                    "stroke": "#a16207",
                    "stroke-width": "1.5",
                },
            )
            size, gap = 11.0, 13.0
            lines = wrap(name, [104], size)
            if len(lines) > 1 or text_width(name, size) > 104:
                lines = wrap(name, [82, 82], size)
            middle, inset = y + h / 2, 2.0
        elif node.kind in (START, END):
            ET.SubElement(
                group,
                "rect",
                {
                    **rect,
                    "rx": _n(h / 2),
                    **shape,
                    "fill": "#f0fdf4" if node.kind == START else "#f1f5f9",
                    "stroke": "#15803d" if node.kind == START else INK,
                    "stroke-width": "1.5" if node.kind == START else "4",
                },
            )
            lines = wrap(name, [w - 36] * 2, size)
            middle, inset = y + (h - 12) / 2 + 2, 22.0
        elif node.kind == HANDOFF:
            points = [
                (x, y),
                (x + w - NOTCH, y),
                (x + w, y + h / 2),
                (x + w - NOTCH, y + h),
                (x, y + h),
                (x + NOTCH, y + h / 2),
            ]
            ET.SubElement(
                group,
                "polygon",
                {
                    "points": " ".join(f"{_n(a)},{_n(b)}" for a, b in points),
                    **shape,
                    "fill": "#f5f3ff",
                    "stroke": "#6d28d9",
                    "stroke-width": "1.5",
                    "stroke-dasharray": "5 3",
                },
            )
            lines = wrap(name, [w - 2 * NOTCH - 12] * 3, size)
            middle, inset = y + (h - 14) / 2 + 2, 8.0
        else:
            ET.SubElement(group, "rect", {**rect, "rx": "8", **shape, "stroke-width": "1.5"})
            lines = wrap(name, [w - 14] * 3, size)
            middle, inset = y + (h - 14) / 2 + 2, 7.0
        text = ET.SubElement(
            group,
            "text",
            {"class": "name", "font-size": _n(size), "text-anchor": "middle", "fill": INK},
        )
        first = middle - (len(lines) - 1) * gap / 2 + size * 0.35
        centre = (
            x
            + w / 2
            + (NOTCH / 2 if node.kind == HANDOFF else 0)
            - (NOTCH / 2 if node.kind == HANDOFF else 0)
        )
        for i, line in enumerate(lines):
            tspan = ET.SubElement(text, "tspan", {"x": _n(centre), "y": _n(first + i * gap)})
            tspan.text = line
        meta = {"font-size": "11", "fill": MUTED}
        key = ET.SubElement(
            group, "text", {"class": "key", "x": _n(x + inset), "y": _n(y + h - 6), **meta}
        )
        key.text = _fit(_one_line(node.key), w / 2 - inset, 11)
        if node.days > 0:
            days = ET.SubElement(
                group,
                "text",
                {
                    "class": "days",
                    "x": _n(x + w - inset - (NOTCH if node.kind == HANDOFF else 0)),
                    "y": _n(y + h - 6),
                    "text-anchor": "end",
                    **meta,
                },
            )
            days.text = _days(node.days)

    def _flow(self, parent: ET.Element, flow: _Flow) -> None:
        source, target = _one_line(flow.edge.source), _one_line(flow.edge.target)
        attrs = {"data-from": source, "data-to": target}
        if flow.handoff:
            group = ET.SubElement(
                parent,
                "g",
                {
                    "class": "handoff loop" if flow.loop else "handoff",
                    "data-handoff": str(flow.handoff),
                }
                | attrs,
            )
        else:
            group = ET.SubElement(
                parent, "g", {"class": "flow loop" if flow.loop else "flow"} | attrs
            )
        names = f"{_one_line(flow.source.node.name)} → {_one_line(flow.target.node.name)}"
        label = _one_line(flow.edge.label)
        if flow.handoff:
            lanes = self.layout.lanes
            summary = (
                f"Hand-off {flow.handoff}: {names} "
                f"({lanes[flow.source.lane].title} → {lanes[flow.target.lane].title})"
            )
        else:
            summary = ("Loop back: " if flow.loop else "") + names
        ET.SubElement(group, "title").text = summary + (f" ({label})" if label else "")
        line = {
            "class": "line",
            "points": " ".join(f"{_n(a)},{_n(b)}" for a, b in flow.points),
            "fill": "none",
            "stroke": HANDOFF_COLOUR if flow.handoff else FLOW,
            "stroke-width": "3" if flow.handoff else "1.5",
            "stroke-linejoin": "round",
            "marker-end": f"url(#{self.id}-{'arrow-handoff' if flow.handoff else 'arrow'})",
        }
        if flow.loop:
            line["stroke-dasharray"] = "7 4"
        ET.SubElement(group, "polyline", line)
        if label:
            self._flow_label(group, flow, label)
        if flow.handoff:
            self._badge(group, flow)

    def _flow_label(self, group: ET.Element, flow: _Flow, label: str) -> None:
        """The flow's label, near its start, on white so lines under it do not hide it."""
        size, line_h = 11, 13
        sx, sy = flow.points[0]
        if flow.loop:
            # On the run under the row, just past the corner, over the line.
            (cx, cy), nxt = flow.points[1], flow.points[2] if len(flow.points) > 2 else None
            room = max(abs(nxt[0] - cx) - 16, 60) if nxt and flow.source is not flow.target else 90
            lines = [_fit(label, room, size)]
            width = text_width(lines[0], size)
            to_the_left = nxt is not None and nxt[0] < cx and flow.source is not flow.target
            left = cx - 8 - width if to_the_left else cx + 8
            top = cy - 7
        elif flow.crowded and len(flow.points) > 1 and flow.points[-2][1] == flow.points[-1][1]:
            # Three or more outcomes leave one side too close together for a label each: each
            # goes by the end of its own flow instead, just before the step it leads to.
            (px, _), (ex, ey) = flow.points[-2], flow.points[-1]
            room = max(ex - px - 14, 84)
            lines = wrap(label, [room, room], size)
            width = max(text_width(line, size) for line in lines)
            left = ex - 12 - width
            top = ey - 3 - (len(lines) * line_h + 1)
        else:
            # Up to the next column's steps; two lines if need be.
            room = flow.source.right - sx + GAP_X - 10
            lines = wrap(label, [room, room], size)
            width = max(text_width(line, size) for line in lines)
            left = sx + 5
            height = len(lines) * line_h + 1
            top = sy + 2 if flow.lowest_port else sy - 2 - height
        height = len(lines) * line_h + 1
        ET.SubElement(
            group,
            "rect",
            {
                "class": "label-bg",
                "x": _n(left - 2),
                "y": _n(top),
                "width": _n(width + 4),
                "height": _n(height),
                "fill": "#ffffff",
            },
        )
        self.taken.append((left - 2, top, left + width + 2, top + height))
        element = ET.SubElement(
            group,
            "text",
            {
                "class": "label",
                "font-size": _n(size),
                "font-style": "italic",
                "fill": "#1e293b",
            },
        )
        for i, line in enumerate(lines):
            tspan = ET.SubElement(
                element, "tspan", {"x": _n(left), "y": _n(top + 10.5 + i * line_h)}
            )
            tspan.text = line

    def _badge(self, group: ET.Element, flow: _Flow) -> None:
        """A numbered circle on the hand-off, at its midpoint or the nearest free place."""
        r = 10 if flow.handoff < 100 else 13
        boxes = [(b.x, b.y, b.right, b.bottom) for b in self.layout.boxes.values()]

        def clear(p: tuple[float, float]) -> bool:
            ax, ay, bx, by = p[0] - r - 1, p[1] - r - 1, p[0] + r + 1, p[1] + r + 1
            return not any(
                ax < x2 and bx > x1 and ay < y2 and by > y1 for x1, y1, x2, y2 in self.taken + boxes
            )

        candidates = [0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8]
        spot = next(
            (p for p in (_along(flow.points, f) for f in candidates) if clear(p)),
            _along(flow.points, 0.5),
        )
        self.taken.append((spot[0] - r, spot[1] - r, spot[0] + r, spot[1] + r))
        badge = ET.SubElement(group, "g", {"class": "badge"})
        ET.SubElement(
            badge,
            "circle",
            {
                "cx": _n(spot[0]),
                "cy": _n(spot[1]),
                "r": str(r),
                "fill": HANDOFF_COLOUR,
                "stroke": "#ffffff",
                "stroke-width": "2",
            },
        )
        number = ET.SubElement(
            badge,
            "text",
            {
                "x": _n(spot[0]),
                "y": _n(spot[1] + 4),
                "text-anchor": "middle",
                "font-size": "11",
                "font-weight": "bold",
                "fill": "#ffffff",
            },
        )
        number.text = str(flow.handoff)

    def _legend(self) -> _Legend:
        count = len(self.layout.handoff_number)
        legend = _Legend(self, self.lanes_bottom + 14)
        legend.item("Start", lambda g, x, y: _mini_stadium(g, x, y, "#15803d", "1.5", "#f0fdf4"))
        legend.item("End", lambda g, x, y: _mini_stadium(g, x, y, INK, "3", "#f1f5f9"))
        legend.item("Step", _mini_task)
        legend.item("Decision", _mini_decision)
        legend.item("Step with an outside party", _mini_outside)
        legend.item("Flow", lambda g, x, y: self._mini_line(g, x, y, handoff=False, loop=False))
        legend.item("Loop back", lambda g, x, y: self._mini_line(g, x, y, handoff=False, loop=True))
        legend.item(
            f"{HANDOFF_LEGEND} ({count or 'none'} in this map)",
            lambda g, x, y: self._mini_line(g, x, y, handoff=True, loop=False),
            wide=True,
        )
        legend.item("3 d: days the step takes", None)
        return legend

    def _mini_line(self, g: ET.Element, x: float, y: float, *, handoff: bool, loop: bool) -> None:
        attrs = {
            "x1": _n(x),
            "y1": _n(y),
            "x2": _n(x + (44 if handoff else 28)),
            "y2": _n(y),
            "stroke": HANDOFF_COLOUR if handoff else FLOW,
            "stroke-width": "3" if handoff else "1.5",
            "marker-end": f"url(#{self.id}-{'arrow-handoff' if handoff else 'arrow'})",
        }
        if loop:
            attrs["stroke-dasharray"] = "7 4"
        ET.SubElement(g, "line", attrs)
        if handoff:
            ET.SubElement(
                g,
                "circle",
                {"cx": _n(x + 18), "cy": _n(y), "r": "8", "fill": HANDOFF_COLOUR},
            )
            ET.SubElement(
                g,
                "text",
                {
                    "x": _n(x + 18),
                    "y": _n(y + 4),
                    "text-anchor": "middle",
                    "font-size": "11",
                    "font-weight": "bold",
                    "fill": "#ffffff",
                },
            ).text = "1"


class _Legend:
    """A few symbols with their meaning, in rows under the lanes."""

    def __init__(self, drawing: _Drawing, top: float) -> None:
        self.drawing = drawing
        self.top = top
        self.items: list[tuple[str, Callable[[ET.Element, float, float], None] | None, float]] = []
        self.places: list[tuple[float, int]] = []  # each item's x and row
        self.rows = 1
        self.x = MARGIN

    def item(
        self,
        text: str,
        symbol: Callable[[ET.Element, float, float], None] | None,
        *,
        wide: bool = False,
    ) -> None:
        room = (48 if wide else 32) if symbol else 0
        width = room + text_width(text, 12) + 24
        if self.x + width > self.drawing.width - MARGIN and self.x > MARGIN:
            self.rows += 1
            self.x = MARGIN
        self.items.append((text, symbol, room))
        self.places.append((self.x, self.rows - 1))
        self.x += width

    def draw(self, root: ET.Element) -> None:
        group = ET.SubElement(root, "g", {"class": "legend", "font-size": "12", "fill": INK})
        for (text, symbol, room), (x, row) in zip(self.items, self.places, strict=True):
            y = self.top + row * LEGEND_ROW + LEGEND_ROW / 2
            if symbol:
                symbol(group, x, y)
            ET.SubElement(group, "text", {"x": _n(x + room), "y": _n(y + 4)}).text = _fit(
                text, self.drawing.width - 2 * MARGIN - room, 12
            )


def _mini_stadium(g: ET.Element, x: float, y: float, stroke: str, width: str, fill: str) -> None:
    ET.SubElement(
        g,
        "rect",
        {
            "x": _n(x),
            "y": _n(y - 8),
            "width": "26",
            "height": "16",
            "rx": "8",
            "fill": fill,
            "stroke": stroke,
            "stroke-width": width,
        },
    )


def _mini_task(g: ET.Element, x: float, y: float) -> None:
    ET.SubElement(
        g,
        "rect",
        {
            "x": _n(x),
            "y": _n(y - 8),
            "width": "26",
            "height": "16",
            "rx": "3",
            "fill": "#ffffff",
            "stroke": "#334155",
            "stroke-width": "1.5",
        },
    )


def _mini_decision(g: ET.Element, x: float, y: float) -> None:
    points = [(x + 13, y - 9), (x + 26, y), (x + 13, y + 9), (x, y)]
    ET.SubElement(
        g,
        "polygon",
        {
            "points": " ".join(f"{_n(a)},{_n(b)}" for a, b in points),
            "fill": "#fefce8",
            "stroke": "#a16207",
            "stroke-width": "1.5",
        },
    )


def _mini_outside(g: ET.Element, x: float, y: float) -> None:
    points = [(x, y - 8), (x + 20, y - 8), (x + 26, y), (x + 20, y + 8), (x, y + 8), (x + 6, y)]
    ET.SubElement(
        g,
        "polygon",
        {
            "points": " ".join(f"{_n(a)},{_n(b)}" for a, b in points),
            "fill": "#f5f3ff",
            "stroke": "#6d28d9",
            "stroke-width": "1.5",
            "stroke-dasharray": "4 2",
        },
    )
