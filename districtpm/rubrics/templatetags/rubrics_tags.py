from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def counts_for(row: Any, levels: list) -> list[int]:
    """How many members rated the indicator at each level, lowest first."""
    return row.counts(levels)


@register.filter
def level_class(cell: Any) -> str:
    return f"lv-{cell[0]}" if cell else "lv-none"
