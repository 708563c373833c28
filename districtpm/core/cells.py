"""Cells for CSV and Excel files a user downloads, safe to open in a spreadsheet program.

A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
leading tab or carriage return can hide one), so a school or goal named `=HYPERLINK(...)`
would become a live link or worse in the reader's copy. Following OWASP's CSV-injection
guidance, such a text cell in a CSV file is written with a leading single quote, which makes
every spreadsheet program read it as text. An Excel workbook has cell types: there every text
cell is stored as text (openpyxl would store a string starting with `=` as a formula), so it is
shown as typed, never run, and reads back unchanged. Numbers are left alone: a negative number
is a number. Every CSV writer passes its rows through `safe_row`, every XLSX writer through
`append_row`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from districtpm.core import plaintext

# The characters OWASP lists as starting a formula (or hiding one behind whitespace).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a CSV file should hold it: control characters made spaces (Excel's XML
    refuses them, and they hide text), text that could start a formula with a leading quote;
    numbers, dates, booleans and empty cells unchanged."""
    if not isinstance(value, str):
        return value
    value = plaintext.without_controls(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_writer(stream: IO[str]) -> Any:
    """A CSV writer that quotes every field, as OWASP advises: a separator inside a value
    (`X;=1+1` in a semicolon locale) can then never start a new, formula cell."""
    return csv.writer(stream, quoting=csv.QUOTE_ALL)


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells for csv.writer or openpyxl's append, each passed through safe_cell."""
    return [safe_cell(v) for v in values]


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet (normal or write-only) with every text cell stored as
    text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    # openpyxl refuses control characters (IllegalCharacterError): one in a school's name
    # would break every download of the file.
    values = [plaintext.without_controls(v) if isinstance(v, str) else v for v in values]
    if isinstance(sheet, WriteOnlyWorksheet):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if cell.data_type == "f":
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
