"""Importing files into the analytics store through a declarative mapping.

A mapping (YAML) says how the columns of one kind of file become rows of canonical tables:
renames, constants, value maps, period parsing, suppressed-cell markers, scaling (`scale`,
a factor per column, like 0.01 for a percentage published as 21.2), and wide-to-long reshaping
(`rows` for a few explicit column sets, `melt` for a pattern over many columns).
A transform applies only to the columns it names: a `scale` beside an output's `columns`
scales those columns in every row of the output, and a column that each `rows` entry fills from
its own file column (a percentage in one entry, a mean score in another) is scaled by a `scale`
inside the entries that need it, never by one for the whole output.
No code is written for a particular file. Every bad row is reported with its file, line,
column and reason; a file with any bad row changes nothing; importing a file again replaces the
same rows, so it changes nothing either. See mappings/ for examples.

Two paths import a file. A CSV goes first through sql_import.py, which compiles the mapping into
SQL that DuckDB runs over the file itself, and writes the rows only when the file is entirely
good. When it finds a bad row, or anything it cannot vouch for, the file takes the Python path
below instead (read into pandas, converted cell by cell), which reports every bad row exactly;
both paths store the same rows. Workbooks (XLSX) and Parquet files always take the Python path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from districtpm.analytics import spark_store, store
from districtpm.analytics.schema import GRADES, TABLES, Column, Table
from districtpm.core import intake
from districtpm.core.intake import RowError

DEFAULT_MARKERS = ["s", "*", "<10", "n<10", "-", "--", "N/A", "NA", "n/a", "~", "<5"]
BOOL_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
BOOL_FALSE = {"false", "f", "no", "n", "0", "0.0"}
MAX_ERRORS = 1000
INT64 = (-(2**63), 2**63 - 1)
# Longer than any number a person writes; longer text is not converted (and is quoted shortened).
MAX_NUMBER_CHARS = 40

log = logging.getLogger(__name__)


class MappingError(ValueError):
    """A mapping file that cannot be used."""


@dataclass
class ImportResult:
    file: str
    file_hash: str
    rows: dict[str, int] = field(default_factory=dict)
    school_years: dict[str, set[str]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    source_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            more = " (showing the first 1000)" if len(self.errors) >= MAX_ERRORS else ""
            return f"{self.file}: nothing imported, {len(self.errors)} bad row(s){more}."
        parts = ", ".join(f"{n} rows into {t}" for t, n in self.rows.items())
        return f"{self.file}: {self.source_rows} source rows read; {parts}."


class ImportFailed(intake.ImportFailed):
    """A data import that wrote nothing; its result lists every bad row."""

    @property
    def result(self) -> ImportResult:
        return self.outcome


# ------------------------------------------------------------------ mapping


def load_mapping(path: Path | str) -> dict[str, Any]:
    try:
        mapping = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{Path(path).name}: cannot read the mapping ({exc})") from exc
    return check_mapping(mapping, Path(path).name)


def check_mapping(mapping: Any, where: str = "mapping") -> dict[str, Any]:
    problems = []
    if not isinstance(mapping, dict) or not isinstance(mapping.get("outputs"), list):
        raise MappingError(f"{where}: a mapping needs a list of outputs")
    for i, out in enumerate(mapping["outputs"], start=1):
        table = out.get("table") if isinstance(out, dict) else None
        if table not in TABLES:
            problems.append(f"output {i}: table must be one of {', '.join(TABLES)}")
            continue
        columns = set(TABLES[table].column_names)
        named = set(out.get("columns", {})) | set(out.get("constants", {}))
        for entry in out.get("rows", []):
            named |= set(entry.get("columns", {})) | set(entry.get("set", {}))
        melt = out.get("melt")
        if melt:
            try:
                pattern = re.compile(melt["pattern"])
            except (KeyError, re.error) as exc:
                problems.append(f"output {i}: melt.pattern is not a valid pattern ({exc})")
                continue
            named |= set(melt.get("fields", {}).values()) | set(melt.get("keys", {}).values())
            unknown_groups = set(melt.get("keys", {})) - set(pattern.groupindex)
            if unknown_groups:
                problems.append(
                    f"output {i}: melt.keys names groups not in the pattern: "
                    f"{', '.join(sorted(unknown_groups))}"
                )
        unknown = named - columns
        if unknown:
            problems.append(f"output {i}: {table} has no column(s) {', '.join(sorted(unknown))}")
        missing = {c.name for c in TABLES[table].columns if c.required} - named
        if table == "school_values":
            missing -= {"suppressed"}
        if missing:
            problems.append(
                f"output {i}: nothing fills required column(s) "
                f"{', '.join(sorted(missing))} of {table}"
            )
        problems += [f"output {i}: {p}" for p in _scale_problems(out, TABLES[table])]
        for column, how in (out.get("periods") or {}).items():
            if how not in PERIOD_PARSERS:
                problems.append(
                    f"output {i}: periods.{column} must be one of {', '.join(PERIOD_PARSERS)}"
                )
    if problems:
        raise MappingError(f"{where}: " + "; ".join(problems))
    return mapping


def _scale_problems(out: dict[str, Any], table: Table) -> list[str]:
    """Each scale names number columns the output fills, with a finite factor; a column that the
    `rows` entries fill each from their own file column is scaled inside those entries."""
    problems = []
    entries = [e for e in out.get("rows", []) if isinstance(e, dict)]
    per_entry = {c for e in entries for c in (e.get("columns") or {})}
    where: list[tuple[str, Any, set[str]]] = [
        (
            "scale",
            out.get("scale", {}),
            (set(out.get("columns", {})) | _melt_targets(out)) - per_entry,
        )
    ]
    where += [
        (f"rows entry {n} scale", e.get("scale", {}), set(e.get("columns") or {}))
        for n, e in enumerate(entries, start=1)
    ]
    for label, scale, filled in where:
        if not isinstance(scale, dict):
            problems.append(f"{label} maps columns to factors, like {{value: 0.01}}")
            continue
        for name, factor in scale.items():
            column = table.column(str(name))
            if name in per_entry and label == "scale":
                problems.append(
                    f"scale.{name} would scale {name} in every rows entry, though each entry "
                    f"fills it from its own file column; put scale in the entries it is for"
                )
            elif column is None or column.type not in ("float64", "int64"):
                problems.append(f"{label}.{name}: {table.name} has no number column {name}")
            elif name not in filled:
                problems.append(f"{label}.{name}: {name} is not filled from the file here")
            elif (
                isinstance(factor, bool)
                or not isinstance(factor, int | float)
                or not intake.finite(factor)
            ):
                problems.append(f"{label}.{name} must be a number, like 0.01")
            elif column.type == "int64" and not float(factor).is_integer():
                problems.append(
                    f"{label}.{name}: {name} holds whole numbers, so its factor must be whole"
                )
    return problems


def _melt_targets(out: dict[str, Any]) -> set[str]:
    melt = out.get("melt")
    if not isinstance(melt, dict):
        return set()
    fields = melt.get("fields")
    return set(fields.values()) if isinstance(fields, dict) else {melt.get("value", "value")}


# ------------------------------------------------------------------ value parsing


def _shown(value: str) -> str:
    """A value as quoted in a message: shortened, so a huge cell cannot flood the report."""
    return repr(value if len(value) <= MAX_NUMBER_CHARS else value[:MAX_NUMBER_CHARS] + "…")


def _number(value: str) -> float:
    """A finite number from text like 1,234.5; ValueError for anything else (inf and nan too)."""
    text = value.replace(",", "").strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"{_shown(value)} is not a number (too many digits)")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a number") from None
    if not intake.finite(number):
        raise ValueError(f"{_shown(value)} is not a finite number")
    return number


def _whole(value: str) -> int:
    """A whole number that fits the store's 64-bit integers."""
    text = value.replace(",", "").strip()
    number = _number(text)
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        whole = int(text.split(".")[0])  # exact, where float would round a long integer
    elif number.is_integer():
        whole = int(number)
    else:
        raise ValueError(f"{_shown(value)} is not a whole number")
    if not INT64[0] <= whole <= INT64[1]:
        raise ValueError(f"{_shown(value)} is too large")
    return whole


def _school_year_from_end(value: str) -> str:
    year = _whole(value)
    return f"{year - 1}-{year}"


def _school_year_from_start(value: str) -> str:
    year = _whole(value)
    return f"{year}-{year + 1}"


def _timestamp(value: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):  # pd.Timestamp("nan") is NaT, not an error
        raise ValueError(f"{_shown(value)} is not a date")
    if not 1 <= stamp.year <= 9999:  # pandas reads "-3" as the year -3, which .date() refuses
        raise ValueError(f"{_shown(value)} is not a date")
    return stamp


def _school_year_from_date(value: str) -> str:
    day = _timestamp(value).date()
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{start + 1}"


def _school_year_as_is(value: str) -> str:
    m = re.fullmatch(r"(\d{4})\s*[-/–]\s*(\d{2}|\d{4})", value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a school year like 2025-2026")
    start = int(m.group(1))
    end = int(m.group(2)) if len(m.group(2)) == 4 else (start // 100) * 100 + int(m.group(2))
    if end != start + 1:
        raise ValueError(f"{value!r} does not span two consecutive years")
    return f"{start}-{end}"


def _month(value: str) -> str:
    return _timestamp(value).strftime("%Y-%m")


PERIOD_PARSERS: dict[str, Callable[[str], str]] = {
    "school_year": _school_year_as_is,
    "year_end": _school_year_from_end,
    "year_start": _school_year_from_start,
    "date": _school_year_from_date,
    "month": _month,
}


def _grade(value: str) -> str:
    v = value.strip().upper()
    v = {"KG": "K", "KF": "K", "00": "K", "0": "K", "PRE-K": "PK", "P": "PK"}.get(v, v)
    if v.isdigit():
        v = str(int(v))
    if v.lower() in ("all", "ungraded"):
        return v.lower()
    if v not in GRADES:
        raise ValueError(f"unknown grade {value!r}")
    return v


# Codes become the keys of stored metric values and must match the organisation's schools and
# networks, whose codes have at most 20 characters (org.School.code, org.Network.code).
CODE_COLUMNS = {"school_code": 20, "network_code": 20, "entity_code": 20}


def _convert(kind: str, value: str, column: str) -> Any:
    if kind == "string":
        if column in CODE_COLUMNS and len(value.strip()) > CODE_COLUMNS[column]:
            raise ValueError(
                f"{_shown(value)} is not a code: codes have at most {CODE_COLUMNS[column]} "
                "characters"
            )
        return _grade(value) if column == "grade" else value
    if kind == "int64":
        return _whole(value)
    if kind == "float64":
        return _number(value.strip().rstrip("%"))
    if kind == "boolean":
        low = value.strip().lower()
        if low in BOOL_TRUE:
            return True
        if low in BOOL_FALSE:
            return False
        raise ValueError(f"{_shown(value)} is not yes or no")
    if kind == "date":
        return _timestamp(value).date()
    raise ValueError(f"unsupported type {kind}")


# ------------------------------------------------------------------ reading


@dataclass
class Source:
    """A file read for import: its columns as text, and each data row's line in the file."""

    frame: pd.DataFrame
    lines: list[int]
    # (line, column, reason) for rows that cannot be used as they are, such as extra values
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _cell_text(value: Any) -> str | None:
    """A workbook cell as the text a CSV export of it would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    text = str(value)
    return text if text != "" else None


def _frame(headers: list[str], records: list[dict[str, str | None]]) -> pd.DataFrame:
    return (
        pd.DataFrame.from_records(records, columns=headers)
        if records
        else pd.DataFrame(columns=headers, dtype=object)
    )


def _read_csv(data: bytes, name: str) -> Source:
    table = intake.read_data_csv(data, name=name)
    records, lines, problems = [], [], []
    for line, row, extra in table.rows:
        if any(v.strip() for v in extra):
            problems.append(
                (
                    line,
                    "(after the last)",
                    f"{len(extra)} more value(s) than the header has columns",
                )
            )
        records.append({k: (v if v != "" else None) for k, v in row.items()})
        lines.append(line)
    return Source(_frame(table.headers, records), lines, problems)


def _read_xlsx(data: bytes, name: str) -> Source:
    from openpyxl import load_workbook

    intake.check_xlsx(data, name=name)
    lim = intake.limits()
    shown = intake.display_name(name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, ParseError…) for a broken workbook
        raise intake.InputRefused(
            f"{shown} cannot be read as an Excel workbook; save it again from Excel as .xlsx."
        ) from None
    try:
        if not book.worksheets:
            raise intake.InputRefused(f"{shown} has no worksheet.")
        sheet = book.worksheets[0]
        # The sheet's own dimension, when present, refuses a huge sheet before any row is read.
        declared = sheet.max_row if isinstance(sheet.max_row, int) else 0
        if declared - 1 > lim.max_rows:
            raise intake.InputRefused(f"{shown} has more than {lim.max_rows:,} rows.")
        rows = sheet.iter_rows(values_only=True)
        headers: list[str] | None = None
        records, lines, problems = [], [], []
        try:
            for line, values in enumerate(rows, start=1):
                if line - 1 > lim.max_rows:
                    raise intake.InputRefused(f"{shown} has more than {lim.max_rows:,} rows.")
                cells = [_cell_text(v) for v in values]
                if headers is None:
                    while cells and cells[-1] is None:  # formatting can widen a sheet
                        cells.pop()
                    headers = [(c or "").strip() for c in cells]
                    headers = intake.check_named_headers(headers, name=shown)
                    continue
                if all(c is None or not c.strip() for c in cells):
                    continue  # blank rows are not kept, so a sheet of them costs no memory
                extra = [c for c in cells[len(headers) :] if c is not None and c.strip()]
                if extra:
                    problems.append(
                        (
                            line,
                            "(after the last)",
                            f"{len(extra)} value(s) in columns with no header",
                        )
                    )
                records.append(dict(zip(headers, cells, strict=False)))
                lines.append(line)
        except intake.InputRefused:
            raise
        except Exception:  # a damaged sheet (XML errors, bad cell values)
            raise intake.InputRefused(
                f"{shown} is damaged and cannot be read; save it again from Excel as .xlsx."
            ) from None
        if headers is None:
            raise intake.InputRefused(f"{shown} is empty.")
        return Source(_frame(headers, records), lines, problems)
    finally:
        book.close()


def _read_parquet(data: bytes, name: str) -> Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lim = intake.limits()
    shown = intake.display_name(name)
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError):
        raise intake.InputRefused(f"{shown} is not a Parquet file.") from None
    meta = parquet.metadata
    if meta.num_rows > lim.max_rows:
        raise intake.InputRefused(f"{shown} has more than {lim.max_rows:,} rows.")
    expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if expanded > lim.max_expanded_bytes:
        raise intake.InputRefused(
            f"{shown} expands to more than {lim.max_expanded_bytes // intake.MB:,} MB."
        )
    headers = [str(n) for n in parquet.schema_arrow.names]
    headers = intake.check_named_headers(headers, name=shown)
    try:
        frame = parquet.read().to_pandas()
    except (pa.ArrowException, OSError, ValueError):
        raise intake.InputRefused(f"{shown} is damaged and cannot be read.") from None
    frame.columns = headers
    text = frame.astype("string").astype(object).where(frame.notna(), None)
    return Source(text, list(range(1, len(text) + 1)))


def read_file(
    path: Path, fmt: str | None = None, *, data: bytes | None = None, name: str | None = None
) -> Source:
    """The file as text within the input limits, or intake.InputRefused saying why not."""
    shown = intake.display_name(name or path.name)
    fmt = (fmt or path.suffix.lower().lstrip(".")).lower()
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "xlsm": _read_xlsx, "parquet": _read_parquet}
    if fmt not in readers:
        raise MappingError(f"{shown}: unknown file format {fmt!r} (csv, xlsx or parquet)")
    if data is None:
        intake.check_size(path.stat().st_size, name=shown)
        data = path.read_bytes()
    intake.check_size(len(data), name=shown)
    if not data:
        raise intake.InputRefused(f"{shown} is empty.")
    return readers[fmt](data, shown)


# ------------------------------------------------------------------ the import


Target = dict[str, tuple[str, Any]]  # target column: (source column, raw value)


Entry = tuple[dict[str, Any], dict[str, str], dict[str, Any]]  # (set, columns, scale)


def output_entries(out: dict, columns: list[str]) -> list[Entry]:
    """The target rows one source row of an output becomes, each as the values it sets, the file
    columns it reads and the scale factors of its columns. `rows` entries come first, then one
    entry per column stub that `melt` finds among the file's columns; an output with neither has
    one entry. The SQL path (sql_import.py) compiles the same entries."""
    scale = out.get("scale", {})
    entries: list[Entry] = []
    for entry in out.get("rows", []):
        entries.append(
            (entry.get("set", {}), entry.get("columns", {}), {**scale, **entry.get("scale", {})})
        )
    melt = out.get("melt")
    if melt:
        pattern = re.compile(melt["pattern"])
        fields = melt.get("fields")
        keys = melt.get("keys", {})
        stubs: dict[tuple, dict[str, str]] = {}
        for column in columns:
            match = pattern.fullmatch(str(column))
            if not match:
                continue
            stub = tuple((keys[g], match.group(g)) for g in keys)
            target = fields.get(match.group("field")) if fields else melt.get("value", "value")
            if target:
                stubs.setdefault(stub, {})[target] = column
        for stub, cols in stubs.items():
            entries.append(({k: v for k, v in stub}, cols, scale))
    if not entries:
        entries = [({}, {}, scale)]
    return entries


def _output_rows(out: dict, frame: pd.DataFrame) -> list[tuple[int, Target, dict[str, Any]]]:
    """For each source row, the target rows as {target column: (source column, raw value)},
    each with the scale factors of its columns."""
    base_cols = out.get("columns", {})
    constants = out.get("constants", {})
    entries = output_entries(out, list(frame.columns))
    filters = out.get("filter", {})
    rows = []
    records = frame.to_dict("records")
    for index, record in enumerate(records):
        if any(str(record.get(k)) != str(v) for k, v in filters.items()):
            continue
        for fixed, cols, factors in entries:
            target: Target = {}
            for t, v in constants.items():
                target[t] = ("(constant)", v)
            for t, s in base_cols.items():
                target[t] = (s, record.get(s))
            for t, v in fixed.items():
                target[t] = ("(pattern)", v)
            for t, s in cols.items():
                target[t] = (s, record.get(s))
            rows.append((index, target, factors))
    return rows


def _is_missing(raw: Any) -> bool:
    return raw is None or (isinstance(raw, float) and raw != raw) or str(raw).strip() == ""


def import_file(
    path: Path | str,
    mapping: dict[str, Any] | Path | str,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    store_path: Path | None = None,
    display_name: str | None = None,
) -> ImportResult:
    """Import one file; raise ImportFailed (nothing written) if any row is bad.

    A file that cannot be read safely as a whole (too big, not text, not a workbook, duplicate
    headers…) raises intake.InputRefused, a ValueError whose message is fit for the user.
    """
    path = Path(path)
    if not isinstance(mapping, dict):
        mapping = load_mapping(mapping)
    else:
        mapping = check_mapping(mapping)
    label = intake.display_name(display_name or path.name)
    intake.check_size(path.stat().st_size, name=label)  # before reading the file into memory
    fmt = (mapping.get("format") or path.suffix.lower().lstrip(".")).lower()
    # sql_import uses this module's rules; imported here, so neither module needs the other to load
    from districtpm.analytics import sql_import

    if fmt == "csv" and sql_import.enabled():
        try:
            result = sql_import.import_csv(
                path, mapping, name=label, store_path=store_path, progress=progress
            )
        except sql_import.Fallback as why:
            log.info("%s: imported by the Python path (%s)", label, why)
        else:
            sql_import.paths_taken["sql"] += 1
            return result
    sql_import.paths_taken["python"] += 1
    data = path.read_bytes()
    result = ImportResult(file=label, file_hash=hashlib.sha256(data).hexdigest())
    source = read_file(path, mapping.get("format"), data=data, name=label)
    result.source_rows = len(source.frame)
    for line, column, reason in source.problems[:MAX_ERRORS]:
        result.errors.append(RowError(label, line, reason, column))
    markers = {str(m) for m in mapping.get("suppressed", DEFAULT_MARKERS)}
    _require_columns(mapping, source.frame, result)
    outputs = _convert_outputs(mapping, source, markers, result, progress)
    if result.errors:
        raise ImportFailed(result)
    frames = _table_frames(outputs, result)
    if result.errors:
        raise ImportFailed(result)
    _write_tables(frames, result, store_path)
    return result


def _add_error(result: ImportResult, line: int, reason: str, column: str) -> None:
    """Record a bad row, up to MAX_ERRORS of them."""
    if len(result.errors) < MAX_ERRORS:
        result.errors.append(RowError(result.file, line, reason, column))


def needed_columns(mapping: dict[str, Any]) -> set[str]:
    """The file columns a mapping reads by name (melt finds its own among the file's)."""
    needed = set()
    for out in mapping["outputs"]:
        needed |= set(out.get("columns", {}).values()) | set(out.get("filter", {}))
        for entry in out.get("rows", []):
            needed |= set(entry.get("columns", {}).values())
    return needed


def _require_columns(mapping: dict[str, Any], frame: pd.DataFrame, result: ImportResult) -> None:
    """Raise ImportFailed if the file lacks a column the mapping reads."""
    missing = sorted(needed_columns(mapping) - set(map(str, frame.columns)))
    if missing:
        result.errors.append(
            RowError(result.file, 1, "missing column(s) the mapping needs", ", ".join(missing))
        )
        raise ImportFailed(result)


@dataclass
class _Progress:
    """Reports every 2,000th source row converted, counted over all outputs."""

    report: Callable[[int, int], None]
    total: int
    done: int = 0

    def advance(self, index: int, last_index: int) -> None:
        self.done += index - last_index if last_index >= 0 else 1
        if self.done % 2000 == 0:
            self.report(self.done, self.total)


@dataclass
class _CellRules:
    """How one output turns the cells of a source row into typed values."""

    types: dict[str, Column]
    value_maps: dict[str, dict]
    periods: dict[str, str]
    markers: set[str]
    field_cap: int

    def value(self, column: Column, text: str, scale: dict[str, Any]) -> Any:
        """The typed value of a cell, scaled by the factor its row gives the column (if any);
        ValueError (or TypeError, OverflowError) saying why not."""
        name = column.name
        if name in self.periods:
            text = PERIOD_PARSERS[self.periods[name]](text)
        value = _convert(column.type, text, name)
        if name in scale:
            value = value * scale[name]
            if isinstance(value, float) and not intake.finite(value):
                raise ValueError(f"{_shown(text)} is out of range once scaled")
        if column.values and value not in column.values:
            raise ValueError(f"unknown code {text!r}; expected one of {', '.join(column.values)}")
        return value


def _convert_outputs(
    mapping: dict[str, Any],
    source: Source,
    markers: set[str],
    result: ImportResult,
    progress: Callable[[int, int], None],
) -> dict[str, list[dict]]:
    """The typed rows for each table the mapping fills; every bad row goes to result.errors."""
    outputs: dict[str, list[dict]] = {}
    field_cap = intake.limits().max_field_chars
    counter = _Progress(progress, len(mapping["outputs"]) * max(1, len(source.frame)))
    for out in mapping["outputs"]:
        table = TABLES[out["table"]]
        rules = _CellRules(
            types={c.name: c for c in table.columns},
            value_maps=out.get("values", {}),
            periods=out.get("periods", {}),
            markers=markers,
            field_cap=field_cap,
        )
        converted = _convert_output(out, table, rules, source, result, counter)
        outputs.setdefault(table.name, []).extend(converted)
    progress(counter.total, counter.total)
    return outputs


def _convert_output(
    out: dict,
    table: Table,
    rules: _CellRules,
    source: Source,
    result: ImportResult,
    counter: _Progress,
) -> list[dict]:
    """The typed rows of one output, each with its source line as `_line`."""
    converted: list[dict] = []
    last_index = -1
    skip_if_empty = out.get("skip_if_empty", [])
    for index, target, scale in _output_rows(out, source.frame):
        if skip_if_empty and all(
            _is_missing(target.get(c, (None, None))[1]) for c in skip_if_empty
        ):
            continue
        if index != last_index:
            counter.advance(index, last_index)
            last_index = index
        line = source.lines[index]
        row, suppressed = _typed_row(target, scale, rules, line, result)
        if not row:
            continue
        if table.name == "school_values":
            row["suppressed"] = suppressed
            if row.get("value") is None and not suppressed and row.get("denominator"):
                row["value"] = (row.get("numerator") or 0) / row["denominator"]
                if not intake.finite(row["value"]):  # a tiny denominator can overflow
                    source_col = target.get("denominator", ("(none)", None))[0]
                    _add_error(result, line, "numerator / denominator is out of range", source_col)
                    continue
        empty = _first_empty_required(table, row)
        if empty is not None:
            source_col = target.get(empty, ("(none)", None))[0]
            _add_error(result, line, f"{empty} is required but empty", source_col)
            continue
        row["_line"] = line
        converted.append(row)
    return converted


def _typed_row(
    target: Target, scale: dict[str, Any], rules: _CellRules, line: int, result: ImportResult
) -> tuple[dict[str, Any], bool]:
    """The row's typed values and whether any cell was suppressed; an empty row if one is bad."""
    row: dict[str, Any] = {}
    suppressed = False
    for name, (source_col, raw) in target.items():
        column = rules.types[name]
        if _is_missing(raw):
            row[name] = None
            continue
        raw_text = str(raw)
        # check_field only for the rare value that might fail it: it reads the limits
        # from settings on each call, too slow for every cell of a large file.
        if (
            source_col != "(constant)"
            and (len(raw_text) > rules.field_cap or not raw_text.isprintable())
            and (
                reason := intake.check_field(
                    raw_text, name=result.file, line=line, column=str(source_col)
                )
            )
        ):
            _add_error(result, line, reason, source_col)
            return {}, False
        text = str(raw).strip()
        if name in rules.value_maps and text in rules.value_maps[name]:
            text = str(rules.value_maps[name][text])
        if text in rules.markers:
            row[name] = None
            suppressed = True
            continue
        try:
            row[name] = rules.value(column, text, scale)
        except (ValueError, TypeError, OverflowError) as exc:
            _add_error(result, line, str(exc), source_col)
            return {}, False
    return row, suppressed


def _first_empty_required(table: Table, row: dict[str, Any]) -> str | None:
    for column in table.columns:
        if (
            column.required
            and row.get(column.name) is None
            and not (table.name == "school_values" and column.name == "suppressed")
        ):
            return column.name
    return None


def _table_frames(outputs: dict[str, list[dict]], result: ImportResult) -> dict[str, pd.DataFrame]:
    """A frame per table; rows repeating another's key go to result.errors."""
    frames = {}
    for name, rows in outputs.items():
        f = pd.DataFrame(rows, columns=[*TABLES[name].column_names, "_line"])
        key = list(TABLES[name].key)
        dupes = f.duplicated(subset=key, keep=False)
        if dupes.any():
            first_lines = f[dupes].groupby(key, dropna=False)["_line"].transform("min")
            for i in f.index[dupes & f.duplicated(subset=key, keep="first")][:MAX_ERRORS]:
                result.errors.append(
                    RowError(
                        result.file,
                        int(f.at[i, "_line"]),
                        f"repeats the {name} row of line {int(first_lines[i])} "
                        f"({', '.join(str(f.at[i, k]) for k in key)})",
                        ", ".join(key),
                    )
                )
        frames[name] = f.drop(columns="_line")
    return frames


def _school_years(frame: pd.DataFrame) -> set[str]:
    """The school years (or periods) a table's rows cover."""
    if "school_year" in frame.columns:
        return set(frame["school_year"].dropna().unique())
    if "period" in frame.columns:
        return set(frame["period"].dropna().unique())
    return set()


def _log_row(result: ImportResult, table: str, rows: int, years: set[str]) -> dict:
    return {
        "file_hash": result.file_hash,
        "file_name": result.file,
        "table_name": table,
        "rows": rows,
        "school_years": ",".join(sorted(years)),
        "task_id": store.current_task.get(),
    }


def _write_tables(
    frames: dict[str, pd.DataFrame], result: ImportResult, store_path: Path | None
) -> None:
    """Replace the frames' rows in the store and log the import, all in one transaction."""
    if store_path is None and spark_store.enabled():
        logs = []
        for name, f in frames.items():
            result.rows[name] = len(f)
            result.school_years[name] = years = _school_years(f)
            logs.append(_log_row(result, name, len(f), years))
        spark_store.write_import(
            {n: spark_store.stage_frame(f, n) for n, f in frames.items()}, logs
        )
        return
    with store.connect(store_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for name, f in frames.items():
                result.rows[name] = store.replace_rows(con, name, f)
                years = _school_years(f)
                result.school_years[name] = years
                con.execute(
                    "INSERT INTO _imports "
                    "(file_hash, file_name, table_name, rows, school_years, task_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        result.file_hash,
                        result.file,
                        name,
                        len(f),
                        ",".join(sorted(years)),
                        store.current_task.get(),
                    ],
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
