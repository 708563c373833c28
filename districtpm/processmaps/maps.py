"""A version read from the database as a graph.Graph, for the analysis and the drawing, with
the lanes in the order their first step comes in the map."""

from __future__ import annotations

from districtpm.processmaps.analysis import Analysis, analyse
from districtpm.processmaps.graph import Edge, Graph, Node
from districtpm.processmaps.models import Version


def graph_of(version: Version) -> Graph:
    steps = list(version.steps.select_related("lane").order_by("order", "pk"))
    lanes: list[str] = []
    for s in steps:
        if s.lane and s.lane.name not in lanes:
            lanes.append(s.lane.name)
    return Graph(
        nodes=[
            Node(s.key, s.name, s.kind, s.lane.name if s.lane else None, float(s.days), s.produces)
            for s in steps
        ],
        edges=[
            Edge(f.source.key, f.target.key, f.label)
            for f in version.flows.select_related("source", "target").order_by(
                "source__order", "target__order", "pk"
            )
        ],
        lanes=lanes,
    )


def analysis_of(version: Version) -> tuple[Graph, Analysis]:
    graph = graph_of(version)
    return graph, analyse(graph)
