"""Periods in time order everywhere: interim windows run fall, winter, spring (never as their
names sort), months September to June, on pages, charts, exports, the API and both packs."""

from __future__ import annotations

import csv
import io
import json
import re

from django.urls import reverse
from pptx import Presentation

from districtpm.analytics.schema import period_order
from districtpm.meetings import pack
from districtpm.meetings.tests.test_pack import meeting  # noqa: F401  (fixture)
from districtpm.metrics.tests.test_pages import computed  # noqa: F401  (fixture)

WINDOWS = ["fall", "winter", "spring"]


def in_time_order(periods: list[str]) -> bool:
    """School years ascending and, within one, fall before winter before spring: worked out
    here from the names, independently of the product's period_order."""

    def when(period: str) -> tuple[str, int]:
        year, _, window = period.partition(" ")
        return year, WINDOWS.index(window) if window else -1

    return periods == sorted(periods, key=when)


def test_period_order_is_the_calendar_not_the_alphabet():
    names = ["2025-2026 spring", "2025-2026 fall", "2024-2025 winter", "2025-2026 winter"]
    assert sorted(names, key=period_order) == [
        "2024-2025 winter",
        "2025-2026 fall",
        "2025-2026 winter",
        "2025-2026 spring",
    ]
    assert sorted(names) != sorted(names, key=period_order)  # the bug this guards against
    months = ["2026-01", "2025-12", "2026-06", "2025-09"]
    assert sorted(months, key=period_order) == ["2025-09", "2025-12", "2026-01", "2026-06"]
    assert period_order("2025-2026") < period_order("2025-2026 fall")


def _district_periods(computed_metric: str) -> list[str]:
    from districtpm.metrics.models import MetricValue

    return list(
        MetricValue.objects.filter(metric_id=computed_metric, level="district", group_dim="all")
        .order_by("period_order")
        .values_list("period", flat=True)
    )


def test_the_metric_page_table_select_and_chart(computed, login, world):  # noqa: F811
    periods = _district_periods("ela_interim_on_track")
    assert {p.split(" ")[1] for p in periods} >= set(WINDOWS), periods
    response = login(world.users["pm"]).get(
        reverse("metrics:metric", args=["ela_interim_on_track"])
    )
    body = response.content.decode()
    options = re.findall(r'<option value="(\d{4}-\d{4} \w+)"', body)
    headers = re.findall(r'<th scope="col" class="num">(\d{4}-\d{4} \w+)</th>', body)
    assert options == periods and headers == periods
    assert in_time_order(options)
    spec = response.context["trend_spec"]
    for group in {row["group"] for row in spec["data"]["values"]}:
        # each line in time order (a hidden cell is simply not drawn)
        drawn = [row["period"] for row in spec["data"]["values"] if row["group"] == group]
        assert in_time_order(drawn) and set(drawn) <= set(periods), (group, drawn)
    assert spec["encoding"]["x"]["sort"] is None  # drawn in the data's order, not re-sorted


def test_exports_and_the_api(computed, login, world):  # noqa: F811
    client = login(world.users["pm"])
    text = client.get(reverse("metrics:export_csv", args=["ela_interim_on_track"])).content
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    district = [
        r["Period"]
        for r in rows
        if r["Level"] == "District" and r["Student group"] == "All students"
    ]
    assert district == _district_periods("ela_interim_on_track") and in_time_order(district)
    url = reverse("metrics:api_values", args=["ela_interim_on_track"])
    values = json.loads(client.get(url, {"level": "district", "group_dim": "all"}).content)
    api = [v["period"] for v in values["values"]]
    assert api == district


def test_both_packs(meeting, world):  # noqa: F811
    full = pack.assemble(meeting, user=world.users["pm"])
    leading = [c for c in full.charts if c.title.startswith("Leading measure")]
    assert leading, [c.title for c in full.charts]
    for chart in leading:
        periods = [period for _, period, _, _ in chart.table]
        assert in_time_order(periods), periods
    deck = Presentation(io.BytesIO(pack.to_pptx(full)))
    tables = [shape.table for slide in deck.slides for shape in slide.shapes if shape.has_table]
    drawn = [_periods(cell.text for row in table.rows for cell in row.cells) for table in tables]
    assert any(drawn) and all(in_time_order(periods) for periods in drawn), drawn
    pages = _pdf_pages(pack.to_pdf(full))
    assert any(pages) and all(in_time_order(periods) for periods in pages), pages


def _periods(texts) -> list[str]:
    """The window periods in these texts, each once, in the order they appear."""
    found = [m for t in texts for m in re.findall(r"\d{4}-\d{4} (?:fall|winter|spring)", t)]
    return list(dict.fromkeys(found))


def _pdf_pages(data: bytes) -> list[list[str]]:
    from pypdf import PdfReader

    return [_periods([page.extract_text()]) for page in PdfReader(io.BytesIO(data)).pages]
