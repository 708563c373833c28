"""Formula neutralisation (OWASP CSV injection): the shared helper."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from districtpm.core.cells import FORMULA_TRIGGERS, safe_cell, safe_row
from districtpm.core.plaintext import without_controls


@pytest.mark.parametrize("start", FORMULA_TRIGGERS)
def test_text_that_could_start_a_formula_gets_a_quote(start):
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


def test_numbers_dates_and_plain_text_are_left_alone():
    row = [-3, -0.5, 0, 2.5, None, True, dt.date(2026, 1, 2), "Aspen", "", "a=b", " =1"]
    assert safe_row(row) == row


@given(st.text())
def test_no_text_cell_comes_out_starting_a_formula(text):
    out = safe_cell(text)
    assert not out.startswith(FORMULA_TRIGGERS)
    shown = without_controls(text)  # control characters become spaces, nothing else changes
    assert out in (shown, "'" + shown)
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in out)
