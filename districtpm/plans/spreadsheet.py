"""A strategic plan as an Excel workbook, for import and export.

Sheets (the first row of each holds the column names):
- Plan: two columns, field and value: name, first_year, last_year, vision, theory_of_action.
- Priorities: order, name, description, owner.
- Goals: priority, statement, metric, level, entity, group_dim, group_value, baseline_year,
  baseline_value, goal_year, tolerance, leading_metrics, then one column per school year
  ("2027-2028") holding that year's target.
- Initiatives: priority, name, description, owner, leading_metrics.
- Actions: initiative, name, milestone, owner, due_date, status.

Owners are usernames; leading metrics are metric ids separated by commas. An import is
all-or-nothing: every bad row is reported with its sheet, line and reason, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.audit.log import record, snapshot
from districtpm.core import intake
from districtpm.core.intake import RowError
from districtpm.core.scoping import require
from districtpm.metrics.models import Metric
from districtpm.org.models import Network, School
from districtpm.plans.actions import PLAN_NOTE
from districtpm.plans.forms import _school_year
from districtpm.plans.models import Goal, Initiative, KeyAction, Plan, Priority, Target

PLAN_FIELDS = ["name", "first_year", "last_year", "vision", "theory_of_action"]
PRIORITY_COLUMNS = ["order", "name", "description", "owner"]
GOAL_COLUMNS = [
    "priority",
    "statement",
    "metric",
    "level",
    "entity",
    "group_dim",
    "group_value",
    "baseline_year",
    "baseline_value",
    "goal_year",
    "tolerance",
    "leading_metrics",
]
INITIATIVE_COLUMNS = ["priority", "name", "description", "owner", "leading_metrics"]
ACTION_COLUMNS = ["initiative", "name", "milestone", "owner", "due_date", "status", "resources"]
REQUIRED = {
    "Priorities": {"name"},
    "Goals": {"statement", "metric", "baseline_year", "baseline_value", "goal_year"},
    "Initiatives": {"priority", "name"},
    "Actions": {"initiative", "name"},
}


class PlanImportError(intake.ImportFailed):
    """A workbook that created nothing; `problems` names every bad row."""

    def __init__(self, problems: list[intake.RowError]) -> None:
        super().__init__(intake.Rejected(problems))
        self.problems = problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _TooLong(Exception):
    """A sheet with more rows than the row limit; the import stops reading."""


def _sheet_rows(book, sheet: str):
    """(line, values) for each row of a sheet, refusing a sheet over the row limit."""
    cap = intake.limits().max_rows
    declared = book[sheet].max_row  # from the sheet's dimension, before any row is read
    if isinstance(declared, int) and declared - 1 > cap:
        raise _TooLong(sheet)
    for line, values in enumerate(book[sheet].iter_rows(values_only=True), start=1):
        if line - 1 > cap:
            raise _TooLong(sheet)
        yield line, values


def _field_problem(sheet: str, line: int, column: str, value: Any) -> RowError | None:
    """A RowError for a cell that is too long or holds control characters, else None."""
    if not isinstance(value, str):
        return None
    reason = intake.check_field(value, name=sheet, line=line, column=column)
    return RowError(sheet, line, f"{column}: {reason}.") if reason else None


def _rows(book, sheet: str, problems: list[RowError], optional: bool = False):
    """(line, {column: value}) for each non-empty row of a sheet."""
    if sheet not in book.sheetnames:
        if not optional:
            problems.append(RowError(sheet, None, f"The workbook has no sheet named {sheet!r}."))
        return []
    rows = _sheet_rows(book, sheet)
    first = next(rows, None)
    if first is None:
        return []
    names = [_text(h).lower() for h in first[1]]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name and name in seen:  # which of the two would be read is a guess: refuse
            problems.append(
                RowError(
                    sheet,
                    1,
                    f"The column {name!r} appears twice (columns {seen[name]} and {position}); "
                    "keep only one.",
                )
            )
            return []
        seen.setdefault(name, position)
    missing = REQUIRED.get(sheet, set()) - set(names)
    if missing:
        problems.append(RowError(sheet, 1, f"Missing column(s): {', '.join(sorted(missing))}."))
        return []
    out = []
    for line, values in rows:
        if all(_text(v) == "" for v in values):
            continue
        row = {n: v for n, v in zip(names, values, strict=False) if n}
        bad = [p for n, v in row.items() if (p := _field_problem(sheet, line, n, v))]
        if bad:
            problems.extend(bad)
            continue
        out.append((line, row))
    return out


class _Reader:
    """Checks a workbook row by row and collects every problem before anything is saved."""

    def __init__(self, book) -> None:
        self.book = book
        self.problems: list[RowError] = []
        self.users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
        self.metrics = {m.id: m for m in Metric.objects.filter(active=True)}
        self.schools = set(School.objects.values_list("code", flat=True))
        self.networks = set(Network.objects.values_list("code", flat=True))

    def bad(self, sheet: str, line: int | None, reason: str) -> None:
        self.problems.append(RowError(sheet, line, reason))

    def year(self, sheet: str, line: int, column: str, value: Any) -> str | None:
        try:
            return _school_year(_text(value))
        except forms.ValidationError:
            self.bad(sheet, line, f"{column} {_text(value)!r} is not a school year like 2027-2028.")
            return None

    def number(self, sheet: str, line: int, column: str, value: Any) -> float | None:
        text = _text(value)
        shown = text if len(text) <= 40 else text[:40] + "…"
        try:
            number = float(text)
        except ValueError:
            self.bad(sheet, line, f"{column} {shown!r} is not a number.")
            return None
        if not intake.finite(number):  # "inf", "nan" or more digits than a float holds
            self.bad(sheet, line, f"{column} {shown!r} is not a finite number.")
            return None
        return number

    def owner(self, sheet: str, line: int, value: Any):
        name = _text(value)
        if not name:
            return None
        if name not in self.users:
            self.bad(sheet, line, f"owner {name!r} is not an active user.")
        return self.users.get(name)

    def metric_list(self, sheet: str, line: int, value: Any) -> list[Metric]:
        ids = [p.strip() for p in _text(value).split(",") if p.strip()]
        unknown = [i for i in ids if i not in self.metrics]
        if unknown:
            self.bad(sheet, line, f"unknown leading metric(s): {', '.join(unknown)}.")
        return [self.metrics[i] for i in ids if i in self.metrics]

    def plan(self) -> dict[str, str]:
        sheet = "Plan"
        data: dict[str, str] = {}
        if sheet not in self.book.sheetnames:
            self.bad(sheet, None, "The workbook has no sheet named 'Plan'.")
            return data
        for line, row in _sheet_rows(self.book, sheet):
            key = _text(row[0] if row else "").lower()
            if problem := _field_problem(sheet, line, "value", row[1] if len(row) > 1 else None):
                self.problems.append(problem)
                continue
            value = _text(row[1] if row and len(row) > 1 else "")
            if key in PLAN_FIELDS:
                data[key] = value
            elif key and key != "field":
                self.bad(sheet, line, f"{key!r} is not a plan field ({', '.join(PLAN_FIELDS)}).")
        if not data.get("name"):
            self.bad(sheet, None, "The plan needs a name.")
        elif Plan.objects.filter(name=data["name"]).exists():
            self.bad(sheet, None, f"A plan named {data['name']!r} exists already.")
        for key in ("first_year", "last_year"):
            if not data.get(key):
                self.bad(sheet, None, f"The plan needs a {key}.")
            elif (year := self.year(sheet, None, key, data[key])) is not None:
                data[key] = year
        return data

    def priorities(self) -> list[dict]:
        out, seen = [], set()
        for line, row in _rows(self.book, "Priorities", self.problems):
            name = _text(row.get("name"))
            if not name:
                self.bad("Priorities", line, "name is empty.")
                continue
            if name in seen:
                self.bad("Priorities", line, f"priority {name!r} appears twice.")
            seen.add(name)
            order = _text(row.get("order")) or str(len(out) + 1)
            if not order.isdigit():
                self.bad("Priorities", line, f"order {order!r} is not a whole number.")
                order = "0"
            out.append(
                {
                    "name": name,
                    "order": int(order),
                    "description": _text(row.get("description")),
                    "owner": self.owner("Priorities", line, row.get("owner")),
                }
            )
        return out

    def goals(self, priorities: set[str]) -> list[dict]:
        out = []
        for line, row in _rows(self.book, "Goals", self.problems):
            s = "Goals"
            priority = _text(row.get("priority"))
            if priority and priority not in priorities:
                self.bad(s, line, f"priority {priority!r} is not on the Priorities sheet.")
            statement = _text(row.get("statement"))
            if not statement:
                self.bad(s, line, "statement is empty.")
            metric = self.metrics.get(_text(row.get("metric")))
            if metric is None:
                self.bad(s, line, f"metric {_text(row.get('metric'))!r} is not a known metric.")
            level = _text(row.get("level")).lower() or "district"
            entity = _text(row.get("entity")) or "district"
            if level not in Goal.Level.values:
                self.bad(s, line, f"level {level!r} must be district, network or school.")
            elif level == "district":
                entity = "district"
            elif level == "school" and entity not in self.schools:
                self.bad(s, line, f"there is no school with code {entity!r}.")
            elif level == "network" and entity not in self.networks:
                self.bad(s, line, f"there is no network with code {entity!r}.")
            if metric is not None and level in Goal.Level.values and level not in metric.levels:
                self.bad(s, line, f"{metric.name} is not computed for a {level}.")
            dim = _text(row.get("group_dim")) or "all"
            value = _text(row.get("group_value")) or "all"
            if dim != "all" and dim not in GROUP_DIMENSIONS:
                self.bad(s, line, f"group_dim {dim!r} is not a student group dimension.")
            base_year = self.year(s, line, "baseline_year", row.get("baseline_year"))
            goal_year = self.year(s, line, "goal_year", row.get("goal_year"))
            base = self.number(s, line, "baseline_value", row.get("baseline_value"))
            tolerance = (
                self.number(s, line, "tolerance", row.get("tolerance"))
                if _text(row.get("tolerance"))
                else 0.02
            )
            targets = {}
            for column, cell in row.items():
                if column[:4].isdigit() and _text(cell):
                    year = self.year(s, line, "target year", column)
                    number = self.number(s, line, f"target for {column}", cell)
                    if year and number is not None:
                        targets[year] = number
            if base_year and goal_year:
                if goal_year <= base_year:
                    self.bad(s, line, "the goal year must come after the baseline year.")
                elif goal_year not in targets:
                    self.bad(s, line, f"there is no target for the goal year {goal_year}.")
                outside = sorted(y for y in targets if not (base_year < y <= goal_year))
                if outside:
                    self.bad(s, line, f"targets outside the baseline-to-goal span: {outside}.")
            out.append(
                {
                    "priority": priority,
                    "statement": statement,
                    "metric": metric,
                    "level": level,
                    "entity_code": entity,
                    "group_dim": dim,
                    "group_value": value if dim != "all" else "all",
                    "baseline_year": base_year,
                    "baseline_value": base,
                    "goal_year": goal_year,
                    "tolerance": tolerance,
                    "leading": self.metric_list(s, line, row.get("leading_metrics")),
                    "targets": targets,
                }
            )
        return out

    def initiatives(self, priorities: set[str]) -> list[dict]:
        out, seen = [], set()
        for line, row in _rows(self.book, "Initiatives", self.problems, optional=True):
            priority, name = _text(row.get("priority")), _text(row.get("name"))
            if priority not in priorities:
                self.bad(
                    "Initiatives", line, f"priority {priority!r} is not on the Priorities sheet."
                )
            if not name:
                self.bad("Initiatives", line, "name is empty.")
            elif name in seen:
                self.bad("Initiatives", line, f"initiative {name!r} appears twice.")
            seen.add(name)
            out.append(
                {
                    "priority": priority,
                    "name": name,
                    "description": _text(row.get("description")),
                    "owner": self.owner("Initiatives", line, row.get("owner")),
                    "leading": self.metric_list("Initiatives", line, row.get("leading_metrics")),
                }
            )
        return out

    def actions(self, initiatives: set[str]) -> list[dict]:
        out = []
        statuses = dict((label.lower(), code) for code, label in KeyAction.Status.choices)
        statuses.update({code: code for code in KeyAction.Status.values})
        for line, row in _rows(self.book, "Actions", self.problems, optional=True):
            s = "Actions"
            initiative, name = _text(row.get("initiative")), _text(row.get("name"))
            if initiative not in initiatives:
                self.bad(s, line, f"initiative {initiative!r} is not on the Initiatives sheet.")
            if not name:
                self.bad(s, line, "name is empty.")
            due = row.get("due_date")
            if isinstance(due, dt.datetime):
                due = due.date()
            elif _text(due):
                try:
                    due = dt.date.fromisoformat(_text(due))
                except ValueError:
                    self.bad(s, line, f"due_date {_text(due)!r} is not a date like 2027-03-31.")
                    due = None
            else:
                due = None
            status = _text(row.get("status")).lower() or "not_started"
            if status not in statuses:
                self.bad(s, line, f"status {status!r} must be one of {', '.join(statuses)}.")
            resources = _text(row.get("resources"))
            limit = KeyAction._meta.get_field("resources").max_length
            if len(resources) > limit:
                self.bad(s, line, f"resources is longer than {limit} characters.")
            out.append(
                {
                    "initiative": initiative,
                    "name": name,
                    "milestone": _text(row.get("milestone")).lower() in {"yes", "y", "true", "1"},
                    "owner": self.owner(s, line, row.get("owner")),
                    "due_date": due,
                    "status": statuses.get(status, "not_started"),
                    "resources": resources,
                }
            )
        return out


def import_plan(data: bytes, *, acting_user: Any, name: str = "The file") -> Plan:
    """Create a plan from a workbook, or raise PlanImportError naming every bad row."""
    from openpyxl import load_workbook

    require(acting_user, Plan, message=PLAN_NOTE)
    try:
        # size, zip, expanded size and entity declarations, before openpyxl parses anything
        intake.check_xlsx(data, name=name)
    except intake.InputRefused as exc:
        raise PlanImportError([RowError("file", None, str(exc))]) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise PlanImportError(
            [RowError("file", None, "Not an Excel workbook that can be read; save it as .xlsx.")]
        ) from None
    try:
        reader = _Reader(book)
        plan_data = reader.plan()
        priorities = reader.priorities()
        names = {p["name"] for p in priorities}
        goals = reader.goals(names)
        initiatives = reader.initiatives(names)
        actions = reader.actions({i["name"] for i in initiatives})
    except _TooLong as exc:
        cap = intake.limits().max_rows
        raise PlanImportError(
            [RowError(str(exc), None, f"The sheet has more than {cap:,} rows; nothing was read.")]
        ) from None
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
        # a sheet damaged past its first rows (openpyxl reads lazily); XML errors are
        # SyntaxErrors, zip errors OSErrors or ValueErrors
        raise PlanImportError(
            [RowError("file", None, "The workbook is damaged; save it again from Excel.")]
        ) from None
    finally:
        book.close()
    if reader.problems:
        raise PlanImportError(reader.problems)
    return _save(plan_data, priorities, goals, initiatives, actions, acting_user)


@transaction.atomic
def _save(plan_data, priorities, goals, initiatives, actions, user) -> Plan:
    plan = Plan.objects.create(**plan_data)
    record(actor=user, action="plans.plan.import", obj=plan, after=snapshot(plan), source="import")
    by_name = {}
    for p in priorities:
        by_name[p["name"]] = Priority.objects.create(plan=plan, **p)
    for g in goals:
        goal = Goal.objects.create(
            plan=plan,
            priority=by_name.get(g["priority"]),
            statement=g["statement"],
            metric=g["metric"],
            level=g["level"],
            entity_code=g["entity_code"],
            group_dim=g["group_dim"],
            group_value=g["group_value"],
            baseline_year=g["baseline_year"],
            baseline_value=g["baseline_value"],
            goal_year=g["goal_year"],
            tolerance=g["tolerance"],
        )
        goal.leading_metrics.set(g["leading"])
        Target.objects.bulk_create(
            Target(goal=goal, school_year=y, value=v) for y, v in sorted(g["targets"].items())
        )
        record(
            actor=user,
            action="plans.goal.create",
            obj=goal,
            after={**snapshot(goal), "targets": g["targets"]},
            source="import",
        )
    by_initiative = {}
    for i in initiatives:
        leading, priority = i.pop("leading"), by_name[i.pop("priority")]
        initiative = Initiative.objects.create(priority=priority, **i)
        initiative.leading_metrics.set(leading)
        by_initiative[initiative.name] = initiative
    for a in actions:
        initiative = by_initiative[a.pop("initiative")]
        KeyAction.objects.create(initiative=initiative, **a)
    return plan


def export_plan(plan: Plan, *, user: Any = None) -> bytes:
    """The plan as a workbook in the import format, holding only the goals `user` may see
    (every goal when there is no user: the command line, run by the district's operator)."""
    from openpyxl import Workbook

    from districtpm.core.cells import append_row

    book = Workbook()
    book.remove(book.active)
    sheets = {
        "Plan": [["field", "value"]] + [[name, getattr(plan, name)] for name in PLAN_FIELDS],
        "Priorities": _priority_rows(plan),
        "Goals": _goal_rows(plan, user),
        "Initiatives": _initiative_rows(plan),
        "Actions": _action_rows(plan),
    }
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            append_row(sheet, row)  # text cells stored as text: no name or statement is a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _username(user: Any) -> str:
    return user.username if user else ""


def _priority_rows(plan: Plan) -> list[list]:
    rows = [PRIORITY_COLUMNS]
    for p in plan.priorities.select_related("owner"):
        rows.append([p.order, p.name, p.description, _username(p.owner)])
    return rows


def _goal_rows(plan: Plan, user: Any) -> list[list]:
    """The goals in the same scope as the plan's pages: a principal's workbook holds district
    goals and their own school's and network's, never another school's baselines and targets."""
    goals_query = Goal.objects.filter(plan=plan)
    if user is not None:
        goals_query = Goal.objects.visible_to(user).filter(plan=plan)
    goals = list(
        goals_query.select_related("priority", "metric").prefetch_related(
            "targets", "leading_metrics"
        )
    )
    years = sorted({t.school_year for g in goals for t in g.targets.all()})
    rows = [GOAL_COLUMNS + years]
    for g in goals:
        targets = g.targets_by_year
        rows.append(
            [
                g.priority.name if g.priority else "",
                g.statement,
                g.metric_id,
                g.level,
                g.entity_code,
                g.group_dim,
                g.group_value,
                g.baseline_year,
                g.baseline_value,
                g.goal_year,
                g.tolerance,
                ", ".join(sorted(m.id for m in g.leading_metrics.all())),
            ]
            + [targets.get(y) for y in years]
        )
    return rows


def _initiative_rows(plan: Plan) -> list[list]:
    rows = [INITIATIVE_COLUMNS]
    initiatives = Initiative.objects.filter(priority__plan=plan).select_related("priority", "owner")
    for i in initiatives.prefetch_related("leading_metrics"):
        rows.append(
            [
                i.priority.name,
                i.name,
                i.description,
                _username(i.owner),
                ", ".join(sorted(m.id for m in i.leading_metrics.all())),
            ]
        )
    return rows


def _action_rows(plan: Plan) -> list[list]:
    rows = [ACTION_COLUMNS]
    actions = KeyAction.objects.filter(initiative__priority__plan=plan)
    for a in actions.select_related("initiative", "owner"):
        rows.append(
            [
                a.initiative.name,
                a.name,
                "yes" if a.milestone else "no",
                _username(a.owner),
                a.due_date,
                a.status,
                a.resources,
            ]
        )
    return rows
