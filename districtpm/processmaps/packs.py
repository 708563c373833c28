"""The process maps of a meeting's focal area, for its data pack (meetings.sections): for each
map of an initiative under the meeting's priority, its latest version the reader may see
(published only, in the board's version of the pack), drawn, with its hand-offs and gaps."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.text import get_text_list

from districtpm.meetings.sections import Section
from districtpm.processmaps import drawing, maps
from districtpm.processmaps.analysis import Analysis
from districtpm.processmaps.graph import Graph
from districtpm.processmaps.models import ProcessMap, Version

MAX_MAPS = 3
MAX_GAPS = 8  # listed beside the picture; the map's page lists every one


def map_sections(meeting: Any, user: Any, board: bool) -> list[Section]:
    if meeting.priority_id is None:
        return []
    found = []
    for pm in (
        ProcessMap.objects.visible_to(user)
        .filter(initiative__priority_id=meeting.priority_id)
        .order_by("name", "pk")
    ):
        if len(found) == MAX_MAPS:
            break
        versions = Version.objects.visible_to(user).filter(process_map=pm)
        if board:
            versions = versions.filter(published=True)
        v = versions.order_by("-number").first()
        if v is None:
            continue
        graph, found_ = maps.analysis_of(v)
        title = f"Process map: {pm.name} — {v.title}"
        # the slide or page carries the title: the picture does not repeat it
        svg = drawing.draw(graph)
        found.append(
            Section(
                title=title,
                svg=svg,
                cut=drawing.slide_pages,
                description=_description(pm.name, v.title, graph, found_),
                lines=_lines(graph, found_),
                link=reverse("processmaps:version", args=[pm.pk, v.number]),
            )
        )
    return found


def _plural(n: float, one: str, many: str) -> str:
    return f"{n:g} {one if n == 1 else many}"


def _lines(graph: Graph, found: Analysis) -> list[str]:
    """What is listed beside the picture: the hand-offs, the critical path, then every gap."""
    names = {n.key: n.name for n in graph.nodes}
    lines = [_plural(len(found.handoffs), "hand-off", "hand-offs") + " between divisions"]
    lines += [f"{a} and {b} hand off {n} times" for (a, b), n in found.pairs[:2] if n > 1]
    lines.append("Critical path: " + _plural(found.critical_days, "day", "days"))
    if not found.gaps:
        return [*lines, "No gaps found"]
    lines.append(_plural(len(found.gaps), "gap", "gaps") + ":")
    lines += [
        g.label + (": " + ", ".join(f"{k} {names[k]}" for k in g.steps) if g.steps else "")
        for g in found.gaps[:MAX_GAPS]
    ]
    if len(found.gaps) > MAX_GAPS:
        lines.append(f"and {len(found.gaps) - MAX_GAPS} more (see the map's page)")
    return lines


def _description(name: str, title: str, graph: Graph, found: Analysis) -> str:
    """The picture's text alternative: its lanes, and each hand-off by number."""
    lane = {n.key: n.lane for n in graph.nodes}
    unowned = sum(1 for n in graph.nodes if n.lane is None)
    parts = [
        f"Swimlane drawing of {name}, {title}: "
        + _plural(len(graph.nodes), "step", "steps")
        + " in "
        + _plural(len(graph.lanes), "division's lane", "divisions' lanes")
        + (f" ({get_text_list(graph.lanes, 'and')})" if graph.lanes else "")
        + (f", {_plural(unowned, 'step', 'steps')} with no owner" if unowned else "")
        + "."
    ]
    if found.handoffs:
        parts.append(
            _plural(len(found.handoffs), "hand-off", "hand-offs")
            + " between divisions, numbered on the drawing: "
            + "; ".join(
                f"{i}. {lane[e.source]} to {lane[e.target]} ({e.source} to {e.target})"
                for i, e in enumerate(found.handoffs, start=1)
            )
            + "."
        )
    else:
        parts.append("No hand-offs between divisions.")
    return " ".join(parts)
