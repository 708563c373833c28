"""A school year's evaluation framework as an Excel workbook, read and written in one layout, so
a district can download the shipped framework (or last year's), change it in a spreadsheet and
import it for a school year.

Sheets (the first row of each names the columns; other sheets, such as "Read me", are not read):
- Components: Kind, Name, Scale min, Scale max — one row per component, in the order shown.
- Indicators: Component, Code, Name, Gateway — Component is a name from the Components sheet;
  Gateway is yes or no.
- Weights: Weight set, Default, Component, Percent — one row per weight set and component; each
  weight set's percents add up to 100 and one weight set is the default.
- Levels: Order, Name, State rating, Lowest score — order 1 is the lowest level; the lowest
  scores are the cut points, from 0 and rising.

Kinds and state ratings are read by their key (`growth_individual`, `partially_effective`) or by
their label. An import is all or nothing: every bad cell is named with its sheet, row, column and
reason (core.intake's ImportFailed), and a workbook with any problem creates nothing.

Also here: the cut points of a framework changed all at once (`set_cut_points`), since moving
every level up one at a time would pass through levels out of order.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from districtpm.audit.log import record
from districtpm.core import intake
from districtpm.core.intake import ImportFailed, InputRefused, Rejected, RowError
from districtpm.core.scoping import require
from districtpm.evaluation import actions, presets, scoring, status
from districtpm.evaluation.models import (
    Component,
    Framework,
    Indicator,
    OverallLevel,
    Weight,
    WeightSet,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMNS: dict[str, list[str]] = {
    "Components": ["Kind", "Name", "Scale min", "Scale max"],
    "Indicators": ["Component", "Code", "Name", "Gateway"],
    "Weights": ["Weight set", "Default", "Component", "Percent"],
    "Levels": ["Order", "Name", "State rating", "Lowest score"],
}
# Columns a district may leave out: no codes, no gateways, the default marked on one row only.
OPTIONAL = {("Indicators", "Code"), ("Indicators", "Gateway"), ("Weights", "Default")}
MAX_ROWS = 2000  # a framework has tens of rows; more is not a framework
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# The state's ratings, lowest first: a higher level is never a lower state rating.
RATING_ORDER = [
    status.INEFFECTIVE,
    status.PARTIALLY_EFFECTIVE,
    status.EFFECTIVE,
    status.HIGHLY_EFFECTIVE,
]
CENT = Decimal("0.01")


def _key(value: Any) -> str:
    """A name as it is matched: case, spaces and underscores do not count."""
    return " ".join(str(value or "").replace("_", " ").split()).casefold()


KINDS = {_key(value): value for value in Component.Kind.values} | {
    _key(label): value for value, label in Component.Kind.choices
}
RATINGS = {_key(key): key for key in status.RATINGS} | {
    _key(label): key for key, label in status.RATINGS.items()
}


# ---------------------------------------------------------------- the framework as read


@dataclass
class ParsedIndicator:
    code: str
    name: str
    gateway: bool


@dataclass
class ParsedComponent:
    kind: str
    name: str
    scale_min: float
    scale_max: float
    indicators: list[ParsedIndicator] = field(default_factory=list)


@dataclass
class ParsedWeightSet:
    name: str
    default: bool
    shares: dict[str, Decimal]  # component name → percent


@dataclass
class ParsedLevel:
    order: int
    name: str
    state_rating: str
    min_score: float
    line: int = field(default=0, compare=False)


@dataclass
class ParsedFramework:
    """A framework's content, apart from its name and year: what a workbook holds."""

    components: list[ParsedComponent]
    weight_sets: list[ParsedWeightSet]
    levels: list[ParsedLevel]

    @classmethod
    def of(cls, framework: Framework) -> ParsedFramework:
        components = list(framework.components.prefetch_related("indicators"))
        names = {c.pk: c.name for c in components}
        return cls(
            components=[
                ParsedComponent(
                    c.kind,
                    c.name,
                    c.scale_min,
                    c.scale_max,
                    [ParsedIndicator(i.code, i.name, i.gateway) for i in c.indicators.all()],
                )
                for c in components
            ],
            weight_sets=[
                ParsedWeightSet(
                    ws.name,
                    ws.default,
                    {names[w.component_id]: w.percent for w in ws.weights.all()},
                )
                for ws in framework.weight_sets.prefetch_related("weights")
            ],
            levels=[
                ParsedLevel(lv.order, lv.name, lv.state_rating, lv.min_score)
                for lv in framework.levels.all()
            ],
        )

    @classmethod
    def preset(cls) -> ParsedFramework:
        """The framework District PM ships (presets.py), as create_from_preset makes it."""
        names = {kind: title for kind, title, _, _ in presets.COMPONENTS}
        return cls(
            components=[
                ParsedComponent(
                    kind,
                    title,
                    float(low),
                    float(high),
                    [ParsedIndicator(code, text, gateway) for code, text, gateway in indicators],
                )
                for kind, title, (low, high), indicators in presets.COMPONENTS
            ],
            weight_sets=[
                ParsedWeightSet(
                    title, default, {names[kind]: Decimal(p) for kind, p in shares.items()}
                )
                for title, default, shares in presets.WEIGHT_SETS
            ],
            levels=[ParsedLevel(o, n, r, float(m)) for o, n, r, m in presets.LEVELS],
        )


# ---------------------------------------------------------------- reading a workbook


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _shown(value: Any) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:40] + "…"


class _Reader:
    """Reads the four sheets and collects every problem before anything is saved."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.problems: list[RowError] = []
        self.letters: dict[str, dict[str, str]] = {}  # sheet → column name → its letter
        self.sheets = {ws.title.strip().casefold(): ws for ws in book.worksheets}

    def bad(self, sheet: str, line: int | None, reason: str, column: str = "") -> None:
        letter = self.letters.get(sheet, {}).get(column, "") if column else ""
        self.problems.append(RowError(sheet, line, reason, letter))

    def rows(self, sheet: str) -> list[tuple[int, dict[str, Any]]] | None:
        """(row number, {column: value}) for each non-empty row; None when the sheet is missing
        or its header row unusable (the problem is reported)."""
        from openpyxl.utils import get_column_letter

        found = self.sheets.get(sheet.casefold())
        if found is None:
            self.bad(sheet, None, f"The workbook has no sheet named “{sheet}”.")
            return None
        found.reset_dimensions()  # read every row, whatever size the file declares
        values = found.iter_rows(values_only=True)
        header = next(values, None)
        if header is None or all(_text(h) == "" for h in header):
            return []
        wanted = {_key(c): c for c in COLUMNS[sheet]}
        positions: dict[str, int] = {}
        for index, heading in enumerate(header):
            column = wanted.get(_key(heading))
            if column is None:
                continue  # a column of notes is the district's own
            if column in positions:
                self.bad(
                    sheet,
                    1,
                    f"The column “{column}” is there twice (columns "
                    f"{get_column_letter(positions[column] + 1)} and "
                    f"{get_column_letter(index + 1)}); keep one.",
                )
                return None
            positions[column] = index
        missing = [c for c in COLUMNS[sheet] if c not in positions and (sheet, c) not in OPTIONAL]
        if missing:
            self.bad(
                sheet,
                1,
                f"The first row names the columns {', '.join(COLUMNS[sheet])}; "
                f"missing: {', '.join(missing)}.",
            )
            return None
        self.letters[sheet] = {c: get_column_letter(i + 1) for c, i in positions.items()}
        out = []
        for line, cells in enumerate(values, start=2):
            if line - 1 > MAX_ROWS:
                self.bad(
                    sheet, None, f"The sheet has more than {MAX_ROWS:,} rows; it was not read."
                )
                return None
            if all(_text(v) == "" for v in cells):
                continue
            row = {c: cells[i] if i < len(cells) else None for c, i in positions.items()}
            fine = True
            for column, value in row.items():
                if isinstance(value, str):
                    reason = intake.check_field(value, name=sheet, line=line, column=column)
                    if reason:
                        self.bad(sheet, line, f"The {reason}.", column)
                        fine = False
            if fine:
                out.append((line, row))
        return out

    # -- cells

    def name(self, sheet: str, line: int, column: str, value: Any, limit: int, what: str) -> str:
        text = _text(value)
        if not text:
            self.bad(sheet, line, f"The {what} needs a name.", column)
        elif len(text) > limit:
            self.bad(sheet, line, f"A {what}'s name may be at most {limit} characters.", column)
            return ""
        return text

    def number(self, sheet: str, line: int, column: str, value: Any) -> float | None:
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = float(value)
        else:
            try:
                number = float(_text(value))
            except ValueError:
                number = None
        if number is None or not intake.finite(number):
            shown = _shown(value)
            self.bad(
                sheet,
                line,
                f"“{shown}” is not a number." if shown else f"{column} is empty; give a number.",
                column,
            )
            return None
        return number

    def percent(self, sheet: str, line: int, column: str, value: Any) -> Decimal | None:
        try:
            percent = None if isinstance(value, bool) else Decimal(_text(value))
        except InvalidOperation:
            percent = None
        if percent is None or not percent.is_finite():
            shown = _shown(value)
            self.bad(
                sheet,
                line,
                f"“{shown}” is not a number." if shown else "Percent is empty; give a number.",
                column,
            )
            return None
        if not 0 <= percent <= 100:
            self.bad(sheet, line, f"A weight is from 0 to 100 percent, not {percent}.", column)
            return None
        if percent != percent.quantize(CENT):
            self.bad(sheet, line, "A weight has at most two decimal places.", column)
            return None
        return percent

    def yes_no(
        self, sheet: str, line: int, column: str, value: Any, blank: bool | None
    ) -> bool | None:
        if isinstance(value, bool):
            return value
        text = _key(value)
        if not text:
            return blank
        if text in YES:
            return True
        if text in NO:
            return False
        self.bad(sheet, line, f"Write yes or no, not “{_shown(value)}”.", column)
        return None

    # -- sheets

    def components(self) -> tuple[dict[str, ParsedComponent], set[str]]:
        """The good components by key, and every name the sheet gives (good or not), so a
        component with a bad cell is reported once, not again on every sheet naming it."""
        sheet = "Components"
        rows = self.rows(sheet)
        good: dict[str, ParsedComponent] = {}
        named: set[str] = set()
        seen: dict[str, int] = {}
        for line, row in rows or []:
            before = len(self.problems)
            kind = KINDS.get(_key(row["Kind"]))
            if kind is None:
                self.bad(
                    sheet,
                    line,
                    f"“{_shown(row['Kind'])}” is not a kind of component; use one of "
                    f"{', '.join(Component.Kind.values)}.",
                    "Kind",
                )
            name = self.name(sheet, line, "Name", row["Name"], 200, "component")
            if name and _key(name) in seen:
                self.bad(
                    sheet,
                    line,
                    f"“{name}” is on row {seen[_key(name)]} too; each component has its own name.",
                    "Name",
                )
            if name:
                named.add(_key(name))
                seen.setdefault(_key(name), line)
            low = self.number(sheet, line, "Scale min", row["Scale min"])
            high = self.number(sheet, line, "Scale max", row["Scale max"])
            if low is not None and high is not None and high <= low:
                self.bad(
                    sheet,
                    line,
                    f"The scale runs upward: its highest score ({high:g}) must be above its "
                    f"lowest ({low:g}).",
                    "Scale max",
                )
            if len(self.problems) == before:
                good[_key(name)] = ParsedComponent(kind, name, low, high)
        if rows == []:
            self.bad(sheet, None, "The sheet names no component; a framework needs one at least.")
        return good, named

    def component(
        self, sheet: str, line: int, value: Any, named: set[str]
    ) -> tuple[bool, str | None]:
        """Whether the cell names a component of the Components sheet, and its key."""
        text = _text(value)
        if not text:
            self.bad(sheet, line, "Name the component (as on the Components sheet).", "Component")
            return False, None
        if _key(text) not in named:
            self.bad(sheet, line, f"“{_shown(text)}” is not on the Components sheet.", "Component")
            return False, None
        return True, _key(text)

    def indicators(self, components: dict[str, ParsedComponent], named: set[str]) -> None:
        sheet = "Indicators"
        codes: dict[tuple[str, str], int] = {}
        for line, row in self.rows(sheet) or []:
            before = len(self.problems)
            _, key = self.component(sheet, line, row["Component"], named)
            code = _text(row.get("Code"))
            if len(code) > 20:
                self.bad(sheet, line, "A code may be at most 20 characters.", "Code")
            elif code and key and (key, code.casefold()) in codes:
                self.bad(
                    sheet,
                    line,
                    f"The code {code} is on row {codes[(key, code.casefold())]} too, in the same "
                    "component.",
                    "Code",
                )
            elif code and key:
                codes[(key, code.casefold())] = line
            name = self.name(sheet, line, "Name", row["Name"], 300, "indicator")
            gateway = self.yes_no(sheet, line, "Gateway", row.get("Gateway"), blank=False)
            if len(self.problems) == before and key in components:
                components[key].indicators.append(ParsedIndicator(code, name, bool(gateway)))

    def weight_sets(
        self, components: dict[str, ParsedComponent], named: set[str]
    ) -> list[ParsedWeightSet]:
        sheet = "Weights"
        rows = self.rows(sheet)
        sets: dict[str, dict[str, Any]] = {}
        for line, row in rows or []:
            before = len(self.problems)
            set_name = self.name(sheet, line, "Weight set", row["Weight set"], 200, "weight set")
            default = self.yes_no(sheet, line, "Default", row.get("Default"), blank=None)
            _, key = self.component(sheet, line, row["Component"], named)
            percent = self.percent(sheet, line, "Percent", row["Percent"])
            if not set_name:
                continue
            ws = sets.setdefault(
                _key(set_name),
                {"name": set_name, "default": None, "shares": {}, "lines": [], "broken": False},
            )
            ws["lines"].append(line)
            if default is not None:
                if ws["default"] is not None and ws["default"] != default:
                    self.bad(
                        sheet,
                        line,
                        f"“{ws['name']}” is marked the default on one row and not on another; "
                        "mark its rows the same (or only one of them).",
                        "Default",
                    )
                ws["default"] = ws["default"] or default
            if key in components and percent is not None:
                component = components[key].name
                if component in ws["shares"]:
                    self.bad(
                        sheet,
                        line,
                        f"“{ws['name']}” weighs {component} twice; keep one row.",
                        "Component",
                    )
                ws["shares"][component] = percent
            if len(self.problems) != before or key not in components:
                ws["broken"] = True
        for ws in sets.values():
            if ws["broken"]:
                continue  # its bad rows are named; a total of the good ones would mislead
            try:
                scoring.check_weights(ws["shares"])
            except ValidationError:
                total = sum(ws["shares"].values(), Decimal(0))
                lines = ws["lines"]
                where = f"row {lines[0]}" if len(lines) == 1 else f"rows {lines[0]}–{lines[-1]}"
                self.bad(
                    sheet,
                    None,
                    f"The weights of “{ws['name']}” ({where}) add up to {_percent(total)}%; "
                    "a weight set's weights add up to 100%.",
                    "Percent",
                )
        if rows == []:
            self.bad(sheet, None, "The sheet names no weight set; a framework needs one at least.")
        defaults = [ws["name"] for ws in sets.values() if ws["default"]]
        if len(sets) == 1 and not defaults:
            next(iter(sets.values()))["default"] = True  # the only one is the default
        elif len(sets) > 1 and not defaults:
            self.bad(
                sheet,
                None,
                "Mark one weight set as the default (yes in the Default column): a new "
                "evaluation gets it.",
                "Default",
            )
        elif len(defaults) > 1:
            self.bad(
                sheet,
                None,
                f"Only one weight set is the default; {_and(defaults)} are all marked yes.",
                "Default",
            )
        return [
            ParsedWeightSet(ws["name"], bool(ws["default"]), ws["shares"]) for ws in sets.values()
        ]

    def levels(self) -> list[ParsedLevel]:
        sheet = "Levels"
        rows = self.rows(sheet)
        out: list[ParsedLevel] = []
        orders: dict[int, int] = {}
        names: dict[str, int] = {}
        broken = False
        for line, row in rows or []:
            before = len(self.problems)
            order = self.number(sheet, line, "Order", row["Order"])
            if order is not None and (not order.is_integer() or not 1 <= order <= 1000):
                self.bad(sheet, line, "The order is a whole number from 1 (the lowest).", "Order")
            elif order is not None and int(order) in orders:
                self.bad(
                    sheet, line, f"Order {int(order)} is on row {orders[int(order)]} too.", "Order"
                )
            elif order is not None:
                orders[int(order)] = line
            name = self.name(sheet, line, "Name", row["Name"], 100, "level")
            if name and _key(name) in names:
                self.bad(sheet, line, f"“{name}” is on row {names[_key(name)]} too.", "Name")
            elif name:
                names[_key(name)] = line
            rating = RATINGS.get(_key(row["State rating"]))
            if rating is None:
                self.bad(
                    sheet,
                    line,
                    f"“{_shown(row['State rating'])}” is not a state rating; use one of "
                    f"{_and(status.RATINGS.values(), 'or')}.",
                    "State rating",
                )
            score = self.number(sheet, line, "Lowest score", row["Lowest score"])
            if score is not None and not 0 <= score <= 100:
                self.bad(
                    sheet,
                    line,
                    f"A cut point is a score from 0 to 100, not {score:g}.",
                    "Lowest score",
                )
            if len(self.problems) == before:
                out.append(ParsedLevel(int(order), name, rating, score, line))
            else:
                broken = True
        if rows == []:
            self.bad(sheet, None, "The sheet names no level; a framework needs one at least.")
        if not broken:
            self._order_levels(sheet, out)
        return out

    def _order_levels(self, sheet: str, levels: list[ParsedLevel]) -> None:
        """The rules of scoring.check_levels, reported on the row that breaks them; and a
        higher level is never a lower state rating."""
        ordered = sorted(levels, key=lambda lv: lv.order)
        if ordered and ordered[0].min_score != 0:
            self.bad(
                sheet,
                ordered[0].line,
                f"The lowest level, “{ordered[0].name}”, starts at a score of 0, not "
                f"{ordered[0].min_score:g}.",
                "Lowest score",
            )
        for lower, higher in zip(ordered, ordered[1:], strict=False):
            if higher.min_score <= lower.min_score:
                self.bad(
                    sheet,
                    higher.line,
                    f"“{higher.name}” must start at a higher score than “{lower.name}” "
                    f"(row {lower.line}, from {lower.min_score:g}).",
                    "Lowest score",
                )
            if RATING_ORDER.index(higher.state_rating) < RATING_ORDER.index(lower.state_rating):
                self.bad(
                    sheet,
                    higher.line,
                    f"“{higher.name}” is above “{lower.name}” (row {lower.line}) but is a lower "
                    f"state rating ({status.RATINGS[higher.state_rating]}, below "
                    f"{status.RATINGS[lower.state_rating]}).",
                    "State rating",
                )

    def framework(self) -> ParsedFramework:
        components, named = self.components()
        self.indicators(components, named)
        weight_sets = self.weight_sets(components, named)
        levels = self.levels()
        return ParsedFramework(list(components.values()), weight_sets, levels)


def _percent(value: Decimal) -> str:
    """45, 12.5, 33.33: a percent without trailing zeros (and never 1E+2)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _and(names: Any, word: str = "and") -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def _refused(where: str, reason: str) -> ImportFailed:
    return ImportFailed(Rejected([RowError(where, None, reason)]))


def read_workbook(data: bytes, *, name: str = "the workbook") -> ParsedFramework:
    """The framework a workbook holds; ImportFailed naming every bad cell when it has any."""
    from openpyxl import load_workbook

    shown = intake.display_name(name)
    try:
        # size, zip, expanded size and entity declarations, before openpyxl parses anything
        intake.check_xlsx(data, name=shown)
    except InputRefused as exc:
        raise _refused(shown, str(exc)) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise _refused(
            shown, f"{shown} could not be read as a workbook; save it as .xlsx."
        ) from None
    try:
        reader = _Reader(book)
        parsed = reader.framework()
    except (
        KeyError,
        ValueError,
        TypeError,
        SyntaxError,
        EOFError,
        OSError,
        zipfile.BadZipFile,
        zlib.error,
    ):
        # a sheet damaged past its first rows: openpyxl reads lazily
        raise _refused(shown, f"{shown} is damaged; save it again from Excel.") from None
    finally:
        book.close()
    if reader.problems:
        raise ImportFailed(Rejected(reader.problems))
    return parsed


NAME = "Framework name"  # where a problem with the name given beside the file is reported


def import_framework(
    data: bytes,
    school_year: Any,
    *,
    name: str,
    acting_user: Any,
    file_name: str = "the workbook",
    source: str = "web",
) -> Framework:
    """A new framework for the school year from a workbook, checked and audited as one; or
    ImportFailed naming every problem, having written nothing."""
    require(acting_user, Framework, message=actions.SETTERS)
    name = " ".join((name or "").split())
    problems: list[RowError] = []
    if not name:
        problems.append(RowError(NAME, None, "The framework needs a name."))
    elif len(name) > 200:
        problems.append(RowError(NAME, None, "A framework's name may be at most 200 characters."))
    elif Framework.objects.filter(school_year=school_year, name__iexact=name).exists():
        problems.append(_taken(school_year, name))
    try:
        parsed = read_workbook(data, name=file_name)
    except ImportFailed as failure:
        problems += failure.outcome.errors
    if problems:
        raise ImportFailed(Rejected(problems))
    try:
        return _save(parsed, school_year, name, acting_user, intake.display_name(file_name), source)
    except IntegrityError:  # the same name saved a moment ago by someone else
        raise ImportFailed(Rejected([_taken(school_year, name)])) from None


def _taken(school_year: Any, name: str) -> RowError:
    return RowError(
        NAME, None, f"{school_year} has a framework called {name} already; choose another name."
    )


@transaction.atomic
def _save(
    parsed: ParsedFramework, school_year: Any, name: str, acting_user: Any, shown: str, source: str
) -> Framework:
    framework = Framework.objects.create(school_year=school_year, name=name)
    by_name: dict[str, Component] = {}
    for order, pc in enumerate(parsed.components):
        component = Component.objects.create(
            framework=framework,
            kind=pc.kind,
            name=pc.name,
            order=order,
            scale_min=pc.scale_min,
            scale_max=pc.scale_max,
        )
        by_name[pc.name] = component
        Indicator.objects.bulk_create(
            Indicator(component=component, code=i.code, name=i.name, gateway=i.gateway, order=n)
            for n, i in enumerate(pc.indicators)
        )
    for pw in parsed.weight_sets:
        ws = WeightSet.objects.create(framework=framework, name=pw.name, default=pw.default)
        Weight.objects.bulk_create(
            Weight(weight_set=ws, component=by_name[c], percent=p) for c, p in pw.shares.items()
        )
    OverallLevel.objects.bulk_create(
        OverallLevel(
            framework=framework,
            order=lv.order,
            name=lv.name,
            state_rating=lv.state_rating,
            min_score=lv.min_score,
        )
        for lv in parsed.levels
    )
    actions._check(framework)
    record(
        actor=acting_user,
        action="evaluation.framework.import",
        obj=framework,
        after={"file": shown, **actions._describe(framework)},
        source=source,
    )
    return framework


# ---------------------------------------------------------------- writing a workbook


def _number(value: Any) -> Any:
    """45 rather than 45.0 or Decimal('45.00'): what a person would type."""
    number = float(value)
    return int(number) if number.is_integer() else number


def write_workbook(parsed: ParsedFramework, *, title: str) -> bytes:
    """The framework in the layout read_workbook reads back. Every text cell goes through
    core.cells.append_row, so a name that looks like a formula is stored as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from districtpm.core.cells import append_row

    book = Workbook()
    about = book.active
    about.title = "Read me"
    for line in [
        [f"{title}: the evaluation framework"],
        ["Change the four sheets and import the workbook for a school year on the "],
        ["framework page (Import from a workbook). This sheet is not read."],
        [],
        ["Components: one row per component, in the order shown; the scale is its lowest"],
        ["and highest score."],
        ["Indicators: one row per indicator; Component is a name on the Components sheet;"],
        ["Gateway is yes or no."],
        ["Weights: one row per weight set and component, in percent; each weight set's rows"],
        ["add up to 100, and one weight set is the default (yes)."],
        ["Levels: one row per overall rating, order 1 the lowest; the lowest score is the"],
        ["cut point (0 to 100), from 0 and rising."],
        [],
        ["Kinds of component", "Meaning"],
        *[[value, label] for value, label in Component.Kind.choices],
        [],
        ["State ratings", "Meaning"],
        *[[key, label] for key, label in reversed(status.RATINGS.items())],
    ]:
        append_row(about, line)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 40
    sheets: dict[str, list[list[Any]]] = {
        "Components": [
            [c.kind, c.name, _number(c.scale_min), _number(c.scale_max)] for c in parsed.components
        ],
        "Indicators": [
            [c.name, i.code, i.name, "yes" if i.gateway else "no"]
            for c in parsed.components
            for i in c.indicators
        ],
        "Weights": [
            [ws.name, "yes" if ws.default else "no", component, _number(percent)]
            for ws in parsed.weight_sets
            for component, percent in ws.shares.items()
        ],
        "Levels": [
            [lv.order, lv.name, lv.state_rating, _number(lv.min_score)] for lv in parsed.levels
        ],
    }
    widths = {"Components": [20, 40, 10, 10], "Indicators": [40, 8, 60, 10]}
    widths |= {"Weights": [30, 10, 40, 10], "Levels": [8, 24, 22, 14]}
    for sheet_title, rows in sheets.items():
        sheet = book.create_sheet(sheet_title)
        append_row(sheet, COLUMNS[sheet_title])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            append_row(sheet, row)
        for letter, width in zip("ABCD", widths[sheet_title], strict=True):
            sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_framework(framework: Framework) -> bytes:
    return write_workbook(ParsedFramework.of(framework), title=str(framework))


def export_preset() -> bytes:
    return write_workbook(ParsedFramework.preset(), title="The framework District PM ships")


# ---------------------------------------------------------------- cut points, all at once


@transaction.atomic
def set_cut_points(
    framework: Framework, cuts: dict[OverallLevel, float], *, acting_user: Any
) -> Framework:
    """Several levels' lowest scores at once, checked together (scoring.check_levels), so
    every level can move up without passing through an order that is refused; one audit row."""
    require(acting_user, framework, message=actions.SETTERS)
    actions._open(framework)
    if any(level.framework_id != framework.pk for level in cuts):
        raise ValidationError("A framework's cut points are its own levels'.")
    levels = list(framework.levels.all())
    before = {lv.name: lv.min_score for lv in levels}
    moved = {level.pk: float(score) for level, score in cuts.items()}
    for lv in levels:
        if lv.pk in moved:
            if not intake.finite(moved[lv.pk]) or not 0 <= moved[lv.pk] <= 100:
                raise ValidationError(f"“{lv.name}” starts at a score from 0 to 100.")
            lv.min_score = moved[lv.pk]
    scoring.check_levels(levels)
    OverallLevel.objects.bulk_update(levels, ["min_score"])
    record(
        actor=acting_user,
        action="evaluation.levels.change",
        obj=framework,
        before=before,
        after={lv.name: lv.min_score for lv in levels},
    )
    return framework
