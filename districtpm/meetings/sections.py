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
    # the picture cut into pages a slide shows readably (the whole picture when it fits)
    pages: list[str] = field(default_factory=list)

    def pngs(self) -> list[bytes]:
        """The pictures for a pack file, drawn at twice their size (only when a file is made)."""
        import vl_convert

        return [
            vl_convert.svg_to_png(page, scale=2)
            for page in (self.pages or [self.svg] if self.svg else [])
        ]


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
