"""The swimlane drawing of a process map: lanes hold their steps, steps never overlap, flows go
around steps, hand-offs are numbered, free text stays text, and the drawing never changes."""

from __future__ import annotations

import itertools
import struct
import xml.etree.ElementTree as ET

import pytest

from districtpm.processmaps.drawing import HANDOFF_LEGEND, NO_OWNER, back_edges, draw, png
from districtpm.processmaps.graph import DECISION, END, HANDOFF, START, TASK, Edge, Graph, Node

SVG = "{http://www.w3.org/2000/svg}"

SCHOOL = "School"
CURRICULUM = "Curriculum, Instruction and Assessment Department"
FINANCE = "Finance"
PROCUREMENT = "Procurement and Contracts"
WAREHOUSE = "Warehouse and Technology Services"
BOARD = "Board of Education"


def materials_map() -> Graph:
    """Buying new curriculum materials: 25 steps in 6 lanes, two decisions with labelled
    outcomes, a loop back to the budget check, parallel steps, and several hand-offs."""
    s = [
        Node("S1", "Need for new materials identified", START, SCHOOL),
        Node("S2", "Principal drafts request with rationale", TASK, SCHOOL, 2),
        Node("S3", "Instructional coach reviews alignment", TASK, SCHOOL, 1),
        Node("S4", "Principal signs off", TASK, SCHOOL, 0.5),
        Node("C1", "Curriculum review of the materials", TASK, CURRICULUM, 5),
        Node("C2", "Materials on the approved list?", DECISION, CURRICULUM),
        Node("C3", "Pilot review by the content committee", TASK, CURRICULUM, 10),
        Node("C4", "Record approval and standards alignment", TASK, CURRICULUM, 1),
        Node("F1", "Check the school's budget balance", TASK, FINANCE, 2),
        Node("F2", "Funds available?", DECISION, FINANCE),
        Node("S5", "Revise the request or find other funds", TASK, SCHOOL, 3),
        Node("F3", "Encumber funds", TASK, FINANCE, 1),
        Node("P1", "Create requisition in the ERP", TASK, PROCUREMENT, 1),
        Node("P2", "Over $25,000?", DECISION, PROCUREMENT),
        Node("P3", "Vendor quotes (three required)", HANDOFF, PROCUREMENT, 7),
        Node("B1", "Board approval at the monthly business meeting", TASK, BOARD, 14),
        Node("P4", "Issue purchase order", TASK, PROCUREMENT, 2),
        Node("P5", "Vendor ships the materials", HANDOFF, PROCUREMENT, 10),
        Node("W1", "Receive, count and tag materials", TASK, WAREHOUSE, 2),
        Node("W2", "Install digital licences", TASK, WAREHOUSE, 3),
        Node("W3", "Assign licences to course sections", TASK, WAREHOUSE, 1),
        Node("F4", "Pay the vendor's invoice", TASK, FINANCE, 5),
        Node("S6", "Distribute to classrooms", TASK, SCHOOL, 2),
        Node("C5", "Teacher training on the new materials", TASK, CURRICULUM, 5),
        Node("S7", "Materials in use", END, SCHOOL),
    ]
    flows = [
        ("S1", "S2", ""),
        ("S2", "S3", ""),
        ("S3", "S4", ""),
        ("S4", "C1", ""),
        ("C1", "C2", ""),
        ("C2", "C4", "Yes"),
        ("C2", "C3", "No, pilot first"),
        ("C3", "C4", ""),
        ("C4", "F1", ""),
        ("F1", "F2", ""),
        ("F2", "F3", "Yes"),
        ("F2", "S5", "No"),
        ("S5", "F1", "Resubmit"),
        ("F3", "P1", ""),
        ("P1", "P2", ""),
        ("P2", "P4", "No"),
        ("P2", "P3", "Yes"),
        ("P3", "B1", ""),
        ("B1", "P4", ""),
        ("P4", "P5", ""),
        ("P5", "W1", ""),
        ("P5", "W2", ""),
        ("W2", "W3", ""),
        ("W1", "F4", "Packing slip"),
        ("W1", "S6", ""),
        ("W3", "C5", ""),
        ("S6", "S7", ""),
        ("C5", "S7", ""),
    ]
    lanes = [SCHOOL, CURRICULUM, FINANCE, PROCUREMENT, WAREHOUSE, BOARD]
    return Graph(s, [Edge(a, b, label) for a, b, label in flows], list(lanes))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()


def groups(root: ET.Element, name: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if name in classes(g)]


def shape_box(step: ET.Element) -> tuple[float, float, float, float]:
    """The step's shape as (left, top, right, bottom)."""
    shape = next(e for e in step if "shape" in classes(e))
    if shape.tag == f"{SVG}rect":
        x, y = float(shape.get("x")), float(shape.get("y"))
        return (x, y, x + float(shape.get("width")), y + float(shape.get("height")))
    points = [tuple(map(float, p.split(","))) for p in shape.get("points").split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def lane_bands(root: ET.Element) -> dict[str, tuple[float, float]]:
    return {
        r.get("data-lane"): (float(r.get("y")), float(r.get("y")) + float(r.get("height")))
        for r in root.iter(f"{SVG}rect")
        if "lane" in classes(r)
    }


def label_column(root: ET.Element) -> float:
    heads = [r for r in root.iter(f"{SVG}rect") if "lane-head" in classes(r)]
    return max(float(r.get("x")) + float(r.get("width")) for r in heads)


def polyline(group: ET.Element) -> list[tuple[float, float]]:
    line = next(e for e in group if e.tag == f"{SVG}polyline")
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


@pytest.fixture(scope="module")
def drawing() -> tuple[Graph, str, ET.Element]:
    graph = materials_map()
    svg = draw(graph, title="Buying curriculum materials (as is)")
    return graph, svg, parse(svg)


def test_the_map_has_25_steps_in_6_lanes():
    graph = materials_map()
    assert len(graph.nodes) == 25
    assert len(graph.lanes) == 6
    assert len(graph.handoffs()) >= 8


def test_the_document_is_an_accessible_svg_image(drawing):
    _, svg, root = drawing
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert width > 0 and height > 0
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Buying curriculum materials (as is)"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "25 steps in 6 lanes" in desc.text
    assert "1. “Principal signs off” (School) to “Curriculum review" in desc.text
    assert root.find(f"{SVG}defs/{SVG}marker") is not None


def test_a_lane_per_division_in_order(drawing):
    graph, _, root = drawing
    bands = [r for r in root.iter(f"{SVG}rect") if "lane" in classes(r)]
    assert [r.get("data-lane") for r in bands] == graph.lanes
    tops = [float(r.get("y")) for r in bands]
    assert tops == sorted(tops)
    for upper, lower in itertools.pairwise(bands):
        assert float(upper.get("y")) + float(upper.get("height")) == float(lower.get("y"))


def test_every_step_lies_inside_its_own_lane_right_of_the_labels(drawing):
    graph, _, root = drawing
    bands, column = lane_bands(root), label_column(root)
    steps = groups(root, "step")
    assert sorted(g.get("data-key") for g in steps) == sorted(n.key for n in graph.nodes)
    for step in steps:
        node = graph.node(step.get("data-key"))
        assert step.get("data-lane") == node.lane
        left, top, _, bottom = shape_box(step)
        band_top, band_bottom = bands[node.lane]
        assert band_top <= top and bottom <= band_bottom, node.key
        assert left > column, node.key


def test_no_two_steps_overlap(drawing):
    _, _, root = drawing
    boxes = [shape_box(g) for g in groups(root, "step")]
    for a, b in itertools.combinations(boxes, 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, (a, b)


def test_steps_of_a_lane_and_rank_stack_in_rows(drawing):
    _, _, root = drawing
    boxes = {g.get("data-key"): shape_box(g) for g in groups(root, "step")}
    # The vendor ships to the warehouse, which receives and installs at once: one column.
    assert boxes["W1"][0] == boxes["W2"][0]
    assert boxes["W1"][3] < boxes["W2"][1]


def test_steps_follow_the_flow_left_to_right(drawing):
    graph, _, root = drawing
    boxes = {g.get("data-key"): shape_box(g) for g in groups(root, "step")}
    loops = back_edges(graph)
    assert [graph.edges[i] for i in loops] == [Edge("S5", "F1", "Resubmit")]
    for i, e in enumerate(graph.edges):
        if i not in loops:
            assert boxes[e.source][2] < boxes[e.target][0], e


def test_flows_go_around_steps(drawing):
    graph, _, root = drawing
    boxes = {g.get("data-key"): shape_box(g) for g in groups(root, "step")}
    flows = groups(root, "flow") + groups(root, "handoff")
    assert len(flows) == len(graph.edges)
    for flow in flows:
        points = polyline(flow)
        for a, b in itertools.pairwise(points):
            assert a[0] == b[0] or a[1] == b[1], "flows are orthogonal"
            for key, (left, top, right, bottom) in boxes.items():
                if key in (flow.get("data-from"), flow.get("data-to")):
                    continue
                crosses = (
                    min(a[0], b[0]) < right
                    and max(a[0], b[0]) > left
                    and min(a[1], b[1]) < bottom
                    and max(a[1], b[1]) > top
                )
                assert not crosses, (flow.get("data-from"), flow.get("data-to"), key)
        ends_at = boxes[flow.get("data-to")]
        last = points[-1]
        assert ends_at[0] <= last[0] <= ends_at[2] and ends_at[1] <= last[1] <= ends_at[3]
    loops = [f for f in flows if "loop" in classes(f)]
    assert [(f.get("data-from"), f.get("data-to")) for f in loops] == [("S5", "F1")]
    assert all(polyline(f)[0][1] >= boxes["S5"][3] for f in loops), "a loop leaves from below"


def test_each_handoff_is_one_numbered_group(drawing):
    graph, _, root = drawing
    handoffs = groups(root, "handoff")
    expected = graph.handoffs()
    assert len(handoffs) == len(expected)
    for number, (group, edge) in enumerate(zip(handoffs, expected, strict=True), start=1):
        assert group.get("data-handoff") == str(number)
        assert (group.get("data-from"), group.get("data-to")) == (edge.source, edge.target)
        badge = next(g for g in group.iter(f"{SVG}g") if "badge" in classes(g))
        assert badge.find(f"{SVG}circle") is not None
        assert badge.find(f"{SVG}text").text == str(number)
        line = group.find(f"{SVG}polyline")
        assert line.get("stroke") == "#c2410c"
        assert float(line.get("stroke-width")) > 2
    plain = [f for f in groups(root, "flow")]
    assert all(float(f.find(f"{SVG}polyline").get("stroke-width")) < 2 for f in plain)
    assert len(plain) + len(handoffs) == len(graph.edges)


def test_decision_outcomes_are_labelled_on_white(drawing):
    _, _, root = drawing
    labelled = {}
    for flow in groups(root, "flow") + groups(root, "handoff"):
        texts = [t for t in flow.iter(f"{SVG}text") if "label" in classes(t)]
        if texts:
            background = next(r for r in flow.iter(f"{SVG}rect") if "label-bg" in classes(r))
            assert background.get("fill") == "#ffffff"
            lines = texts[0].findall(f"{SVG}tspan")
            labelled[(flow.get("data-from"), flow.get("data-to"))] = " ".join(t.text for t in lines)
    assert labelled[("C2", "C4")] == "Yes"
    assert labelled[("C2", "C3")] == "No, pilot first"
    assert labelled[("F2", "S5")] == "No"


def test_lane_labels_lie_inside_their_band(drawing):
    graph, _, root = drawing
    bands, column = lane_bands(root), label_column(root)
    labels = [t for t in root.iter(f"{SVG}text") if "lane-label" in classes(t)]
    assert [t.get("data-lane") for t in labels] == graph.lanes
    for label in labels:
        top, bottom = bands[label.get("data-lane")]
        size = float(label.get("font-size"))
        lines = label.findall(f"{SVG}tspan")
        assert lines
        for line in lines:
            baseline = float(line.get("y"))
            assert top <= baseline - size and baseline + size * 0.3 <= bottom
            assert float(line.get("x")) < column
    long = next(t for t in labels if t.get("data-lane") == CURRICULUM)
    assert len(long.findall(f"{SVG}tspan")) >= 2
    assert " ".join(t.text for t in long.findall(f"{SVG}tspan")) == CURRICULUM


def test_text_is_big_enough_to_read(drawing):
    _, _, root = drawing
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    assert min(sizes) >= 11


def test_steps_show_name_key_and_days(drawing):
    _, _, root = drawing
    step = next(g for g in groups(root, "step") if g.get("data-key") == "B1")
    assert step.find(f"{SVG}title").text == "Board approval at the monthly business meeting"
    name = " ".join(t.text for t in step.iter(f"{SVG}tspan"))
    assert name == "Board approval at the monthly business meeting"
    texts = {t.get("class"): t.text for t in step.findall(f"{SVG}text")}
    assert texts["key"] == "B1"
    assert texts["days"] == "14 d"
    start = next(g for g in groups(root, "step") if g.get("data-key") == "S1")
    assert "days" not in {t.get("class") for t in start.findall(f"{SVG}text")}


def test_a_long_name_is_cut_but_kept_whole_in_its_title():
    name = "Collect signatures from " + "every single department head " * 6
    graph = Graph([Node("A", name, TASK, "Finance")], [], ["Finance"])
    root = parse(draw(graph))
    step = groups(root, "step")[0]
    assert step.find(f"{SVG}title").text == " ".join(name.split())
    lines = [t.text for t in step.iter(f"{SVG}tspan")]
    assert len(lines) == 3
    assert lines[-1].endswith("…")


def test_the_legend_explains_the_numbers(drawing):
    _, _, root = drawing
    legend = groups(root, "legend")[0]
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert any(t.startswith(HANDOFF_LEGEND) for t in texts)
    steps_bottom = max(shape_box(g)[3] for g in groups(root, "step"))
    assert all(float(t.get("y")) > steps_bottom for t in legend.iter(f"{SVG}text"))


def test_the_drawing_is_deterministic(drawing):
    graph, svg, _ = drawing
    assert draw(materials_map(), title="Buying curriculum materials (as is)") == svg
    assert draw(graph, title="Buying curriculum materials (as is)") == svg


def test_steps_without_an_owner_get_a_last_lane_and_empty_lanes_stay():
    graph = Graph(
        [
            Node("a", "Start", START, "Finance"),
            Node("b", "Somebody checks", TASK, None),
            Node("c", "Done", END, "Finance"),
        ],
        [Edge("a", "b"), Edge("b", "c")],
        ["Finance", "Transportation"],
    )
    root = parse(draw(graph))
    assert list(lane_bands(root)) == ["Finance", "Transportation", ""]
    labels = [t for t in root.iter(f"{SVG}text") if "lane-label" in classes(t)]
    assert labels[-1].find(f"{SVG}tspan").text == NO_OWNER
    step = next(g for g in groups(root, "step") if g.get("data-key") == "b")
    assert step.get("data-lane") == ""
    top, bottom = lane_bands(root)[""]
    assert top <= shape_box(step)[1] and shape_box(step)[3] <= bottom
    assert groups(root, "handoff") == []  # a step nobody owns is not a division's hand-off


def test_free_text_stays_text():
    evil = "</text><script>alert(1)</script>\x00\x0b & \"quoted\" 'x'"
    graph = Graph(
        [Node("<k>", evil, DECISION, evil), Node("b", "Next", HANDOFF, "Finance")],
        [Edge("<k>", "b", evil)],
        [evil, "Finance"],
    )
    svg = draw(graph, title=evil)
    root = parse(svg)  # it parses: nothing broke out of its element
    assert not any(e.tag.endswith("script") for e in root.iter())
    assert "<script>" not in svg and "\x00" not in svg and "\x0b" not in svg
    assert root.find(f"{SVG}title").text == "</text><script>alert(1)</script> & \"quoted\" 'x'"
    step = next(g for g in groups(root, "step") if g.get("data-key") == "<k>")
    assert step.find(f"{SVG}title").text.startswith("</text><script>")
    assert step.get("data-lane").startswith("</text><script>")
    handoff = groups(root, "handoff")[0]
    assert handoff.get("data-from") == "<k>"


def test_an_empty_map_still_draws():
    svg = draw(Graph())
    root = parse(svg)
    assert root.get("role") == "img"
    assert groups(root, "step") == []
    assert png(svg).startswith(b"\x89PNG")


def test_a_loop_to_itself_and_parallel_flows_draw():
    graph = Graph(
        [Node("a", "Check", TASK, "X"), Node("b", "Fix", TASK, "X"), Node("c", "Ship", TASK, "Y")],
        [Edge("a", "a", "again"), Edge("a", "b"), Edge("a", "c"), Edge("b", "c"), Edge("c", "a")],
        ["X", "Y"],
    )
    root = parse(draw(graph))
    loops = [f for f in groups(root, "flow") + groups(root, "handoff") if "loop" in classes(f)]
    assert {(f.get("data-from"), f.get("data-to")) for f in loops} == {("a", "a"), ("c", "a")}
    assert [g.get("data-handoff") for g in groups(root, "handoff")] == ["1", "2", "3"]


def test_png_of_the_drawing(tmp_path):
    graph = materials_map()
    svg = draw(graph, title="Buying curriculum materials (as is)")
    picture = png(svg)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", picture[16:24])
    root = parse(svg)
    assert (width, height) == (round(float(root.get("width"))), round(float(root.get("height"))))
    assert 1500 < width < 6000 and 500 < height < 1500
    twice = png(svg, scale=2)
    assert struct.unpack(">II", twice[16:24]) == (width * 2, height * 2)


def test_a_long_map_cuts_into_pages_that_repeat_the_lanes_and_lose_no_step(drawing):
    from districtpm.processmaps.drawing import COL_W, GAP_X, LABEL_W, pages

    graph, svg, root = drawing
    cut = pages(svg, columns=5)
    assert len(cut) > 1
    slices = []
    for page in cut:
        page_root = parse(page)  # each page is a document of its own
        inner = [e for e in page_root if e.tag.endswith("svg")]
        assert len(inner) == 2 and float(inner[0].get("width")) == LABEL_W  # the lane names
        x0, _, w, _ = (float(v) for v in inner[1].get("viewBox").split())
        assert w <= 5 * COL_W + GAP_X / 2
        slices.append((x0, x0 + w))
    # the slices follow on one another, from the lane names to the end
    assert slices[0][0] == LABEL_W
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    assert slices[-1][1] == float(root.get("width"))
    # every step lies whole in one slice
    for step in groups(root, "step"):
        left, _, right, _ = shape_box(step)
        assert any(lo <= left and right <= hi for lo, hi in slices), step.get("data-key")
    # a short map is its own one page
    small = draw(
        Graph(
            [Node("A", "Start", START, "Schools"), Node("B", "End", END, "Schools")],
            [Edge("A", "B")],
        )
    )
    assert pages(small) == [small]


def test_the_labels_of_a_decision_with_many_outcomes_do_not_overlap():
    lanes = ["Schools", "Transport", "Enrollment", "Services"]
    nodes = [
        Node("S", "Start", START, lanes[0]),
        Node("D", "What keeps them away?", DECISION, lanes[0]),
    ]
    edges = [Edge("S", "D")]
    for i, (lane, outcome) in enumerate(
        zip(lanes, ["Other", "Bus", "Moved", "Health"], strict=True)
    ):
        nodes.append(Node(f"T{i}", f"Step {i}", TASK, lane))
        edges.append(Edge("D", f"T{i}", outcome))
    root = parse(draw(Graph(nodes, edges)))
    boxes = []
    for rect in root.iter(f"{SVG}rect"):
        if "label-bg" in classes(rect):
            x, y = float(rect.get("x")), float(rect.get("y"))
            boxes.append((x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    assert len(boxes) == 4
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
