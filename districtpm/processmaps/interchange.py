"""A version as a table, one row per step with its next steps — the way a map drawn elsewhere
comes in and goes out (CSV or Excel). Columns: Key, Kind, Name, Lane (a division's name or
code; empty: no owner), Position (a position's code or name), Days, Produces, Next steps (the
keys of the steps that follow, separated by ";", each with its outcome after "=" for a
decision: `S4 = Yes; S2 = No`).

An import makes a new version of the map, whole or not at all: every bad row is named with its
line, column and reason. Exports escape formula-like text (core.cells)."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from districtpm.audit.log import record
from districtpm.core import intake
from districtpm.core.cells import FORMULA_TRIGGERS, append_row, csv_writer, safe_row
from districtpm.core.plaintext import one_line
from districtpm.core.scoping import require
from districtpm.org.models import Division, Position
from districtpm.processmaps.actions import DRAWERS, MAX_STEPS
from districtpm.processmaps.graph import KINDS
from districtpm.processmaps.models import Flow, ProcessMap, Step, Version

HEADERS = ["Key", "Kind", "Name", "Lane", "Position", "Days", "Produces", "Next steps"]
REQUIRED = {"key", "name"}
KIND_WORDS = {k: k for k in KINDS} | {
    "hand-off": "handoff",
    "hand off": "handoff",
    "outside hand-off": "handoff",
}


def rows(version: Version) -> list[list[Any]]:
    steps = list(version.steps.select_related("lane", "position").order_by("order", "pk"))
    nexts: dict[int, list[str]] = {}
    for f in version.flows.select_related("target").order_by("target__order", "pk"):
        nexts.setdefault(f.source_id, []).append(
            f.target.key + (f" = {f.label}" if f.label else "")
        )
    return [
        [
            s.key,
            s.kind,
            s.name,
            s.lane.name if s.lane else "",
            s.position.code if s.position else "",
            float(s.days),
            s.produces,
            "; ".join(nexts.get(s.pk, [])),
        ]
        for s in steps
    ]


def to_csv(version: Version) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(HEADERS)
    for row in rows(version):
        writer.writerow(safe_row(row))
    return out.getvalue()


def to_xlsx(version: Version) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Steps"
    append_row(sheet, HEADERS)
    for row in rows(version):
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(data: bytes, name: str) -> tuple[str, list[str], list[tuple[int, dict[str, str]]]]:
    """The file's header and rows (line, values by lower-case header), from CSV or XLSX."""
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        intake.check_xlsx(data, name=name)
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        values = [
            ["" if c is None else _cell_text(c) for c in r]
            for r in sheet.iter_rows(values_only=True)
        ]
        if not values:
            raise intake.InputRefused(f"{name} is empty.")
        if len(values) - 1 > intake.limits().max_rows:
            raise intake.InputRefused(f"{name} has more than {intake.limits().max_rows:,} rows.")
        headers = [h.strip() for h in values[0]]
        intake.check_headers([h for h in headers if h] or [""], name=name)
        body = [
            (i, {headers[j].casefold(): v for j, v in enumerate(r) if j < len(headers)})
            for i, r in enumerate(values[1:], start=2)
            if any(v.strip() for v in r)
        ]
        return name, headers, body
    table = intake.read_csv(data, name=name)
    return (
        table.name,
        table.headers,
        [(line, {h.casefold(): v for h, v in raw.items()}) for line, raw, _ in table.rows],
    )


def _cell_text(value: Any) -> str:
    """A workbook cell as text: a whole number typed as 2 or stored as 2.0 reads "2"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unescaped(value: str) -> str:
    """A field as it was before an export escaped it: the quote the export puts before text
    that would start a formula (core.cells) comes off again, so a name such as "=A1" reads back
    as it was written."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _lookup(model: Any, *fields: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for obj in model.objects.all():
        for f in fields:
            value = getattr(obj, f, "")
            if value:
                found.setdefault(str(value).strip().casefold(), obj)
    return found


def import_version(
    pm: ProcessMap, data: bytes, *, name: str, kind: str = Version.Kind.TO_BE, acting_user: Any
) -> Version:
    require(acting_user, pm, message=DRAWERS)
    shown, headers, body = _table(data, name)
    known = {h.casefold() for h in HEADERS}
    heads = {h.casefold() for h in headers if h}
    problems: list[intake.RowError] = []
    missing = REQUIRED - heads
    if missing:
        problems.append(
            intake.RowError(shown, None, "Missing columns: " + ", ".join(sorted(missing)) + ".")
        )
    unknown = sorted(h for h in headers if h and h.casefold() not in known)
    if unknown:
        problems.append(
            intake.RowError(shown, None, "Unknown columns: " + ", ".join(unknown) + ".")
        )
    if problems:
        raise intake.ImportFailed(intake.Rejected(problems))
    lanes = _lookup(Division, "name", "code")
    positions = _lookup(Position, "code", "name")
    steps: list[dict[str, Any]] = []
    keys: dict[str, int] = {}
    named = {h.casefold(): h for h in headers if h}  # a column as the file names it
    for line, raw in body:

        def bad(column: str, reason: str, line: int = line) -> None:
            problems.append(intake.RowError(shown, line, reason, column))

        for column, value in raw.items():
            reason = intake.check_field(value, name=shown, line=line, column=column)
            if reason:
                bad(named.get(column, column), reason)
        row = {column: _unescaped(value) for column, value in raw.items()}
        key = one_line(row.get("key", ""))[:20]
        if not key:
            bad("Key", "Every step needs a key.")
        elif ";" in key or "=" in key:
            bad("Key", f"“{key}”: a key has no “;” or “=” (they separate the next steps).")
        elif key in keys:
            bad("Key", f"{key} is the key of the step on line {keys[key]} too.")
        else:
            keys[key] = line
        word = (row.get("kind") or "task").strip().casefold()
        if word not in KIND_WORDS:
            bad("Kind", f"“{row.get('kind')}” is not start, task, decision, hand-off or end.")
        step_name = one_line(row.get("name", ""))[:200]
        if not step_name:
            bad("Name", "Every step needs a name.")
        lane_text = (row.get("lane") or "").strip()
        lane = lanes.get(lane_text.casefold()) if lane_text else None
        if lane_text and lane is None:
            bad("Lane", f"No division is called “{lane_text}”.")
        position_text = (row.get("position") or "").strip()
        position = positions.get(position_text.casefold()) if position_text else None
        if position_text and position is None:
            bad("Position", f"No position is called “{position_text}”.")
        try:
            days = Decimal((row.get("days") or "0").strip() or "0")
            if not days.is_finite() or days < 0 or days > 99999:
                raise InvalidOperation
        except InvalidOperation:
            bad("Days", f"“{row.get('days')}” is not a number of days from 0 to 99,999.")
            days = Decimal(0)
        nexts = []
        for part in (row.get("next steps") or "").split(";"):
            if part.strip():
                target, _, label = part.partition("=")
                nexts.append((one_line(target)[:20], one_line(label)[:100]))
        steps.append(
            {
                "line": line,
                "key": key,
                "kind": KIND_WORDS.get(word, "task"),
                "name": step_name,
                "lane": lane,
                "position": position,
                "days": days.quantize(Decimal("0.1")),
                "produces": one_line(row.get("produces", ""))[:200],
                "nexts": nexts,
            }
        )
    for s in steps:
        for target, _ in s["nexts"]:
            if target not in keys:
                problems.append(
                    intake.RowError(
                        shown, s["line"], f"No step has the key {target}.", "Next steps"
                    )
                )
            elif target == s["key"]:
                problems.append(
                    intake.RowError(
                        shown, s["line"], "A step does not lead to itself.", "Next steps"
                    )
                )
    if not steps and not problems:
        problems.append(intake.RowError(shown, None, "The file has no steps."))
    if len(steps) > MAX_STEPS:
        problems.append(
            intake.RowError(
                shown,
                None,
                f"A version holds at most {MAX_STEPS} steps; this file has {len(steps)}.",
            )
        )
    if problems:
        raise intake.ImportFailed(intake.Rejected(problems))
    with transaction.atomic():
        number = (pm.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = Version.objects.create(process_map=pm, number=number, kind=kind)
        made = {}
        for order, s in enumerate(steps, start=1):
            made[s["key"]] = Step.objects.create(
                version=version,
                key=s["key"],
                kind=s["kind"],
                name=s["name"],
                lane=s["lane"],
                position=s["position"],
                days=s["days"],
                produces=s["produces"],
                order=order,
            )
        seen = set()
        flows = []
        for s in steps:
            for target, label in s["nexts"]:
                if (s["key"], target) not in seen:
                    seen.add((s["key"], target))
                    flows.append(
                        Flow(
                            version=version, source=made[s["key"]], target=made[target], label=label
                        )
                    )
        Flow.objects.bulk_create(flows)
        record(
            actor=acting_user,
            action="processmaps.version.import",
            obj=pm,
            after={
                "version": version.title,
                "file": shown,
                "steps": len(steps),
                "flows": len(flows),
            },
        )
    return version
