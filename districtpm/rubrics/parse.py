"""Reading a framework — domains, indicators, an ordered scale of levels and a descriptor for
each indicator at each level — from a table: a TSV or CSV file, an Excel workbook, or text
pasted into a page.

Real rubrics come out of PDFs, so the reader takes the table as text extraction leaves it:

- a row with one filled cell is a heading: the last one before a table names its domain, and
  one before the first domain's heading is the framework's title;
- a header row (first cell "Indicator", or "Domain" then "Indicator") names the levels, lowest
  first; a later table's header must name the same levels;
- a row whose first cell is empty continues the indicator above, cell by cell (a page break in
  the PDF cut its descriptors in two);
- a row of dashes is a separator, an empty row nothing;
- markup a converter left in a cell (`<p>`, `&amp;`) is taken out.

A row "Evidence expected" after a header gives the evidence expected at each level. Every problem
is reported with its line, column and reason; a table with any problem yields no framework.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import strip_tags

from districtpm.core import intake, plaintext
from districtpm.core.intake import InputRefused, RowError

MAX_LEVELS = 7
MAX_NAME = 200
MAX_LEVEL_NAME = 100
_SEPARATOR = re.compile(r"^[\s\-=_|:+*.]+$")
_SPACES = re.compile(r"\s+")


@dataclass
class ParsedIndicator:
    name: str
    descriptors: list[str]
    line: int
    key: str = ""  # kept from the version it was read from; new indicators get one on saving


@dataclass
class ParsedDomain:
    name: str
    indicators: list[ParsedIndicator] = field(default_factory=list)


@dataclass
class ParsedFramework:
    name: str
    levels: list[str]
    domains: list[ParsedDomain]
    evidence: list[str] = field(default_factory=list)  # per level; "" where none is named

    @property
    def indicator_count(self) -> int:
        return sum(len(d.indicators) for d in self.domains)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "levels": [
                {"name": name, "evidence_expected": self.evidence[i] if self.evidence else ""}
                for i, name in enumerate(self.levels)
            ],
            "domains": [
                {
                    "name": d.name,
                    "indicators": [
                        {
                            "name": i.name,
                            "descriptors": dict(zip(self.levels, i.descriptors, strict=True)),
                            "key": i.key,
                        }
                        for i in d.indicators
                    ],
                }
                for d in self.domains
            ],
        }


class FrameworkProblems(Exception):
    """A table that yields no framework: every problem found, each with its line and column."""

    def __init__(self, problems: list[RowError]) -> None:
        count = len(problems)
        super().__init__(f"The framework was not read: {count} problem{'s' * (count != 1)}.")
        self.problems = problems


def clean_cell(value: Any) -> str:
    """A cell's text as a user reads it: markup out, entities decoded, whitespace single."""
    if value is None:
        return ""
    text = plaintext.clean(value)
    if "<" in text or "&" in text:
        text = html.unescape(strip_tags(text))
    return _SPACES.sub(" ", text).strip()


def _column(index: int) -> str:
    """A spreadsheet column letter for a 0-based index (A, B, … Z, AA…)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _is_header(cells: list[str]) -> bool:
    first = cells[0].casefold() if cells else ""
    return first == "indicator" or (
        first == "domain" and len(cells) > 1 and cells[1].casefold() == "indicator"
    )


def parse_rows(
    rows: list[tuple[int, list[str]]], *, source: str, name: str = ""
) -> ParsedFramework:
    """The framework a table holds, from its rows as (line number, cells); raises
    FrameworkProblems naming every problem."""
    problems: list[RowError] = []
    levels: list[str] = []
    evidence: list[str] = []
    domains: list[ParsedDomain] = []
    headings: list[str] = []  # single-cell rows not yet given to a domain
    title = name
    domain_column = False
    last: ParsedIndicator | None = None
    # The line where each indicator's descriptor got its last piece, for a missing one's report.

    def problem(line: int, reason: str, column: int | None = None) -> None:
        problems.append(
            RowError(source, line, reason, _column(column) if column is not None else "")
        )

    def start_domain(line: int, named: str | None = None) -> ParsedDomain | None:
        nonlocal title
        if named is not None:
            if not domains or domains[-1].name != named:
                domains.append(ParsedDomain(named))
            return domains[-1]
        if headings:
            if not title and not domains and len(headings) > 1:
                title = headings[0]
            domains.append(ParsedDomain(headings[-1]))
            headings.clear()
        if not domains:
            # A table with no heading above it: one domain, named plainly.
            domains.append(ParsedDomain("Indicators"))
        return domains[-1]

    for line, raw in rows:
        cells = [clean_cell(c) for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if all(_SEPARATOR.match(c) or not c for c in cells):
            continue
        if _is_header(cells):
            domain_column = cells[0].casefold() == "domain"
            named = cells[2:] if domain_column else cells[1:]
            if not named or any(not n for n in named):
                problem(line, "The header row must name every level, lowest first.")
                continue
            if len(named) < 2 or len(named) > MAX_LEVELS:
                problem(
                    line,
                    f"A framework has 2 to {MAX_LEVELS} levels; this header names {len(named)}.",
                )
                continue
            if len({n.casefold() for n in named}) != len(named):
                problem(line, "Two levels have the same name; each level needs its own.")
                continue
            if any(len(n) > MAX_LEVEL_NAME for n in named):
                problem(line, f"A level's name may be at most {MAX_LEVEL_NAME} characters.")
                continue
            if levels and named != levels:
                problem(
                    line,
                    f"This table's levels ({', '.join(named)}) differ from the first table's "
                    f"({', '.join(levels)}); every table of a framework has the same levels.",
                )
                continue
            levels = named
            if domain_column:
                if headings and not title and not domains:
                    title = headings[0]
                headings.clear()
            elif headings or not domains:
                start_domain(line)
                last = None
            # else: the same header again at a page break; a continuation row may follow it
            continue
        if cells[0].casefold() in {"evidence expected", "evidence"} and levels:
            evidence = (cells[1 + domain_column :] + [""] * len(levels))[: len(levels)]
            continue
        filled = [i for i, c in enumerate(cells) if c]
        if filled == [0] and not domain_column:
            if len(cells[0]) > MAX_NAME:
                problem(line, f"A domain's heading may be at most {MAX_NAME} characters.", 0)
                continue
            headings.append(cells[0])
            last = None
            continue
        if filled == [0] and domain_column and not levels:
            headings.append(cells[0])  # a title above the table
            continue
        if not levels:
            problem(
                line,
                "A row of descriptors comes before any header row naming the levels "
                "(for example: Indicator, Developing, Proficient, Exemplary).",
            )
            continue
        offset = 2 if domain_column else 1
        if len(cells) > offset + len(levels):
            problem(
                line,
                f"This row has {len(cells)} cells; the header names {len(levels)} levels, so at "
                f"most {offset + len(levels)}.",
                offset + len(levels),
            )
            continue
        if len(cells) < offset:
            problem(
                line,
                "This row has one cell; below a Domain, Indicator header each row names its "
                "domain, its indicator and a descriptor per level.",
                0,
            )
            continue
        descriptors = (cells[offset:] + [""] * len(levels))[: len(levels)]
        indicator_name = cells[offset - 1]
        if not indicator_name:
            if domain_column and cells[0] and (not domains or cells[0] != domains[-1].name):
                problem(line, "This row names a domain but no indicator.", 1)
                continue
            # A continuation: each filled cell goes on the end of the indicator above's.
            if last is None:
                problem(
                    line,
                    "A row with no indicator name continues nothing: no indicator is above it.",
                    0,
                )
                continue
            for i, text in enumerate(descriptors):
                if text:
                    last.descriptors[i] = f"{last.descriptors[i]} {text}".strip()
            continue
        if len(indicator_name) > MAX_NAME:
            problem(line, f"An indicator's name may be at most {MAX_NAME} characters.", offset - 1)
            continue
        if domain_column and not cells[0]:
            if not domains:
                problem(line, "The first indicator row must name its domain.", 0)
                continue
            cells[0] = domains[-1].name  # a domain written once, or merged cells: carried down
        if domain_column and len(cells[0]) > MAX_NAME:
            problem(line, f"A domain's name may be at most {MAX_NAME} characters.", 0)
            continue
        domain = start_domain(line, cells[0] if domain_column else None)
        if domain is None:
            continue
        if any(i.name.casefold() == indicator_name.casefold() for i in domain.indicators):
            problem(line, f"“{indicator_name}” is in {domain.name} twice.", offset - 1)
            continue
        last = ParsedIndicator(indicator_name, descriptors, line)
        domain.indicators.append(last)

    if headings and not domains:
        title = title or headings[0]
    elif headings:
        problems.append(RowError(source, None, f"The domain “{headings[-1]}” has no indicators."))
    for domain in domains:
        if not domain.indicators:
            problems.append(
                RowError(source, None, f"The domain “{domain.name}” has no indicators.")
            )
        for indicator in domain.indicators:
            for i, text in enumerate(indicator.descriptors):
                if not text:
                    problem(
                        indicator.line,
                        f"“{indicator.name}” has no descriptor for {levels[i]}.",
                        i + (2 if domain_column else 1),
                    )
    if not domains and not problems:
        problems.append(
            RowError(
                source,
                None,
                "No indicators were found: the table needs a header row and indicator rows.",
            )
        )
    if problems:
        raise FrameworkProblems(
            sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column))
        )
    return ParsedFramework(
        name=(title or intake.display_name(source).rsplit(".", 1)[0])[:MAX_NAME],
        levels=levels,
        domains=domains,
        evidence=evidence,
    )


def rows_of_text(text: str) -> list[tuple[int, list[str]]]:
    """Rows of pasted or delimited text: tab-separated when any line holds a tab (text copied
    from a PDF or a spreadsheet), else comma-separated."""
    text = plaintext.clean(text)
    delimiter = "\t" if "\t" in text else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    for cells in reader:
        rows.append((reader.line_num, cells))
    return rows


def rows_of_xlsx(data: bytes, *, name: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    intake.check_xlsx(data, name=name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise InputRefused(
            f"{intake.display_name(name)} could not be read as a workbook."
        ) from None
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # read every row, whatever size the file declares
    rows = [
        (number, ["" if v is None else str(v) for v in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    book.close()
    return rows


def parse_file(data: bytes, *, name: str, title: str = "") -> ParsedFramework:
    """A framework from an uploaded or named file (.xlsx, or text: .tsv, .csv, .txt)."""
    shown = intake.display_name(name)
    intake.check_size(len(data), name=shown)
    if shown.lower().endswith(".xlsx"):
        return parse_rows(rows_of_xlsx(data, name=shown), source=shown, name=title)
    text = intake.decode_text(data, name=shown)
    # A .csv file is comma-separated even if a descriptor holds a tab.
    if shown.lower().endswith(".csv"):
        reader = csv.reader(io.StringIO(plaintext.clean(text)))
        rows = [(reader.line_num, cells) for cells in reader]
    else:
        rows = rows_of_text(text)
    return parse_rows(rows, source=shown, name=title)


def parse_text(text: str, *, title: str = "") -> ParsedFramework:
    """A framework from text pasted into a page."""
    return parse_rows(rows_of_text(text), source="the pasted text", name=title)
