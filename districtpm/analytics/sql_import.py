"""Importing a CSV file through its mapping in DuckDB SQL, at the speed of DuckDB itself.

`importer.import_file` hands every CSV import here first. The mapping is compiled into one SQL
query per output entry (a `rows` entry, a `melt` stub, or the output itself) that DuckDB runs
over the file with its own reader (`read_csv`, every column as text, streamed), applying the
same rules as the Python path cell by cell: constants, value maps, suppressed markers, period
parsers, type conversion, scale, grade normalisation, code lengths and code lists, required
columns, `filter` and `skip_if_empty`. The typed rows of each table are staged in a temporary
table with a flag on every bad row; once no row is bad and no key repeats, they replace the rows
with the same keys in the store, with the `_imports` log row, in one transaction.

The SQL path only decides whether a file is entirely good. Its checks are at least as strict as
the Python path's, and whenever it cannot vouch for a file it raises `Fallback` and the Python
path imports it instead, giving the exact report of every bad row (file, line, column, reason)
or the exact refusal. That happens for:

- any bad row or repeated key, and more rows than the limit;
- bytes the checks here do not vouch for: text that is not UTF-8 (or UTF-16/32, which only the
  Python path decodes), more than one byte-order mark, NUL or other control characters (the
  Python path reports each as a row error), line endings that are not all the same;
- rows DuckDB would read differently from Python's csv module: quotes other than whole quoted
  fields on one line, a row with fewer values than the header or a non-empty value beyond it
  (DuckDB refuses those, and its refusal is a fallback), a file with a single column;
- mapping features not compiled here: a period parser on a column that is not text, a value
  map whose values carry spaces at their ends, a whole-number column scaled by a fraction,
  whole numbers beyond 2**53, dates outside 1678-2261 or not written like 2025-09-01.

Good files give exactly the rows the Python path stores. `paths_taken` counts which path each
import took, so tests can tell.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import hashlib
import io
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
from django.conf import settings

# importer imports this module too; each uses the other's names only when called.
from districtpm.analytics import importer, spark_store, store
from districtpm.analytics.schema import DUCKDB_TYPES, GRADES, TABLES, Column, Table
from districtpm.core import intake

if TYPE_CHECKING:
    from districtpm.analytics.importer import ImportResult, _CellRules

log = logging.getLogger(__name__)

# One step of a cell's conversion: SQL for the step's value, given the column of the last one.
Step = Callable[[str], str]

# How many imports each path finished: "sql", or "python" when the SQL path fell back.
paths_taken: Counter[str] = Counter()

# DuckDB's memory for one import (the rest of the process stays well under 1 GB beside it);
# DISTRICTPM_IMPORT_MEMORY_MB overrides it. Staged rows beyond it spill to the store's temp
# folder.
MEMORY_MB = 400

# Bytes that are control characters in UTF-8 text (tab, line feed and carriage return are not):
# the Python path reports each as a row error, so a file holding one takes that path.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
# The characters str.strip() removes (str.isspace()) that a field can hold once control
# characters are refused and no quoted field spans lines; the test suite checks the list.
WHITESPACE = (
    "\t \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
# A line of whole fields, each either unquoted (no quote, no comma) or quoted with its quotes
# doubled: DuckDB and Python's csv module read such a line the same way.
_PLAIN_LINE = r'(?:[^",]*|"(?:[^"]|"")*")(?:,(?:[^",]*|"(?:[^"]|"")*"))*'
# What float() reads among strings of digits, signs, points and exponents.
_FLOAT = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_WHOLE = r"[+-]?[0-9]+([.]0*)?"
# Whole numbers the SQL path takes: pandas, which the Python path stores through, holds a
# column of whole numbers with an empty cell as float64, exact only up to 2**53.
_EXACT_WHOLE = 2**53
_SCHOOL_YEAR = r"^([0-9]{4}) *[-/–] *([0-9]{2}|[0-9]{4})$"
# pandas.Timestamp, which the Python path reads dates with, covers 1677-09-22 to 2262-04-11 at
# its nanosecond resolution (pandas 2; pandas 3 reads a wider range).
_DATES = ("1678-01-01", "2261-12-31")


class Fallback(Exception):
    """The SQL path cannot vouch for this import; the Python path must run it."""


def enabled() -> bool:
    """Whether CSV imports try the SQL path (DISTRICTPM_IMPORT_SQL = False turns it off)."""
    return bool(getattr(settings, "DISTRICTPM_IMPORT_SQL", True))


# ------------------------------------------------------------------ what the bytes say


@dataclass(frozen=True)
class FileFacts:
    """What the bytes of a CSV say, each found with one pass of a C-speed bytes operation.

    The compiled SQL does only the work these facts call for: no trimming when no field can
    start or end with white space, no comma removal in numbers when no field is quoted, and
    so on.
    """

    headers: list[str]
    longest_line: int  # in bytes, so no field is longer
    ascii: bool
    spaces: bool  # a space somewhere, so a field may start or end with one
    tabs: bool
    quotes: bool  # a quoted field somewhere, so a field may hold a comma
    percent: bool


def file_facts(data: bytes, name: str) -> FileFacts:
    """The facts of a CSV the SQL path can read exactly as the Python path does; else Fallback.

    Refusals (size, encoding, headers) are left to the Python path, which words them. The
    bytes are never copied: a byte-order mark is skipped by its offset.
    """
    start = 0
    if data.startswith(codecs.BOM_UTF8):
        start = len(codecs.BOM_UTF8)
        if data.startswith(codecs.BOM_UTF8, start):
            raise Fallback("more than one byte-order mark")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Fallback("UTF-16 or UTF-32 text")
    if len(data) == start:
        raise Fallback("an empty file")
    if data.translate(None, _OTHER_BYTES):
        raise Fallback("NUL or control characters")
    ascii_only = _is_ascii(data, start)
    if not ascii_only:
        _check_utf8(data)
    _check_line_endings(data)
    return FileFacts(
        headers=_headers(data, start, name),
        longest_line=_longest_line(data),
        ascii=ascii_only,
        spaces=b" " in data,
        tabs=b"\t" in data,
        quotes=b'"' in data,
        percent=b"%" in data,
    )


def _is_ascii(data: bytes, start: int, step: int = 1 << 23) -> bool:
    """Whether the bytes from `start` on are ASCII, a few megabytes at a time."""
    view = memoryview(data)
    return all(bytes(view[i : i + step]).isascii() for i in range(start, len(view), step))


def _check_utf8(body: bytes) -> None:
    """Fallback unless the bytes are UTF-8, decoded a megabyte at a time to bound memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(body)
    step = 1 << 20
    try:
        for start in range(0, len(view), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Fallback("not UTF-8") from None


def _check_line_endings(body: bytes) -> None:
    """Fallback unless every line ends the same way: DuckDB refuses a mix, Python reads it."""
    if b"\r" not in body:
        return
    if b"\n" not in body:
        return  # carriage returns alone
    pairs = body.count(b"\r\n")
    if pairs != body.count(b"\r") or pairs != body.count(b"\n"):
        raise Fallback("mixed line endings")


def _longest_line(body: bytes, step: int = 1 << 23) -> int:
    """The length in bytes of the longest line, found with numpy a few megabytes at a time;
    when it is within the field limit, no field can be over it and SQL need not measure them."""
    end = 13 if b"\n" not in body else 10  # carriage returns alone end the lines
    data = np.frombuffer(body, dtype=np.uint8)
    longest, last = 0, -1
    for start in range(0, len(data), step):
        ends = np.flatnonzero(data[start : start + step] == end) + start
        if len(ends):
            gaps = np.diff(ends, prepend=last)
            longest = max(longest, int(gaps.max()) - 1)
            last = int(ends[-1])
    return max(longest, len(data) - last - 1)


def _headers(data: bytes, start: int, name: str) -> list[str]:
    """The header row, named and checked as the Python path names and checks it."""
    ends = [i for i in (data.find(b"\n", start), data.find(b"\r", start)) if i >= 0]
    text = data[start : min(ends) if ends else len(data)].decode("utf-8")
    raw = next(csv.reader(io.StringIO(text)), []) if '"' in text else text.split(",")
    if len(raw) < 2:
        raise Fallback("a header of fewer than two columns")
    try:
        return intake.check_named_headers(raw, name=name)
    except intake.InputRefused:
        raise Fallback("the header is refused") from None


# ------------------------------------------------------------------ SQL text


def _lit(value: str) -> str:
    """A SQL string literal."""
    if "\x00" in value:
        raise Fallback("a NUL character in the mapping")
    return "'" + value.replace("'", "''") + "'"


def _in(expr: str, values: list[str] | tuple[str, ...] | set[str]) -> str:
    """Whether `expr` is one of the values (NULL for NULL); FALSE for no values. DuckDB turns a
    long `IN (…)` list into a join, so a list literal it is."""
    if not values:
        return "FALSE"
    return f"list_contains([{', '.join(_lit(v) for v in sorted(values))}], {expr})"


def _sql_type(column: Column) -> str:
    return DUCKDB_TYPES[column.type]


def _null(column: Column) -> str:
    return f"CAST(NULL AS {_sql_type(column)})"


def _literal(column: Column, value: Any) -> str:
    """A typed value the Python rules gave, as SQL."""
    if value is None:
        return _null(column)
    kind = column.type
    if kind == "string" and isinstance(value, str):
        return _lit(value)
    if kind == "int64" and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > _EXACT_WHOLE:
            raise Fallback("a whole number beyond 2**53")
        return f"CAST({value} AS BIGINT)"
    if kind == "float64" and isinstance(value, float) and intake.finite(value):
        return f"CAST('{value!r}' AS DOUBLE)"
    if kind == "boolean" and isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if kind == "date" and hasattr(value, "isoformat"):
        return f"DATE '{value.isoformat()}'"
    raise Fallback(f"a {kind} value the SQL path does not write ({value!r})")


def _select(columns: list[tuple[str, str]], source: str) -> str:
    """SELECT expr AS name, … FROM source."""
    items = ", ".join(expr if expr == name else f"{expr} AS {name}" for name, expr in columns)
    return f"SELECT {items} FROM {source}"


# ------------------------------------------------------------------ cell rules as SQL


class _CellSql:
    """The Python path's cell rules (importer._typed_row and importer._convert) as SQL.

    Each step returns an expression that is NULL where the Python path would raise, so a cell
    is good when it is missing or its typed value is not NULL. Every expression takes text that
    has been stripped as str.strip() strips.
    """

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts

    def strip(self, expr: str) -> str:
        """str.strip(), done only for the values that need it (DuckDB's trim is costly)."""
        f = self.facts
        if f.ascii and not f.spaces and not f.tabs:
            return expr
        edges = [f"prefix({expr}, ' ')", f"suffix({expr}, ' ')"]
        if f.tabs:
            edges += [f"prefix({expr}, chr(9))", f"suffix({expr}, chr(9))"]
        cut = f"trim({expr}, ' ' || chr(9))" if f.tabs else f"trim({expr})"
        ascii_strip = f"CASE WHEN {' OR '.join(edges)} THEN {cut} ELSE {expr} END"
        if f.ascii:
            return ascii_strip
        edge = f"^{_WHITESPACE_CLASS}|{_WHITESPACE_CLASS}$"
        return (
            f"CASE WHEN strlen({expr}) = length({expr}) THEN {ascii_strip} "
            f"WHEN regexp_matches({expr}, {_lit(edge)}) THEN trim({expr}, {_lit(WHITESPACE)}) "
            f"ELSE {expr} END"
        )

    def without_commas(self, commas: bool) -> list[Step]:
        """text.replace(",", "").strip(), for number text that may hold commas."""
        if not commas:
            return []
        return [lambda s: f"CASE WHEN contains({s}, ',') THEN replace({s}, ',', '') ELSE {s} END"]

    def without_percent(self, percent: bool) -> list[Step]:
        """text.rstrip("%").strip(), for a float64 cell that may end with percent signs."""
        if not percent:
            return []
        return [lambda s: f"CASE WHEN suffix({s}, '%') THEN rtrim({s}, '%') ELSE {s} END"]

    @staticmethod
    def whole(expr: str) -> str:
        """importer._whole of number text without commas: a BIGINT, NULL if not a whole number."""
        canonical = f"CAST(TRY_CAST({expr} AS BIGINT) AS VARCHAR) = {expr}"
        written = f"strlen({expr}) <= 40 AND regexp_full_match({expr}, {_lit(_WHOLE)})"
        return (
            f"CASE WHEN {canonical} THEN TRY_CAST({expr} AS BIGINT) "
            f"WHEN {written} THEN TRY_CAST(split_part({expr}, '.', 1) AS BIGINT) END"
        )

    @staticmethod
    def number(expr: str) -> str:
        """importer._number of text without % and commas: a DOUBLE, NULL if float() refuses it.

        A whole number as DuckDB writes it needs no pattern; anything else must be a plain
        decimal, which DuckDB and float() both round correctly. Finiteness is checked later.
        """
        canonical = f"CAST(TRY_CAST({expr} AS BIGINT) AS VARCHAR) = {expr}"
        written = f"regexp_full_match({expr}, {_lit(_FLOAT)})"
        return (
            f"CASE WHEN strlen({expr}) <= 40 AND ({canonical} OR {written}) "
            f"THEN TRY_CAST({expr} AS DOUBLE) END"
        )

    @staticmethod
    def date(expr: str) -> str:
        """importer._timestamp(...).date() for dates written like 2025-09-01; NULL otherwise."""
        day = f"TRY_CAST({expr} AS DATE)"
        return (
            f"CASE WHEN {expr} LIKE '____-__-__' AND CAST({day} AS VARCHAR) = {expr} "
            f"AND {day} BETWEEN DATE '{_DATES[0]}' AND DATE '{_DATES[1]}' THEN {day} END"
        )

    def lower(self, expr: str) -> str:
        """The lower-case text importer._convert compares with its yes and no words."""
        if self.facts.ascii:
            return f"lower({expr})"
        return f"CASE WHEN strlen({expr}) = length({expr}) THEN lower({expr}) END"

    @staticmethod
    def boolean(expr: str) -> str:
        yes, no = _in(expr, importer.BOOL_TRUE), _in(expr, importer.BOOL_FALSE)
        return f"CASE WHEN {yes} THEN TRUE WHEN {no} THEN FALSE END"

    def grade(self, expr: str) -> str:
        """importer._grade as a lookup of the upper-case text: every form it accepts (with at
        most two leading zeros), each mapped by _grade itself."""
        forms = {"KG", "KF", "00", "0", "PRE-K", "P", "ALL", "UNGRADED", *GRADES}
        forms |= {z + str(n) for n in range(1, 13) for z in ("0", "00")}
        lookup = {}
        for form in sorted(forms):
            with contextlib.suppress(ValueError):
                lookup[form] = importer._grade(form)
        upper = f"upper({expr})"
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in lookup.items())
        found = f"CASE {upper} {cases} END"
        if self.facts.ascii:
            return found
        return f"CASE WHEN strlen({expr}) = length({expr}) THEN {found} END"

    def school_year(self, expr: str) -> str:
        """importer._school_year_as_is: 2025-26 and 2025-2026 by substrings, other forms by a
        pattern (spaces only around the dash, where Python's allows any white space)."""
        short = f"{expr} GLOB '[1-9][0-9][0-9][0-9]-[0-9][0-9]'"
        long = f"{expr} GLOB '[1-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'"

        def part(at: int, size: int) -> str:
            return f"substring({expr}, {at}, {size})"

        def num(at: int, size: int) -> str:
            return f"CAST({part(at, size)} AS INTEGER)"

        # 2025-26: start // 100 * 100 + 26 = start + 1 exactly when 26 = 25 + 1.
        short_ok = f"{num(6, 2)} = {num(3, 2)} + 1"
        short_value = f"{part(1, 5)} || {part(1, 2)} || {part(6, 2)}"
        long_ok = f"{num(6, 4)} = {num(1, 4)} + 1"
        start = f"TRY_CAST(regexp_extract({expr}, {_lit(_SCHOOL_YEAR)}, 1) AS INTEGER)"
        end_text = f"regexp_extract({expr}, {_lit(_SCHOOL_YEAR)}, 2)"
        end = (
            f"CASE WHEN strlen({end_text}) = 4 THEN TRY_CAST({end_text} AS INTEGER) "
            f"ELSE {start} // 100 * 100 + TRY_CAST({end_text} AS INTEGER) END"
        )
        general = (
            f"CASE WHEN {end} = {start} + 1 "
            f"THEN CAST({start} AS VARCHAR) || '-' || CAST({end} AS VARCHAR) END"
        )
        return (
            f"CASE WHEN {short} THEN CASE WHEN {short_ok} THEN {short_value} END "
            f"WHEN {long} THEN CASE WHEN {long_ok} THEN {expr} END ELSE {general} END"
        )

    def period(self, how: str) -> list[Step]:
        """importer.PERIOD_PARSERS[how] of the text; NULL where the parser raises."""
        if how == "school_year":
            return [self.school_year]
        if how in ("year_end", "year_start"):
            first, second = ("{y} - 1", "{y}") if how == "year_end" else ("{y}", "{y} + 1")

            def years(y: str) -> str:
                return (
                    f"CASE WHEN abs({y}) <= {_EXACT_WHOLE} THEN CAST({first.format(y=y)} AS "
                    f"VARCHAR) || '-' || CAST({second.format(y=y)} AS VARCHAR) END"
                )

            commas = self.without_commas(self.facts.quotes)
            return [*self.cleaned(commas), self.whole, years]
        if how == "date":

            def school_year(d: str) -> str:
                start = f"(year({d}) - CASE WHEN month({d}) >= 7 THEN 0 ELSE 1 END)"
                return f"CAST({start} AS VARCHAR) || '-' || CAST({start} + 1 AS VARCHAR)"

            return [self.date, school_year]
        if how == "month":
            return [self.date, lambda d: f"strftime({d}, '%Y-%m')"]
        raise Fallback(f"the period parser {how!r}")

    def cleaned(self, steps: list[Step]) -> list[Step]:
        """Each step followed by str.strip(), as the Python path strips after each change."""
        return [step for each in steps for step in (each, self.strip)]


# ------------------------------------------------------------------ compiling a mapping


@dataclass
class _Cell:
    """One target column of one entry: read from a file column, or fixed for every row."""

    name: str
    column: Column
    position: int | None = None  # the file column it reads
    value: str = ""  # when fixed: the typed value as SQL
    suppressed: bool = False  # when fixed: the value was a suppressed marker
    missing: bool = False  # when fixed: the value was empty


@dataclass
class Plan:
    """A mapping compiled against one file's header."""

    headers: list[str]
    text_columns: set[int] = field(default_factory=set)  # read stripped, as cell text
    raw_columns: set[int] = field(default_factory=set)  # read as written, for filters
    entries: dict[str, list[str]] = field(default_factory=dict)  # table: entry SELECTs
    entry_count: int = 0


def _with_mapped_text(facts: FileFacts, mapping: dict[str, Any]) -> FileFacts:
    """The facts of the text the cells hold once value maps have replaced some of it."""
    mapped = [
        str(value)
        for out in mapping["outputs"]
        if isinstance(out.get("values", {}), dict)
        for value_map in out.get("values", {}).values()
        if isinstance(value_map, dict)
        for value in value_map.values()
    ]
    return dataclasses.replace(
        facts,
        ascii=facts.ascii and all(v.isascii() for v in mapped),
        quotes=facts.quotes or any("," in v for v in mapped),
        percent=facts.percent or any("%" in v for v in mapped),
    )


# The relation every entry SELECT reads: the file's rows as source_sql gives them.
SOURCE = "_sqlimport_src"


class _Compiler:
    """Compiles the outputs of a mapping into entry SELECTs over the source relation."""

    def __init__(self, mapping: dict[str, Any], facts: FileFacts) -> None:
        self.mapping = mapping
        self.facts = _with_mapped_text(facts, mapping)
        self.sql = _CellSql(self.facts)
        self.position = {h: i for i, h in enumerate(facts.headers)}
        self.markers = {str(m) for m in mapping.get("suppressed", importer.DEFAULT_MARKERS)}
        self.plan = Plan(facts.headers)

    def compile(self) -> Plan:
        missing = sorted(importer.needed_columns(self.mapping) - set(self.facts.headers))
        if missing:
            raise Fallback("the file lacks columns the mapping needs")
        field_cap = intake.limits().max_field_chars
        for out in self.mapping["outputs"]:
            table = TABLES[out["table"]]
            rules = importer._CellRules(
                types={c.name: c for c in table.columns},
                value_maps=out.get("values", {}),
                periods=out.get("periods", {}),
                markers=self.markers,
                field_cap=field_cap,
            )
            for fixed, cols, factors in importer.output_entries(out, self.facts.headers):
                sql = self._entry(out, table, rules, fixed, cols, factors)
                self.plan.entries.setdefault(table.name, []).append(sql)
                self.plan.entry_count += 1
        return self.plan

    # -- cells

    def _cells(
        self, out: dict, rules: _CellRules, fixed: dict, cols: dict, factors: dict
    ) -> dict[str, _Cell]:
        """The entry's target columns, merged in the Python path's order (importer._output_rows)."""
        target: dict[str, tuple[str, Any]] = {}
        for t, v in out.get("constants", {}).items():
            target[t] = ("(constant)", v)
        for t, s in out.get("columns", {}).items():
            target[t] = ("file", s)
        for t, v in fixed.items():
            target[t] = ("(pattern)", v)
        for t, s in cols.items():
            target[t] = ("file", s)
        cells = {}
        for name, (kind, source) in target.items():
            column = rules.types[name]
            if kind == "file":
                if not isinstance(source, str) or source not in self.position:
                    raise Fallback(f"the source column {source!r}")
                cells[name] = _Cell(name, column, position=self.position[source])
                self.plan.text_columns.add(self.position[source])
            else:
                cells[name] = self._fixed(column, kind, source, rules, factors)
        return cells

    def _fixed(
        self, column: Column, source: str, raw: Any, rules: _CellRules, scale: dict
    ) -> _Cell:
        """A value the same for every row (a constant, a melt key, a `set`), typed by the Python
        rules themselves; Fallback when they refuse it, so the Python path reports each row."""
        if importer._is_missing(raw):
            return _Cell(column.name, column, value=_null(column), missing=True)
        text = str(raw)
        if source != "(constant)" and intake.check_field(text, name="", line=0, column=""):
            raise Fallback("a value set from a header that check_field refuses")
        text = text.strip()
        if column.name in rules.value_maps and text in rules.value_maps[column.name]:
            text = str(rules.value_maps[column.name][text])
        if text in rules.markers:
            return _Cell(column.name, column, value=_null(column), suppressed=True)
        try:
            value = rules.value(column, text, scale)
        except (ValueError, TypeError, OverflowError):
            raise Fallback(f"the fixed value {text!r} of {column.name}") from None
        return _Cell(column.name, column, value=_literal(column, value))

    def _value_map(self, rules: _CellRules, name: str) -> dict[str, str]:
        """The output's value map for a column: text keys (others never match) to text."""
        if name not in rules.value_maps:
            return {}
        value_map = rules.value_maps[name]
        if not isinstance(value_map, dict):
            raise Fallback(f"values.{name} is not a map")
        mapped = {}
        for key, value in value_map.items():
            if isinstance(key, str):
                text = str(value)
                if text != text.strip():
                    raise Fallback(f"values.{name} maps to text with spaces at its ends")
                mapped[key] = text
        return mapped

    # -- one entry

    def _entry(
        self, out: dict, table: Table, rules: _CellRules, fixed: dict, cols: dict, factors: dict
    ) -> str:
        """The SELECT of one entry: a row per source row, with its typed columns, `_keep`
        (the filter passes and skip_if_empty does not skip) and `_bad`.

        Each cell read from the file goes through layers of subqueries, each reading the
        columns of the one before so that no expression repeats another's work: its mapped
        text; whether it is empty (`e_i`); one layer per step of its conversion (`s_i`);
        whether the typed value is good (`g_i`); whether it is a suppressed marker (`k_i`).

        The Python path tests for markers before converting. Here that test comes first only
        for a cell whose conversion would accept a marker (free text, or a marker like -1 in a
        number column); for any other cell a marker fails the conversion, so it is enough, and
        much cheaper, to test the cells whose conversion failed.
        """
        cells = self._cells(out, rules, fixed, cols, factors)
        read = [c for c in cells.values() if c.position is not None]
        steps = [self._steps(rules, c, factors) for c in read]
        first = [self._markers_convert(rules, c, factors) for c in read]
        carried = [("_keep", "_keep"), ("_long", "_long")]
        layer = [(f"s_{i}", self._mapped(rules, c)) for i, c in enumerate(read)]
        layer += [("_keep", self._keep(out, cells)), ("_long", "_long")]
        sql = _select(layer, SOURCE)
        layer = list(carried)
        for i, early in enumerate(first):
            marker = _in(f"s_{i}", self.markers)
            if early:
                layer += [(f"k_{i}", f"coalesce({marker}, FALSE)"), (f"s_{i}", f"s_{i}")]
            else:
                layer += [(f"m_{i}", f"s_{i}"), (f"s_{i}", f"s_{i}")]
        sql = _select(layer, f"({sql})")
        carried += [(f"k_{i}" if early else f"m_{i}",) * 2 for i, early in enumerate(first)]
        layer = list(carried)
        for i, early in enumerate(first):
            if early:
                layer += [
                    (f"e_{i}", f"s_{i} IS NULL OR k_{i}"),
                    (f"s_{i}", f"CASE WHEN k_{i} THEN NULL ELSE s_{i} END"),
                ]
            else:
                layer += [(f"e_{i}", f"s_{i} IS NULL"), (f"s_{i}", f"s_{i}")]
        sql = _select(layer, f"({sql})")
        carried += [(f"e_{i}", f"e_{i}") for i in range(len(read))]
        for depth in range(max(map(len, steps), default=0)):
            layer = list(carried)
            for i, cell_steps in enumerate(steps):
                step = cell_steps[depth] if depth < len(cell_steps) else None
                layer.append((f"s_{i}", step(f"s_{i}") if step else f"s_{i}"))
            sql = _select(layer, f"({sql})")
        layer = list(carried)
        for i, cell in enumerate(read):
            valid = self._valid(cell.column, f"s_{i}")
            layer += [(f"g_{i}", f"coalesce({valid}, FALSE)"), (f"s_{i}", f"s_{i}")]
        sql = _select(layer, f"({sql})")
        layer = [("_keep", "_keep"), ("_long", "_long")]
        for i, early in enumerate(first):
            if early:
                layer += [(f"k_{i}", f"k_{i}"), (f"s_{i}", f"s_{i}")]
            else:
                late = f"NOT e_{i} AND NOT g_{i} AND coalesce({_in(f'm_{i}', self.markers)}, FALSE)"
                layer += [(f"k_{i}", late), (f"s_{i}", f"CASE WHEN g_{i} THEN s_{i} END")]
            layer += [(f"e_{i}", f"e_{i}"), (f"g_{i}", f"g_{i}")]
        sql = _select(layer, f"({sql})")
        return self._final(table, cells, read, sql)

    def _markers_convert(self, rules: _CellRules, cell: _Cell, factors: dict) -> bool:
        """Whether some marker would pass this cell's conversion as a value."""
        for marker in self.markers:
            try:
                rules.value(cell.column, marker, factors)
            except (ValueError, TypeError, OverflowError):
                continue
            except Exception:
                return True
            return True
        return False

    def _mapped(self, rules: _CellRules, cell: _Cell) -> str:
        """The cell's text after the output's value map (importer._typed_row)."""
        text = f"t_{cell.position}"
        value_map = self._value_map(rules, cell.name)
        if not value_map:
            return text
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in value_map.items())
        return f"CASE {text} {cases} ELSE {text} END"

    def _steps(self, rules: _CellRules, cell: _Cell, factors: dict) -> list[Step]:
        """The steps that turn a cell's text into its typed value (importer._CellRules.value
        and importer._convert), the last one NULL where the Python path would raise."""
        sql = self.sql
        kind = cell.column.type
        factor = factors.get(cell.name) if cell.name in factors else None
        if cell.name in rules.periods and kind != "string":
            raise Fallback("a period parser on a column that is not text")
        if kind == "string":
            steps = sql.period(rules.periods[cell.name]) if cell.name in rules.periods else []
            if cell.name == "grade":
                steps.append(sql.grade)
            elif cell.name in importer.CODE_COLUMNS:
                limit = importer.CODE_COLUMNS[cell.name]
                steps.append(lambda s: f"CASE WHEN length({s}) <= {limit} THEN {s} END")
            return steps
        if kind == "int64":
            steps = [*sql.cleaned(sql.without_commas(self.facts.quotes)), sql.whole]
            if factor is not None:
                if isinstance(factor, bool) or not isinstance(factor, int):
                    raise Fallback("a whole-number column scaled by a fraction")
                if abs(factor) > _EXACT_WHOLE:
                    raise Fallback("a scale factor beyond 2**53")
                steps.append(lambda s: f"CAST({s} AS HUGEINT) * {factor}")
            return steps
        if kind == "float64":
            steps = sql.cleaned(sql.without_percent(self.facts.percent))
            steps += [*sql.cleaned(sql.without_commas(self.facts.quotes)), sql.number]
            if factor is not None:
                steps.append(lambda s: f"{s} * CAST('{float(factor)!r}' AS DOUBLE)")
            return steps
        if kind == "boolean":
            return [sql.lower, sql.boolean]
        if kind == "date":
            return [sql.date]
        raise Fallback(f"a column of type {kind}")

    def _keep(self, out: dict, cells: dict[str, _Cell]) -> str:
        """The filter passes and skip_if_empty does not skip (importer._output_rows and
        importer._convert_output)."""
        terms = []
        for key, value in out.get("filter", {}).items():
            if not isinstance(key, str) or key not in self.position:
                raise Fallback(f"the filter column {key!r}")
            position = self.position[key]
            self.plan.raw_columns.add(position)
            wanted = str(value)
            if wanted in ("None", "nan"):
                # The Python path compares str(cell), and an empty cell is None or NaN as
                # pandas decides for the whole column.
                raise Fallback(f"a filter on {wanted!r}")
            terms.append(f"coalesce(r_{position} = {_lit(wanted)}, FALSE)")
        skip = out.get("skip_if_empty", [])
        if skip:
            empty = []
            for name in skip:
                cell = cells.get(name)
                if cell is None or (cell.position is None and cell.missing):
                    continue  # always empty
                if cell.position is None:
                    empty = ["FALSE"]
                    break
                empty.append(f"t_{cell.position} IS NULL")
            terms.append(f"NOT ({' AND '.join(empty) or 'TRUE'})")
        return " AND ".join(terms) or "TRUE"

    def _final(self, table: Table, cells: dict[str, _Cell], read: list[_Cell], sql: str) -> str:
        """The entry's rows as the table's columns, with `_keep` and `_bad`."""
        index = {c.name: i for i, c in enumerate(read)}
        values: dict[str, str] = {}
        for column in table.columns:
            cell = cells.get(column.name)
            if cell is None:
                values[column.name] = _null(column)
            elif cell.position is None:
                values[column.name] = cell.value
            else:
                values[column.name] = f"s_{index[column.name]}"
        good = ["NOT _long"]
        good += [f"(e_{i} OR g_{i} OR k_{i})" for i in range(len(read))]
        if table.name == "school_values":
            flags = [f"k_{i}" for i in range(len(read))]
            flags += ["TRUE" for c in cells.values() if c.position is None and c.suppressed]
            suppressed = f"({' OR '.join(flags) or 'FALSE'})"
            v, n, d = values["value"], values["numerator"], values["denominator"]
            values["value"] = (
                f"CASE WHEN {v} IS NULL AND NOT {suppressed} AND {d} <> 0 "
                f"THEN coalesce({n}, 0) / {d} ELSE {v} END"
            )
            values["suppressed"] = suppressed
            good.append(f"coalesce(isfinite({values['value']}), TRUE)")
        for column in table.columns:
            if column.required and not (
                table.name == "school_values" and column.name == "suppressed"
            ):
                good.append(f"{values[column.name]} IS NOT NULL")
        layer = [(c.name, f"TRY_CAST({values[c.name]} AS {_sql_type(c)})") for c in table.columns]
        layer += [
            ("_keep", "_keep"),
            ("_bad", f"_keep AND NOT coalesce({' AND '.join(good)}, FALSE)"),
        ]
        return _select(layer, f"({sql})")

    @staticmethod
    def _valid(column: Column, v: str) -> str:
        """A converted value is good: not NULL, and within what the Python path accepts."""
        terms = [f"{v} IS NOT NULL"]
        if column.type == "float64":
            terms.append(f"isfinite({v})")
        if column.type == "int64":
            terms.append(f"abs({v}) <= {_EXACT_WHOLE}")
        if column.values:
            terms.append(_in(v, column.values))
        return " AND ".join(terms)


def compile_mapping(mapping: dict[str, Any], facts: FileFacts) -> Plan:
    """The mapping as SQL over this file; Fallback for anything not compiled."""
    try:
        return _Compiler(mapping, facts).compile()
    except Fallback:
        raise
    except Exception as exc:  # a mapping the Python path must meet (and word) itself
        raise Fallback(f"the mapping cannot be compiled ({type(exc).__name__}: {exc})") from None


# ------------------------------------------------------------------ running it


def _path_literal(path: Path) -> str:
    return _lit(str(path))


def _reader(path: Path, headers: list[str]) -> str:
    """DuckDB's reader of the file, strict, every column as text named c0, c1, …"""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers)))
    return (
        f"read_csv({_path_literal(path)}, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"columns = {{{columns}}})"
    )


def source_sql(reader: str, plan: Plan, facts: FileFacts, field_cap: int) -> str:
    """The rows of `reader` (columns c0, c1, … as text): stripped text `t_i` of the columns
    read, raw `r_i` of filter columns, and `_long`, a value over the field limit (Python counts
    characters, strlen bytes, so this is the stricter test)."""
    cells = _CellSql(facts)
    layer = [(f"t_{i}", f"NULLIF({cells.strip(f'c{i}')}, '')") for i in sorted(plan.text_columns)]
    layer += [(f"r_{i}", f"c{i}") for i in sorted(plan.raw_columns)]
    longs = [f"coalesce(strlen(c{i}) > {field_cap}, FALSE)" for i in sorted(plan.text_columns)]
    if facts.longest_line <= field_cap:
        longs = []
    layer.append(("_long", " OR ".join(longs) or "FALSE"))
    return _select(layer, reader)


@contextlib.contextmanager
def _tuned(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB bounded in memory, free to reorder rows, for the import; as it was afterwards."""
    names = ("memory_limit", "preserve_insertion_order")
    before = {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names}
    memory = int(getattr(settings, "DISTRICTPM_IMPORT_MEMORY_MB", MEMORY_MB))
    con.execute(f"SET memory_limit = '{memory}MB'")
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        for name, value in before.items():
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET {name} = {_lit(str(value))}")


def _stage_name(table: str) -> str:
    return f"_sqlimport_{table}"


def _stage(
    con: duckdb.DuckDBPyConnection, path: Path, plan: Plan, facts: FileFacts, field_cap: int
) -> int:
    """Stage each table's typed rows in a temporary table; the number of source rows.

    With one entry in all, the entry reads the file through a view, in one streamed pass;
    with more, the columns they read are first copied into a temporary table, read once.
    """
    source = source_sql(_reader(path, plan.headers), plan, facts, field_cap)
    if plan.entry_count == 1:
        [(table, [entry])] = plan.entries.items()
        con.execute(f"CREATE OR REPLACE TEMP VIEW {SOURCE} AS {source}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_stage_name(table)} AS {entry}")
        return con.execute(f"SELECT count(*) FROM {_stage_name(table)}").fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SOURCE} AS {source}")
    for table, entries in plan.entries.items():
        # One statement per entry: a UNION ALL of a wide melt's many entries would hold
        # buffers for all of them at once.
        first, *rest = (f"SELECT * FROM ({e}) WHERE _keep" for e in entries)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_stage_name(table)} AS {first}")
        for entry in rest:
            con.execute(f"INSERT INTO {_stage_name(table)} {entry}")
    return con.execute(f"SELECT count(*) FROM {SOURCE}").fetchone()[0]


def _check_quotes(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Fallback unless every line with a quote is whole plain fields (see _PLAIN_LINE)."""
    # Each line whole, as one value: no quoting, and a delimiter no line holds (control
    # characters were refused before).
    lines = (
        f"read_csv({_path_literal(path)}, header = false, auto_detect = false, "
        "delim = '\x01', quote = '', escape = '', strict_mode = false, "
        "columns = {'line': 'VARCHAR'})"
    )
    odd = con.execute(
        f"SELECT count(*) FROM {lines} WHERE contains(line, '\"') "
        f"AND NOT regexp_full_match(line, {_lit(_PLAIN_LINE)})"
    ).fetchone()[0]
    if odd:
        raise Fallback("quotes that DuckDB and Python's csv module may read differently")


@dataclass
class _Staged:
    """A table's checked rows, waiting in their staging table: how many, and their periods."""

    rows: int
    years: set[str]


def _checked(con: duckdb.DuckDBPyConnection, table: str) -> _Staged:
    """The staged table's row count and periods, once no row is bad and no key repeats."""
    stage = _stage_name(table)
    kept, bad = con.execute(
        f"SELECT coalesce(count_if(_keep), 0), coalesce(count_if(_bad), 0) FROM {stage}"
    ).fetchone()
    if bad:
        raise Fallback(f"{bad} bad row(s)")
    keys = ", ".join(TABLES[table].key)
    repeated = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM {stage} WHERE _keep GROUP BY {keys} HAVING count(*) > 1)"
    ).fetchone()[0]
    if repeated:
        raise Fallback("repeated keys")
    columns = TABLES[table].column_names
    period = next((c for c in ("school_year", "period") if c in columns), None)
    years: set[str] = set()
    if period:
        found = con.execute(
            f"SELECT DISTINCT {period} FROM {stage} WHERE _keep AND {period} IS NOT NULL"
        ).fetchall()
        years = {row[0] for row in found}
    return _Staged(kept, years)


def _write(
    con: duckdb.DuckDBPyConnection, staged: dict[str, _Staged], result: ImportResult
) -> None:
    """Replace the staged rows in the store and log the import, in one transaction, exactly as
    importer._write_tables and store.replace_rows do."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table, done in staged.items():
            spec = TABLES[table]
            stage = _stage_name(table)
            keys = " AND ".join(f"t.{k} IS NOT DISTINCT FROM i.{k}" for k in spec.key)
            con.execute(f"DELETE FROM {table} t USING {stage} i WHERE i._keep AND {keys}")
            cols = ", ".join(spec.column_names)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} WHERE _keep")
            store.pause_point("store-write")
            con.execute(
                "INSERT INTO _imports "
                "(file_hash, file_name, table_name, rows, school_years, task_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    result.file_hash,
                    result.file,
                    table,
                    done.rows,
                    ",".join(sorted(done.years)),
                    store.current_task.get(),
                ],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _drop_stages(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Drop the staging tables and view now (closing the connection would too, later)."""
    drops = [f"DROP VIEW IF EXISTS temp.{SOURCE}"]
    drops += [f"DROP TABLE IF EXISTS temp.{n}" for n in [SOURCE, *map(_stage_name, plan.entries)]]
    for drop in drops:
        with contextlib.suppress(duckdb.Error):  # the view or the table: one of them is not
            con.execute(drop)


def import_csv(
    path: Path,
    mapping: dict[str, Any],
    *,
    name: str,
    store_path: Path | None,
    progress: Callable[[int, int], None],
) -> ImportResult:
    """Import a CSV through DuckDB; raise Fallback (nothing written) when the Python path must
    import it instead. The file's bytes are read, hashed and checked here, then let go before
    DuckDB reads the file itself."""
    seen = os.stat(path)
    data = path.read_bytes()
    result = importer.ImportResult(file=name, file_hash=hashlib.sha256(data).hexdigest())
    facts = file_facts(data, name)
    del data
    plan = compile_mapping(mapping, facts)
    if store_path is None and spark_store.enabled():
        return _import_for_spark(path, seen, plan, facts, mapping, result, progress)
    written = False
    try:
        with store.connect(store_path) as con, _tuned(con):
            try:
                _run(con, path, seen, plan, facts, mapping, result, progress)
                written = True
            finally:
                _drop_stages(con, plan)
    except duckdb.Error as exc:  # even opening the store, which a bad file never needs
        if not written:
            raise Fallback(f"DuckDB: {str(exc).splitlines()[0]}") from None
        # The rows are committed: the import is done, and must not be run again.
        log.warning("%s: imported, then DuckDB failed closing the store: %s", name, exc)
    return result


def _import_for_spark(path, seen, plan, facts, mapping, result, progress) -> ImportResult:
    """Check the file in a scratch DuckDB database beside the staged files (on disk, so memory
    stays bounded), stage each table's rows as Parquet, and have Spark load them
    (analytics/spark_store.py)."""
    folder = spark_store.new_stage()
    try:
        con = duckdb.connect(str(folder / "check.duckdb"))
        try:
            with _tuned(con):
                _run(
                    con, path, seen, plan, facts, mapping, result, progress, _write_to_spark(folder)
                )
        except duckdb.Error as exc:
            raise Fallback(f"DuckDB: {str(exc).splitlines()[0]}") from None
        finally:
            con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _write_to_spark(folder: Path) -> Callable:
    def write(con: duckdb.DuckDBPyConnection, staged: dict[str, _Staged], result) -> None:
        files, logs = {}, []
        for table, done in staged.items():
            cols = ", ".join(TABLES[table].column_names)
            target = spark_store.new_stage() / f"{table}.parquet"
            con.execute(
                f"COPY (SELECT {cols} FROM {_stage_name(table)} WHERE _keep) "
                f"TO {_path_literal(target)} (FORMAT parquet)"
            )
            files[table] = target
            logs.append(importer._log_row(result, table, done.rows, done.years))
        spark_store.write_import(files, logs)

    return write


def _run(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    seen: os.stat_result,
    plan: Plan,
    facts: FileFacts,
    mapping: dict[str, Any],
    result: ImportResult,
    progress: Callable[[int, int], None],
    write: Callable | None = None,
) -> None:
    """Stage, check and write the file's rows, filling `result`."""
    lim = intake.limits()
    if facts.quotes:
        _check_quotes(con, path)
    source_rows = _stage(con, path, plan, facts, lim.max_field_chars)
    if source_rows > lim.max_rows:
        raise Fallback("more rows than the limit")
    staged = {table: _checked(con, table) for table in plan.entries}
    now = os.stat(path)
    if (now.st_size, now.st_mtime_ns) != (seen.st_size, seen.st_mtime_ns):
        raise Fallback("the file changed while it was read")
    total = len(mapping["outputs"]) * max(1, source_rows)
    progress(total, total)
    (write or _write)(con, staged, result)
    result.source_rows = source_rows
    for table, done in staged.items():
        result.rows[table] = done.rows
        result.school_years[table] = done.years
