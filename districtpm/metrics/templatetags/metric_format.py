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


# Names in words for the codes a metric definition uses (anything else: its words capitalised).
WORDS = {
    "rate": "Rate (share of students)",
    "count": "Count of students",
    "sum": "Total",
    "mean": "Average",
    "median": "Median",
    "percentile": "Percentile",
    "ratio_of_sums": "Ratio of totals",
    "gap": "Gap between groups",
    "student_years": "Enrollment records",
    "assessments": "Test results",
    "attendance": "Daily attendance",
    "student_discipline": "Discipline incidents",
    "survey_responses": "Survey responses",
    "graduation_cohorts": "Graduation cohorts",
    "credits": "Course credits",
    "school_values": "Published school figures",
    "school_year": "School year",
    "window": "Testing window",
    "month": "Month",
    "leading": "Leading",
    "lagging": "Lagging",
}


@register.filter
def words(code):
    """A definition's code (measure, source, period, kind) in words for people."""
    if not code:
        return "—"
    return WORDS.get(str(code), str(code).replace("_", " ").capitalize())


@register.filter
def count(value):
    """A count with thousands separators (6,536); a dash for none."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value:,.0f}"
