"""Where a final rating was used, as higher apps tell it: school improvement registers the
problem statements whose causes were verified against an indicator's final rating, and the
assessment page shows them beside the rating. Rubrics asks; it never imports the app that
answers (ARCHITECTURE.md, "by registration")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# (user, final rating ids) -> {final rating id: [(what it was used for, its address), ...]}
Provider = Callable[[Any, list[int]], dict[int, list[tuple[str, str]]]]
_PROVIDERS: dict[str, Provider] = {}


def register_uses(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def uses_for(user: Any, final_rating_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Every registered use of each final rating that the user may see."""
    ids = list(final_rating_ids)
    found: dict[int, list[tuple[str, str]]] = {}
    if not ids:
        return found
    for provider in _PROVIDERS.values():
        for rating_id, uses in provider(user, ids).items():
            found.setdefault(rating_id, []).extend(uses)
    return found
