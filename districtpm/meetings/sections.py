"""What higher apps add to a meeting's data pack, by registration: the process maps app adds
the maps of the meeting's focal area, each a picture with its list of gaps and hand-offs. A
lower app asks; it never imports the app that answers (ARCHITECTURE.md, "by registration")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Section:
    """A page of the pack after the charts: a title, a picture the product drew (an SVG
    document, or none), its text description, and the lines listed beside it."""

    title: str
    svg: str | None
    description: str
    lines: list[str] = field(default_factory=list)
    link: str = ""  # the page in the product it comes from
    # cuts the picture into pages a slide shows readably; called only when a file is made
    cut: Callable[[str], list[str]] | None = None

    def pngs(self) -> list[bytes]:
        """The pictures for a pack file, drawn at twice their size."""
        import vl_convert

        if not self.svg:
            return []
        pages = self.cut(self.svg) if self.cut else [self.svg]
        return [vl_convert.svg_to_png(page, scale=2) for page in pages]


# (meeting, user, board) -> sections
Provider = Callable[[Any, Any, bool], list[Section]]
_PROVIDERS: dict[str, Provider] = {}


def register_sections(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def sections_for(meeting: Any, user: Any, *, board: bool = False) -> list[Section]:
    found: list[Section] = []
    for provider in _PROVIDERS.values():
        found.extend(provider(meeting, user, board))
    return found
