"""What the plan's initiatives answer, as higher apps tell it: the rubrics app registers the
weak indicators linked to each initiative, and the plan and meeting pages show them. A lower
app asks; it never imports the app that answers (ARCHITECTURE.md, "by registration")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# (user, initiative ids) -> {initiative id: ["what it answers", ...]}
Provider = Callable[[Any, list[int]], dict[int, list[str]]]
_PROVIDERS: dict[str, Provider] = {}


def register_answers(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def answers_for(user: Any, initiative_ids: Iterable[int]) -> dict[int, list[str]]:
    """Everything registered as answered by each initiative that the user may see."""
    ids = list(initiative_ids)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for provider in _PROVIDERS.values():
        for initiative_id, labels in provider(user, ids).items():
            found.setdefault(initiative_id, []).extend(labels)
    return found
