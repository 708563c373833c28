from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def metric_value(value, metric):
    """A value in the metric's own format, or a dash."""
    return metric.format_value(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
