"""The documented canonical schema is the one in the code."""

from __future__ import annotations

from pathlib import Path

from districtpm.analytics.schema import markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "analytics-schema.md"


def test_schema_document_is_current():
    assert DOC.read_text().strip() == markdown().strip(), (
        "docs/analytics-schema.md is out of date: run `districtpm data schema > "
        "docs/analytics-schema.md`"
    )
