"""Metric definitions: YAML files in a folder the district owns, validated when loaded.

A definition names its source, an optional filter, a measure (rate, mean, median, percentile,
count, sum, ratio_of_sums), optional parameters its expressions use by name, a period grain, the levels and student groups to compute, its
direction, whether it is leading or lagging, its unit and format, and its minimum n. A gap
definition compares two groups of another metric. A definition over a published source (a
file's school figures) rolls counts up and says where a school's figure comes from
(`school_total`). See definitions/*.yaml for the shipped ones.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from districtpm.analytics.schema import GROUP_DIMENSIONS, TABLES
from districtpm.analytics.sources import SOURCES
from districtpm.metrics.expressions import (
    ANY,
    NUMBER,
    TEXT,
    ExpressionError,
    kind_of_type,
    names_in,
    param_kind,
    parse,
)
from districtpm.metrics.measures import CONDITION, NUMERATOR, MeasureKind

# The largest whole number the app database stores in an integer field (min_n, version).
MAX_WHOLE = 2_147_483_647
MEASURE_KINDS = tuple(kind.value for kind in MeasureKind)
GRAINS = ("school_year", "window", "month")
LEVELS = ("district", "network", "school", "grade")
UNITS = ("percent", "number", "score", "days", "students")
FORMATS = ("percent", "percent1", "number", "decimal1", "decimal2")
GRAIN_COLUMNS = {
    "window": ("school_year", "test_window"),
    "month": ("month",),
    "school_year": ("school_year",),
}
ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_PARAMS = 20
TOP_KEYS = {
    "id",
    "name",
    "description",
    "source",
    "filter",
    "measure",
    "period",
    "levels",
    "groups",
    "direction",
    "kind",
    "unit",
    "format",
    "min_n",
    "version",
    "gap",
    "forecast_from",
    "rollup",
    "rollup_filter",
    "params",
    "school_total",
}
# Where a published metric's school figure comes from: rolled up from the file's grade rows,
# or the file's own all-grades row.
SCHOOL_TOTALS = ("grades", "published")
# The measures a published source allows: its counts rolled up, never its rates averaged.
PUBLISHED_MEASURES = {
    MeasureKind.RATIO_OF_SUMS: {"numerator": "numerator", "denominator": "denominator"},
    MeasureKind.SUM: {"column": "numerator"},
}


class DefinitionError(ValueError):
    """A definition that cannot be used, with every problem found in it."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


@dataclass(frozen=True)
class Measure:
    kind: MeasureKind
    column: str | None = None
    condition: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    p: float | None = None

    def __post_init__(self) -> None:
        # A kind given as text (from YAML or a test) becomes the enum that carries its behaviour.
        object.__setattr__(self, "kind", MeasureKind(self.kind))


@dataclass(frozen=True)
class Gap:
    metric: str
    dimension: str
    focal: str
    reference: str


@dataclass(frozen=True)
class MetricDefinition:
    id: str
    name: str
    description: str
    source: str
    measure: Measure | None
    period: str
    levels: tuple[str, ...]
    groups: tuple[str, ...]
    direction: str
    kind: str
    unit: str
    format: str
    min_n: int
    version: int
    filter: str | None = None
    rollup: dict[str, str] = field(default_factory=dict)
    # Which rolled-up rows (one per student) count at all, like days_enrolled >= 10.
    rollup_filter: str | None = None
    # Named literals the expressions use, so a threshold is written (and changed) once.
    params: dict[str, Any] = field(default_factory=dict)
    gap: Gap | None = None
    forecast_from: str | None = None
    # For a published source: "grades" (the school's figure rolled up from its grade rows) or
    # "published" (the file's own all-grades row); empty for any other source.
    school_total: str = ""
    path: str = ""
    digest: str = ""

    @property
    def is_gap(self) -> bool:
        return self.gap is not None

    @property
    def additive(self) -> bool:
        return self.measure is not None and self.measure.kind.additive

    @property
    def published(self) -> bool:
        """Computed from a publisher's figures rather than from students."""
        return not self.gap and self.source in SOURCES and SOURCES[self.source].published

    def source_tables(self, all_definitions: dict[str, MetricDefinition]) -> set[str]:
        if self.gap:
            return all_definitions[self.gap.metric].source_tables(all_definitions)
        return set(SOURCES[self.source].tables)


def _problems_for(raw: dict[str, Any], default_min_n: int) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    unknown = set(raw) - TOP_KEYS
    if unknown:
        problems.append(f"unknown field(s): {', '.join(sorted(unknown))}")
    metric_id = raw.get("id")
    if not isinstance(metric_id, str) or not ID.match(metric_id):
        problems.append("id must be lower-case letters, digits and _ (like ela_proficiency)")
    if not isinstance(raw.get("name"), str) or not raw.get("name"):
        problems.append("name is required")
    elif len(raw["name"]) > 200:
        problems.append("name may have at most 200 characters")
    out: dict[str, Any] = {}
    direction = raw.get("direction", "higher")
    if direction not in ("higher", "lower"):
        problems.append("direction must be 'higher' or 'lower' (which is better)")
    kind = raw.get("kind", "lagging")
    if kind not in ("leading", "lagging"):
        problems.append("kind must be 'leading' or 'lagging'")
    unit = raw.get("unit", "percent")
    if unit not in UNITS:
        problems.append(f"unit must be one of {', '.join(UNITS)}")
    fmt = raw.get("format", "percent1" if unit == "percent" else "decimal1")
    if fmt not in FORMATS:
        problems.append(f"format must be one of {', '.join(FORMATS)}")
    min_n = raw.get("min_n", default_min_n)
    if not isinstance(min_n, int) or isinstance(min_n, bool) or not 1 <= min_n <= MAX_WHOLE:
        problems.append("min_n must be a whole number of at least 1")
    elif min_n < default_min_n:
        problems.append(f"min_n may not be below the district minimum of {default_min_n}")
    levels = raw.get("levels", list(LEVELS))
    if not isinstance(levels, list) or not levels or any(lv not in LEVELS for lv in levels):
        problems.append(f"levels must be a list drawn from {', '.join(LEVELS)}")
        levels = []
    published = "gap" not in raw and _is_published(raw.get("source"))
    groups = raw.get("groups", [] if published else list(GROUP_DIMENSIONS))
    if not isinstance(groups, list) or any(g not in GROUP_DIMENSIONS for g in groups):
        problems.append(f"groups must be a list drawn from {', '.join(GROUP_DIMENSIONS)}")
        groups = []
    elif published and groups:
        problems.append(
            "a published source holds figures for all students, without student groups: "
            "remove groups"
        )
        groups = []
    out.update(
        direction=direction,
        kind=kind,
        unit=unit,
        format=fmt,
        min_n=min_n,
        levels=tuple(levels),
        groups=tuple(groups),
        version=raw.get("version", 1),
    )
    version = out["version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_WHOLE:
        problems.append(f"version must be a whole number from 1 to {MAX_WHOLE:,}")
    return problems, out


def parse_definition(raw: Any, where: str, default_min_n: int | None = None) -> MetricDefinition:
    """Check one definition and return it, or raise DefinitionError listing every problem."""
    default_min_n = default_min_n or settings.DISTRICTPM_MIN_N
    if not isinstance(raw, dict):
        raise DefinitionError(where, ["a definition must be a mapping of fields"])
    problems, common = _problems_for(raw, default_min_n)
    gap = None
    measure = None
    rollup: dict[str, str] = {}
    params: dict[str, Any] = {}
    if "gap" in raw:
        gap, found = _parse_gap(raw)
    else:
        measure, rollup, params, found = _parse_computed(raw)
    problems += found
    if problems:
        raise DefinitionError(where, problems)
    return _definition_from(
        raw, where, common, measure=measure, rollup=rollup, params=params, gap=gap
    )


def _parse_gap(raw: dict[str, Any]) -> tuple[Gap | None, list[str]]:
    """The gap of a gap definition, with the problems found in it."""
    problems: list[str] = []
    gap = None
    g = raw["gap"]
    if not isinstance(g, dict) or set(g) != {"metric", "dimension", "focal", "reference"}:
        problems.append("gap needs metric, dimension, focal and reference")
    elif g["dimension"] not in GROUP_DIMENSIONS:
        problems.append(f"gap dimension must be one of {', '.join(GROUP_DIMENSIONS)}")
    else:
        gap = Gap(
            str(g["metric"]),
            g["dimension"],
            _group_value(g["focal"]),
            _group_value(g["reference"]),
        )
    for forbidden in ("source", "measure", "filter", "rollup_filter", "params", "school_total"):
        if forbidden in raw:
            problems.append(f"a gap takes its {forbidden} from its metric; remove {forbidden}")
    return gap, problems


def _parse_computed(
    raw: dict[str, Any],
) -> tuple[Measure | None, dict[str, str], dict[str, Any], list[str]]:
    """The measure, roll-up and parameters of a metric computed from a source, with the
    problems found."""
    source = raw.get("source", "")
    columns, problems = _source_columns(source)
    params, param_problems = _parse_params(raw.get("params"), columns)
    problems += param_problems
    problems += _period_problems(raw.get("period", "school_year"), source, columns)
    problems += _filter_problems(raw, source, columns, params)
    rollup, rollup_problems = _parse_rollup(raw.get("rollup") or {}, columns)
    problems += rollup_problems + _rollup_filter_problems(raw, source, columns, rollup, params)
    measure, measure_problems = _parse_measure(raw, source, columns, rollup, params)
    problems += measure_problems
    if columns:
        problems += _unused_params(raw, params)
        problems += _published_problems(raw, source, measure)
    return measure, rollup, params, problems


def _is_published(source: Any) -> bool:
    return isinstance(source, str) and source in SOURCES and SOURCES[source].published


def _published_problems(raw: dict[str, Any], source: str, measure: Measure | None) -> list[str]:
    """A published source's rows are figures, not students: its counts roll up as they are, and
    `school_total` says where a school's figure comes from. Other sources take no school_total."""
    if not _is_published(source):
        if "school_total" in raw:
            return ["school_total is for a published source (like school_values); remove it"]
        return []
    problems = []
    if raw.get("school_total", "grades") not in SCHOOL_TOTALS:
        problems.append(
            "school_total must be grades (rolled up from the file's grade rows) or published "
            "(the file's own all-grades row)"
        )
    for part in ("rollup", "rollup_filter"):
        if part in raw:
            problems.append(
                f"a published source has one row per school, grade and year, not per student: "
                f"remove {part}"
            )
    if measure is not None:
        wanted = PUBLISHED_MEASURES.get(measure.kind)
        given = {k: getattr(measure, k) for k in wanted} if wanted else None
        if wanted is None or given != wanted:
            problems.append(
                "a published source rolls its counts up: measure must be {kind: ratio_of_sums, "
                "numerator: numerator, denominator: denominator} (a rate or a mean) or "
                "{kind: sum, column: numerator} (a count)"
            )
    return problems


def _parse_params(raw_params: Any, columns: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """The definition's parameters (names its expressions use for numbers, text or true/false)
    that are valid, with the problems of the others."""
    if raw_params is None:
        return {}, []
    if not isinstance(raw_params, dict):
        return {}, ["params maps names to numbers, text or true/false, like {min_days: 10}"]
    problems = []
    if len(raw_params) > MAX_PARAMS:
        problems.append(f"params may hold at most {MAX_PARAMS} parameters")
    valid = {}
    for name, value in raw_params.items():
        if not isinstance(name, str) or not PARAM_NAME.match(name):
            problems.append(f"params: {name!r} must be lower-case letters, digits and _")
        elif name in ("true", "false", "null"):
            problems.append(f"params: {name} is a literal of the filter language; rename it")
        elif name in columns:
            problems.append(f"params: {name} is also a column of the source; rename it")
        else:
            try:
                param_kind(value)
            except ExpressionError as exc:
                problems.append(f"params.{name}: {exc}")
            else:
                valid[name] = value
    return valid, problems


def _unused_params(raw: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """A parameter no expression uses is a mistake: changing it would change nothing."""
    used: set[str] = set()
    measure = raw.get("measure") if isinstance(raw.get("measure"), dict) else {}
    for text in (raw.get("filter"), raw.get("rollup_filter"), measure.get("condition")):
        if isinstance(text, str):
            try:
                used |= names_in(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass  # reported as a problem of the expression itself
    return [
        f"params.{name} is used by no expression (filter, rollup_filter, measure.condition)"
        for name in params
        if name not in used
    ]


def _source_columns(source: Any) -> tuple[tuple[str, ...], list[str]]:
    """The columns of the named source, or none and the problem when there is no such source."""
    if source not in SOURCES:
        return (), [f"source must be one of {', '.join(sorted(SOURCES))}"]
    return SOURCES[source].columns, []


def _period_problems(period: Any, source: Any, columns: tuple[str, ...]) -> list[str]:
    if period not in GRAINS:
        return [f"period must be one of {', '.join(GRAINS)}"]
    if columns and any(c not in columns for c in GRAIN_COLUMNS[period]):
        return [f"source {source} has no {period} column"]
    return []


def _filter_problems(
    raw: dict[str, Any], source: Any, columns: tuple[str, ...], params: dict[str, Any]
) -> list[str]:
    filter_text = raw.get("filter")
    if filter_text is None or not columns:
        return []
    problem = _expression_problem(
        "filter",
        str(filter_text),
        _column_kinds(source, columns),
        metric_id=raw.get("id"),
        params=params,
    )
    return [problem] if problem else []


def _rollup_filter_problems(
    raw: dict[str, Any],
    source: Any,
    columns: tuple[str, ...],
    rollup: dict[str, str],
    params: dict[str, Any],
) -> list[str]:
    """The rollup filter sees what the measure sees: the rolled-up columns."""
    text = raw.get("rollup_filter")
    if text is None or not columns:
        return []
    if not rollup:
        return ["rollup_filter needs a rollup (without one, write the condition in filter)"]
    problem = _expression_problem(
        "rollup_filter",
        str(text),
        _condition_kinds(source, tuple(rollup), rollup),
        metric_id=raw.get("id"),
        params=params,
    )
    return [problem] if problem else []


def _parse_rollup(raw_rollup: Any, columns: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    if not isinstance(raw_rollup, dict) or any(
        v not in ("sum", "max", "min", "mean") or k not in columns for k, v in raw_rollup.items()
    ):
        return {}, ["rollup maps source columns to sum, max, min or mean"]
    return dict(raw_rollup), []


def _parse_measure(
    raw: dict[str, Any],
    source: Any,
    columns: tuple[str, ...],
    rollup: dict[str, str],
    params: dict[str, Any],
) -> tuple[Measure | None, list[str]]:
    """The measure, checked against the columns it sees after the roll-up."""
    m = raw.get("measure")
    if not isinstance(m, dict) or m.get("kind") not in MEASURE_KINDS:
        return None, [f"measure.kind must be one of {', '.join(MEASURE_KINDS)}"]
    measure = Measure(
        kind=MeasureKind(m["kind"]),
        column=m.get("column"),
        condition=m.get("condition"),
        numerator=m.get("numerator"),
        denominator=m.get("denominator"),
        p=m.get("p"),
    )
    visible = tuple(rollup) if rollup else columns
    problems = _measure_problems(
        measure,
        visible if columns else (),
        _condition_kinds(source, visible, rollup) if columns else {},
        raw.get("id"),
        params,
    )
    return measure, problems


def _definition_from(
    raw: dict[str, Any],
    where: str,
    common: dict[str, Any],
    *,
    measure: Measure | None,
    rollup: dict[str, str],
    params: dict[str, Any],
    gap: Gap | None,
) -> MetricDefinition:
    """The definition of a checked mapping; `common` holds the fields `_problems_for` read."""
    filter_text = raw.get("filter")
    rollup_filter = raw.get("rollup_filter")
    return MetricDefinition(
        id=raw["id"],
        name=raw["name"],
        description=str(raw.get("description", "")).strip(),
        source=raw.get("source", ""),
        measure=measure,
        period=raw.get("period", "school_year") if not gap else "school_year",
        filter=str(filter_text) if filter_text is not None else None,
        rollup=rollup,
        rollup_filter=str(rollup_filter) if rollup_filter is not None else None,
        params=params,
        gap=gap,
        forecast_from=raw.get("forecast_from"),
        school_total=raw.get("school_total", "grades") if _is_published(raw.get("source")) else "",
        path=where,
        **common,
    )


def _group_value(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


# Columns of derived sources that no canonical table holds, with their types.
_DERIVED_TYPES = {"incidents": "int64", "oss_incidents": "int64"}


def _column_kinds(source: str, columns: tuple[str, ...]) -> dict[str, str]:
    """The filter-language kind of each column of a source (ANY where the type is unknown)."""
    types = dict(_DERIVED_TYPES)
    for table in reversed(SOURCES[source].tables):
        types.update({c.name: c.type for c in TABLES[table].columns})
    types.update(SOURCES[source].types)
    return {name: kind_of_type(types.get(name, "")) for name in columns}


def _condition_kinds(
    source: str, visible: tuple[str, ...], rollup: dict[str, str]
) -> dict[str, str]:
    """Kinds of the columns a measure condition sees: after the roll-up, and with the student
    group columns turned into text (yes, no, unknown) as the engine prepares them."""
    kinds = _column_kinds(source, SOURCES[source].columns)
    out = {}
    for name in visible:
        kind = kinds.get(name, ANY)
        if rollup.get(name) in ("sum", "mean"):
            kind = NUMBER
        if name in GROUP_DIMENSIONS:
            kind = TEXT
        out[name] = kind
    return out


def _expression_problem(
    part: str,
    text: str,
    kinds: dict[str, str],
    metric_id: Any = None,
    params: dict[str, Any] | None = None,
) -> str | None:
    """The problem with one expression of a definition, naming the metric and the expression."""
    try:
        parse(text, kinds, params)
    except ExpressionError as exc:
        shown = text if len(text) <= 80 else text[:77] + "..."
        metric = f"metric {metric_id}, " if isinstance(metric_id, str) and metric_id else ""
        return f"{part}: {metric}expression {shown!r}: {exc}"
    return None


def _measure_problems(
    m: Measure,
    columns: tuple[str, ...],
    kinds: dict[str, str] | None = None,
    metric_id: Any = None,
    params: dict[str, Any] | None = None,
) -> list[str]:
    problems = []
    if not columns:
        return problems
    how = m.kind.behaviour
    if how.numerator == CONDITION:
        if not m.condition:
            problems.append("a rate needs measure.condition, like performance_level >= 3")
        else:
            problem = _expression_problem(
                "measure.condition",
                m.condition if isinstance(m.condition, str) else str(m.condition),
                kinds or dict.fromkeys(columns, ANY),
                metric_id,
                params,
            )
            if problem:
                problems.append(problem)
    if how.needs_column:
        if m.column not in columns:
            problems.append(f"measure.column must be a column of the source ({', '.join(columns)})")
        if how.needs_p and not (isinstance(m.p, int | float) and 0 < m.p < 100):
            problems.append("a percentile needs measure.p between 0 and 100")
    if how.numerator == NUMERATOR:
        for part in ("numerator", "denominator"):
            if getattr(m, part) not in columns:
                problems.append(f"measure.{part} must be a column of the source")
    return problems


def definitions_dir() -> Path:
    return Path(os.environ.get("DISTRICTPM_METRICS_DIR", Path(__file__).parent / "definitions"))


def load_all(folder: Path | None = None) -> dict[str, MetricDefinition]:
    """Every definition in the folder; raise DefinitionError listing the problems of all files."""
    folder = folder or definitions_dir()
    found: dict[str, MetricDefinition] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            errors.append(f"{path.name}: cannot be read as UTF-8 text")
            continue
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: not valid YAML ({exc})")
            continue
        if all(d is None for d in docs):
            errors.append(f"{path.name}: the file holds no definition (it is empty)")
            continue
        for index, raw in enumerate(d for d in docs if d is not None):
            where = f"{path.name}" + (f" (definition {index + 1})" if len(docs) > 1 else "")
            try:
                definition = parse_definition(raw, where)
            except DefinitionError as exc:
                errors.append(str(exc))
                continue
            if definition.id in found:
                errors.append(
                    f"{where}: id {definition.id} is already defined in {found[definition.id].path}"
                )
                continue
            digest = hashlib.sha256(yaml.safe_dump(raw, sort_keys=True).encode()).hexdigest()
            found[definition.id] = _with(definition, digest=digest)
    for definition in found.values():
        if definition.forecast_from and (
            definition.forecast_from not in found
            or found[definition.forecast_from].period != "window"
        ):
            errors.append(
                f"{definition.path}: forecast_from must name a metric computed by interim window"
            )
        if definition.gap and definition.gap.metric not in found:
            errors.append(f"{definition.path}: gap metric {definition.gap.metric} is not defined")
        elif definition.gap and found[definition.gap.metric].is_gap:
            errors.append(f"{definition.path}: a gap must compare a metric, not another gap")
        elif definition.gap:
            base = found[definition.gap.metric]
            if definition.gap.dimension not in base.groups:
                errors.append(
                    f"{definition.path}: {base.id} is not computed by {definition.gap.dimension}"
                )
    if errors:
        raise DefinitionError(str(folder), errors)
    return found


def _with(definition: MetricDefinition, **changes: Any) -> MetricDefinition:
    from dataclasses import replace

    return replace(definition, **changes)
