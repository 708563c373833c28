"""What a process map says about itself, found from the map: its gaps (a step nobody owns, a
step no start reaches, a dead end with no way to an end, a loop with no way out, a decision
with fewer than two outcomes, a start or end missing), its hand-offs between divisions (how
many, and which pairs of divisions hand off most), and its critical path — the longest way
from a start to an end in expected days, a loop counted once. And what changed between two
versions: steps added, removed, moved to another lane, flows added and removed, and the change
in hand-offs, gaps and critical-path days. Plain functions over graph.Graph."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from districtpm.processmaps.graph import DECISION, END, START, Edge, Graph

NO_OWNER = "no_owner"
UNREACHABLE = "unreachable"
DEAD_END = "dead_end"
ENDLESS_LOOP = "endless_loop"
ONE_WAY_DECISION = "one_way_decision"
NO_START = "no_start"
NO_END = "no_end"
LABELS = {
    NO_OWNER: "Nobody owns the step",
    UNREACHABLE: "No start leads to the step",
    DEAD_END: "No way on from the step to an end",
    ENDLESS_LOOP: "A loop with no way out",
    ONE_WAY_DECISION: "A decision with fewer than two outcomes",
    NO_START: "The map has no start",
    NO_END: "The map has no end",
}


@dataclass(frozen=True)
class Gap:
    kind: str
    steps: tuple[str, ...]  # the keys of the steps it is about (none for the whole map)
    detail: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass
class Analysis:
    gaps: list[Gap] = field(default_factory=list)
    handoffs: list[Edge] = field(default_factory=list)
    pairs: list[tuple[tuple[str, str], int]] = field(default_factory=list)  # most first
    critical_path: list[str] = field(default_factory=list)
    critical_days: float = 0.0

    def gaps_of(self, kind: str) -> list[Gap]:
        return [g for g in self.gaps if g.kind == kind]


def _reach(graph: Graph, sources: list[str], forward: bool = True) -> set[str]:
    nexts: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for e in graph.edges:
        a, b = (e.source, e.target) if forward else (e.target, e.source)
        nexts[a].append(b)
    seen, todo = set(sources), list(sources)
    while todo:
        for k in nexts[todo.pop()]:
            if k not in seen:
                seen.add(k)
                todo.append(k)
    return seen


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's components, in the map's order (iterative, so a long map does not recurse)."""
    nexts = {n.key: graph.after(n.key) for n in graph.nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in (n.key for n in graph.nodes):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            key, i = work[-1]
            if i == 0:
                index[key] = low[key] = counter
                counter += 1
                stack.append(key)
                on_stack.add(key)
            if i < len(nexts[key]):
                work[-1] = (key, i + 1)
                nxt = nexts[key][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[key] = min(low[key], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[key])
            if low[key] == index[key]:
                component = []
                while True:
                    k = stack.pop()
                    on_stack.discard(k)
                    component.append(k)
                    if k == key:
                        break
                order = {n.key: i for i, n in enumerate(graph.nodes)}
                components.append(sorted(component, key=order.__getitem__))
    return components


def gaps(graph: Graph) -> list[Gap]:
    found: list[Gap] = []
    starts = [n.key for n in graph.nodes if n.kind == START]
    ends = [n.key for n in graph.nodes if n.kind == END]
    if graph.nodes and not starts:
        found.append(Gap(NO_START, ()))
    if graph.nodes and not ends:
        found.append(Gap(NO_END, ()))
    for n in graph.nodes:
        if n.lane is None:
            found.append(Gap(NO_OWNER, (n.key,)))
    reached = _reach(graph, starts)
    for n in graph.nodes:
        if n.key not in reached and n.kind != START:
            found.append(Gap(UNREACHABLE, (n.key,)))
    finishing = _reach(graph, ends, forward=False)
    loops: set[str] = set()
    for component in _strongly_connected(graph):
        cyclic = len(component) > 1
        if cyclic and not (set(component) & finishing):
            loops.update(component)
            found.append(Gap(ENDLESS_LOOP, tuple(component)))
    for n in graph.nodes:
        if n.kind != END and n.key not in finishing and n.key not in loops:
            found.append(Gap(DEAD_END, (n.key,)))
    for n in graph.nodes:
        if n.kind == DECISION:
            outcomes = len(graph.after(n.key))
            if outcomes < 2:
                found.append(Gap(ONE_WAY_DECISION, (n.key,), f"{outcomes} outcome(s)"))
    return found


def critical_path(graph: Graph) -> tuple[list[str], float]:
    """The longest way in days from a start to an end (a step's days counted once; a loop is
    taken at most once, by leaving out the flows that go back to a step already on the way)."""
    starts = [n.key for n in graph.nodes if n.kind == START]
    days = {n.key: float(n.days) for n in graph.nodes}
    back = _back_edges(graph, starts)
    forward = [e for e in graph.edges if (e.source, e.target) not in back]
    order = _topological(graph, forward)
    best: dict[str, tuple[float, list[str]]] = {}
    for key in order:
        if key in starts:
            best.setdefault(key, (days[key], [key]))
        if key not in best:
            continue
        total, path = best[key]
        for e in forward:
            if e.source == key:
                candidate = (total + days[e.target], [*path, e.target])
                if e.target not in best or candidate[0] > best[e.target][0]:
                    best[e.target] = candidate
    ends = [
        (best[n.key][0], best[n.key][1]) for n in graph.nodes if n.kind == END and n.key in best
    ]
    if not ends:
        return [], 0.0
    total, path = max(ends, key=lambda t: (t[0], -len(t[1])))
    return path, round(total, 1)


def _back_edges(graph: Graph, starts: list[str]) -> set[tuple[str, str]]:
    """The flows a depth-first walk from the starts (then the rest, in map order) finds going
    back to a step on its own way."""
    state: dict[str, int] = {}  # 1 on the way, 2 done
    back: set[tuple[str, str]] = set()
    for root in [*starts, *(n.key for n in graph.nodes)]:
        if root in state:
            continue
        work = [(root, iter(graph.after(root)))]
        state[root] = 1
        while work:
            key, nexts = work[-1]
            nxt = next(nexts, None)
            if nxt is None:
                state[key] = 2
                work.pop()
            elif state.get(nxt) == 1:
                back.add((key, nxt))
            elif nxt not in state:
                state[nxt] = 1
                work.append((nxt, iter(graph.after(nxt))))
    return back


def _topological(graph: Graph, edges: list[Edge]) -> list[str]:
    incoming = Counter(e.target for e in edges)
    ready = [n.key for n in graph.nodes if incoming[n.key] == 0]
    order: list[str] = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for e in edges:
            if e.source == key:
                incoming[e.target] -= 1
                if incoming[e.target] == 0:
                    ready.append(e.target)
    return order


def analyse(graph: Graph) -> Analysis:
    handoffs = graph.handoffs()
    lane = {n.key: n.lane for n in graph.nodes}
    pairs = Counter(tuple(sorted((lane[e.source], lane[e.target]))) for e in handoffs)
    path, total = critical_path(graph)
    return Analysis(
        gaps=gaps(graph),
        handoffs=handoffs,
        pairs=sorted(pairs.items(), key=lambda p: (-p[1], p[0])),
        critical_path=path,
        critical_days=total,
    )


# ------------------------------------------------------------------ before and after


@dataclass
class Comparison:
    added: list[str] = field(default_factory=list)  # step keys in the later version only
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # key, from, to
    flows_added: list[tuple[str, str]] = field(default_factory=list)
    flows_removed: list[tuple[str, str]] = field(default_factory=list)
    handoffs: tuple[int, int] = (0, 0)  # before, after
    gaps: tuple[int, int] = (0, 0)
    critical_days: tuple[float, float] = (0.0, 0.0)

    @property
    def unchanged(self) -> bool:
        return not (
            self.added or self.removed or self.moved or self.flows_added or self.flows_removed
        )


def compare(before: Graph, after: Graph) -> Comparison:
    """What changed from one version to the next; a step is the same step by its key."""
    old = {n.key: n for n in before.nodes}
    new = {n.key: n for n in after.nodes}
    old_flows = {(e.source, e.target) for e in before.edges}
    new_flows = {(e.source, e.target) for e in after.edges}
    a, b = analyse(before), analyse(after)
    return Comparison(
        added=[n.key for n in after.nodes if n.key not in old],
        removed=[n.key for n in before.nodes if n.key not in new],
        moved=[
            (k, old[k].lane, n.lane)
            for k, n in ((n.key, n) for n in after.nodes)
            if k in old and old[k].lane != n.lane
        ],
        flows_added=[
            (e.source, e.target) for e in after.edges if (e.source, e.target) not in old_flows
        ],
        flows_removed=[
            (e.source, e.target) for e in before.edges if (e.source, e.target) not in new_flows
        ],
        handoffs=(len(a.handoffs), len(b.handoffs)),
        gaps=(len(a.gaps), len(b.gaps)),
        critical_days=(a.critical_days, b.critical_days),
    )
