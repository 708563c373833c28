"""A version of a process map as plain data — the analysis and the drawing read this, never
the database, so both are tested on maps made by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

START, TASK, DECISION, HANDOFF, END = "start", "task", "decision", "handoff", "end"
KINDS = (START, TASK, DECISION, HANDOFF, END)


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    kind: str = TASK
    lane: str | None = None  # the division that owns the step; None: nobody yet
    days: float = 0.0
    produces: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)  # in the map's own order
    edges: list[Edge] = field(default_factory=list)
    lanes: list[str] = field(default_factory=list)  # lanes in order (may hold empty ones)

    def __post_init__(self) -> None:
        keys = [n.key for n in self.nodes]
        if len(set(keys)) != len(keys):
            raise ValueError("Each step has its own key.")
        known = set(keys)
        for e in self.edges:
            if e.source not in known or e.target not in known:
                raise ValueError(f"A flow joins two steps of the map: {e.source} → {e.target}.")
        for n in self.nodes:
            if n.lane is not None and n.lane not in self.lanes:
                self.lanes.append(n.lane)

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)

    def after(self, key: str) -> list[str]:
        return [e.target for e in self.edges if e.source == key]

    def handoffs(self) -> list[Edge]:
        """Flows from one division's step to another division's: in the map's order."""
        lane = {n.key: n.lane for n in self.nodes}
        return [
            e
            for e in self.edges
            if lane[e.source] is not None
            and lane[e.target] is not None
            and lane[e.source] != lane[e.target]
        ]
