"""The analysis on maps made by hand: a clean map reports nothing; each kind of gap is found on
the steps it is about, and only there; hand-offs and their pairs are counted; the critical path
is the longest way in days; comparing two versions lists exactly the changes made."""

from __future__ import annotations

import pytest

from districtpm.processmaps.analysis import (
    DEAD_END,
    ENDLESS_LOOP,
    NO_END,
    NO_OWNER,
    NO_START,
    ONE_WAY_DECISION,
    UNREACHABLE,
    analyse,
    compare,
)
from districtpm.processmaps.graph import Edge, Graph, Node

HR, SCH, FIN = "Human Resources", "Schools", "Finance"


def clean() -> Graph:
    """Posting a vacancy: a start, a decision with two outcomes, a loop that leads out, an end."""
    return Graph(
        nodes=[
            Node("S", "Vacancy known", "start", SCH),
            Node("A", "Write the posting", "task", SCH, 2),
            Node("B", "Approve the budget", "task", FIN, 3),
            Node("D", "Budget approved?", "decision", FIN, 0),
            Node("C", "Post the job", "task", HR, 1),
            Node("E", "Posted", "end", HR),
        ],
        edges=[
            Edge("S", "A"),
            Edge("A", "B"),
            Edge("B", "D"),
            Edge("D", "C", "Yes"),
            Edge("D", "A", "No: rewrite"),
            Edge("C", "E"),
        ],
    )


def test_a_clean_map_reports_no_gap_and_counts_its_handoffs():
    found = analyse(clean())
    assert found.gaps == []
    # Schools → Finance (A→B), Finance → Schools (D→A), Finance → HR (D→C)
    assert [(e.source, e.target) for e in found.handoffs] == [("A", "B"), ("D", "C"), ("D", "A")]
    assert found.pairs == [((FIN, SCH), 2), ((FIN, HR), 1)]
    assert found.critical_path == ["S", "A", "B", "D", "C", "E"] and found.critical_days == 6.0


def _kinds(graph: Graph) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for gap in analyse(graph).gaps:
        out.setdefault(gap.kind, []).append(gap.steps)
    return out


def test_every_kind_of_gap_is_found_on_its_steps_only():
    g = clean()
    g.nodes.append(Node("X", "Nobody's step", "task", None, 1))  # no owner, unreachable...
    g.edges.append(Edge("X", "C"))  # ...but it leads to the end
    g.nodes.append(Node("Y", "File it", "task", HR, 1))  # reachable, goes nowhere
    g.edges.append(Edge("C", "Y"))
    g.nodes += [Node("L1", "Check", "task", FIN), Node("L2", "Check again", "task", FIN)]
    g.edges += [Edge("B", "L1"), Edge("L1", "L2"), Edge("L2", "L1")]  # a loop with no way out
    g.nodes.append(Node("Q", "One-way decision?", "decision", HR))
    g.edges += [Edge("Y", "Q"), Edge("Q", "E", "Yes")]
    found = _kinds(Graph(g.nodes, g.edges))
    assert found == {
        NO_OWNER: [("X",)],
        UNREACHABLE: [("X",)],
        ENDLESS_LOOP: [("L1", "L2")],
        ONE_WAY_DECISION: [("Q",)],
    }
    # cut the way from Y on: Y is a dead end, and so is Q (nothing after it reaches an end)
    g.edges = [e for e in g.edges if e != Edge("Q", "E", "Yes")]
    found = _kinds(Graph(g.nodes, g.edges))
    assert found[DEAD_END] == [("Y",), ("Q",)]
    assert found[ONE_WAY_DECISION] == [("Q",)]  # no outcome at all now


def test_a_map_without_a_start_or_an_end_says_so():
    g = Graph([Node("A", "Do it", "task", HR)], [])
    kinds = _kinds(g)
    assert kinds[NO_START] == [()] and kinds[NO_END] == [()]
    assert kinds[UNREACHABLE] == [("A",)] and kinds[DEAD_END] == [("A",)]


def test_the_critical_path_takes_the_longer_branch_and_a_loop_once():
    g = Graph(
        nodes=[
            Node("S", "Start", "start", HR),
            Node("D", "Which?", "decision", HR),
            Node("Q", "Quick", "task", HR, 1),
            Node("L", "Long", "task", FIN, 9),
            Node("R", "Review", "task", FIN, 2),
            Node("E", "End", "end", HR),
        ],
        edges=[
            Edge("S", "D"),
            Edge("D", "Q", "a"),
            Edge("D", "L", "b"),
            Edge("Q", "E"),
            Edge("L", "R"),
            Edge("R", "L", "redo"),  # a loop, counted once
            Edge("R", "E"),
        ],
    )
    found = analyse(g)
    assert found.critical_path == ["S", "D", "L", "R", "E"] and found.critical_days == 11.0


def test_comparing_versions_lists_exactly_the_changes():
    before = clean()
    after = Graph(
        nodes=[
            Node("S", "Vacancy known", "start", SCH),
            Node("A", "Write the posting", "task", HR, 2),  # moved: Schools → HR
            Node("B", "Approve the budget", "task", FIN, 1),
            Node("C", "Post the job", "task", HR, 1),
            Node("T", "Tell the school", "task", HR, 0.5),  # added
            Node("E", "Posted", "end", HR),
        ],  # removed: D, the decision
        edges=[
            Edge("S", "A"),
            Edge("A", "B"),
            Edge("B", "C"),
            Edge("C", "T"),
            Edge("T", "E"),
        ],
    )
    c = compare(before, after)
    assert c.added == ["T"] and c.removed == ["D"]
    assert c.moved == [("A", SCH, HR)]
    assert c.flows_added == [("B", "C"), ("C", "T"), ("T", "E")]
    assert c.flows_removed == [("B", "D"), ("D", "C"), ("D", "A"), ("C", "E")]
    assert c.handoffs == (3, 3) and c.gaps == (0, 0)
    assert c.critical_days == (6.0, 4.5)
    assert compare(after, after).unchanged


def test_a_flow_to_an_unknown_step_or_two_steps_with_one_key_is_refused():
    with pytest.raises(ValueError):
        Graph([Node("A", "x")], [Edge("A", "B")])
    with pytest.raises(ValueError):
        Graph([Node("A", "x"), Node("A", "y")], [])
