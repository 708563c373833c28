from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def metric_value(value, metric):
    """A value in the metric's own format, or a dash (also for a missing value in a template,
    which Django resolves to an empty string)."""
    if not isinstance(value, int | float):
        return "—"
    return metric.format_value(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def metric_gap(value, metric):
    """A difference between two values of the metric: percentage points for percentages."""
    if not isinstance(value, int | float):
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    if metric.format in ("percent", "percent1"):
        return f"{sign}{abs(value) * 100:.1f} pts"
    return f"{sign}{metric.format_value(abs(value))}"
