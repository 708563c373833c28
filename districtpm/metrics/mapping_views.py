"""Import in the page: upload a CSV the product has no mapping for, see its columns and first
rows, say which column fills each of the chosen table's columns (or a fixed value), how the
file's codes read as the product's, which markers mean "suppressed by the publisher" and how
its school years are written; preview what the import would store, then save the mapping for
next time and import.

The preview is the importer itself, run over the whole file into a scratch store that is thrown
away: the same checks, the same report of every bad row, nothing written to the district's
store. Wide files (a column per subject or month) still need a YAML mapping with `melt`.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from districtpm.analytics.importer import (
    DEFAULT_MARKERS,
    PERIOD_PARSERS,
    ImportFailed,
    MappingError,
    check_mapping,
    import_file,
)
from districtpm.analytics.schema import TABLES
from districtpm.audit.log import record, snapshot
from districtpm.core import intake
from districtpm.core.access import requires
from districtpm.core.scoping import require
from districtpm.metrics import tasks
from districtpm.metrics.models import DataImport, SavedMapping

SESSION_KEY = "staged_import"
SAMPLE_ROWS = 5
SAMPLE_BYTES = 256 * 1024
# the tables a district maps its own files into from the page
PAGE_TABLES = ["assessments", "attendance", "student_years", "discipline", "credits"]
PERIOD_LABELS = {
    "school_year": "written as 2025-2026 or 2025-26",
    "year_end": "the year it ends (2026)",
    "year_start": "the year it starts (2025)",
    "date": "a date within it",
    "month": "a month (for monthly rows)",
}


def _sample(path: Path) -> tuple[list[str], list[list[str]], dict[str, set[str]]]:
    """The header, the first rows and the distinct values seen near the top, read with the
    standard library from the file's first part only."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()[:-1] if len(head) == SAMPLE_BYTES else text.splitlines()
    rows = list(csv.reader(lines))
    if not rows:
        return [], [], {}
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    seen: dict[str, set[str]] = {h: set() for h in header}
    for row in body[:2000]:
        for h, v in zip(header, row, strict=False):
            if len(seen[h]) < 30:
                seen[h].add(v.strip())
    return header, body[:SAMPLE_ROWS], seen


def _guess(column: str, header: list[str]) -> str:
    """The file's column most like the table's: the same name, ignoring case and separators."""
    squash = lambda s: "".join(ch for ch in s.lower() if ch.isalnum())  # noqa: E731
    target = squash(column)
    for h in header:
        if squash(h) == target:
            return h
    for h in header:
        if target in squash(h) or (len(squash(h)) > 3 and squash(h) in target):
            return h
    return ""


def _value_lines(allowed: tuple[str, ...], seen: set[str]) -> str:
    """Guessed "file value = product value" lines for the codes that are not the product's."""
    lines = []
    for value in sorted(seen):
        if value and value not in allowed:
            match = next((a for a in allowed if a.lower() == value.lower()), None)
            lines.append(f"{value} = {match or ''}".rstrip())
    return "\n".join(lines)


def _build(post: Any, table: str, header: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The importer's mapping from the form, and what is wrong with the form."""
    problems: list[str] = []
    spec = TABLES[table]
    out: dict[str, Any] = {"table": table, "columns": {}, "constants": {}, "values": {}}
    for col in spec.columns:
        source = post.get(f"col_{col.name}", "")
        fixed = post.get(f"fixed_{col.name}", "").strip()
        if source and source in header:
            out["columns"][col.name] = source
        elif fixed:
            out["constants"][col.name] = fixed
        elif col.required:
            problems.append(f"{col.name}: choose the file's column or give a fixed value.")
        if col.values and col.name in out["columns"]:
            pairs = {}
            for number, line in enumerate(post.get(f"values_{col.name}", "").splitlines(), 1):
                if not line.strip():
                    continue
                left, sep, right = line.partition("=")
                if not sep or right.strip() not in col.values:
                    problems.append(
                        f"{col.name}, line {number}: write “file value = one of "
                        f"{', '.join(col.values)}”."
                    )
                    continue
                pairs[left.strip()] = right.strip()
            if pairs:
                out["values"][col.name] = pairs
    period = post.get("period", "school_year")
    if "school_year" in out["columns"] and period in PERIOD_PARSERS:
        out["periods"] = {"school_year": period}
    markers = [m.strip() for m in post.get("markers", "").split(",") if m.strip()]
    mapping = {"name": post.get("name", "").strip() or "Mapping made in the page", "outputs": [out]}
    if markers:
        mapping["suppressed"] = markers
    for key in ("constants", "values"):
        if not out[key]:
            del out[key]
    if not problems:
        try:
            mapping = check_mapping(mapping, "this mapping")
        except MappingError as exc:
            problems.append(str(exc))
    return mapping, problems


def _preview(path: Path, mapping: dict[str, Any], table: str) -> dict[str, Any]:
    """The import run into a scratch store: its summary, its bad rows, its first stored rows."""
    with tempfile.TemporaryDirectory() as scratch:
        store_path = Path(scratch) / "preview.duckdb"
        try:
            result = import_file(path, mapping, store_path=store_path, display_name=path.name)
        except ImportFailed as failure:
            return {
                "ok": False,
                "summary": failure.result.summary(),
                "errors": failure.result.errors[:50],
            }
        except intake.InputRefused as refusal:
            return {"ok": False, "summary": str(refusal), "errors": []}
        with duckdb.connect(str(store_path), read_only=True) as con:
            cursor = con.execute(f'SELECT * FROM "{table}" LIMIT 10')  # noqa: S608 - a known table
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    return {"ok": True, "summary": result.summary(), "columns": columns, "rows": rows}


def _drop_staged(staged: dict | None) -> None:
    """Remove a staged upload that will not be imported (only under var/uploads)."""
    if not staged:
        return
    path = Path(staged.get("path", ""))
    folder = (Path(settings.VAR_DIR) / "uploads").resolve()
    if path.resolve().parent == folder:
        path.unlink(missing_ok=True)


@requires("data.import")
def map_file(request: HttpRequest) -> HttpResponse:
    require(request.user, DataImport, message="Your role does not import data.")
    staged = request.session.get(SESSION_KEY)
    error = ""
    if request.method == "POST" and request.POST.get("step") == "upload":
        upload = request.FILES.get("file")
        table = request.POST.get("table", "")
        if upload is None or not upload.name.lower().endswith(".csv"):
            error = "Choose a CSV file."
        elif table not in PAGE_TABLES:
            error = "Choose what the file holds."
        else:
            try:
                intake.check_size(upload.size, name=upload.name)
            except intake.InputRefused as exc:
                error = str(exc)
        if not error:
            folder = Path(settings.VAR_DIR) / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            stored = folder / f"{uuid.uuid4().hex}.csv"
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            _drop_staged(staged)  # a file staged before and left is not kept
            request.session[SESSION_KEY] = {
                "path": str(stored),
                "name": intake.display_name(upload.name),
                "table": table,
            }
            return redirect("metrics:map_file")
    if request.method == "POST" and request.POST.get("step") == "restart":
        _drop_staged(request.session.pop(SESSION_KEY, None))
        return redirect("metrics:map_file")
    if not staged or not Path(staged["path"]).exists():
        request.session.pop(SESSION_KEY, None)
        return render(
            request,
            "metrics/map_upload.html",
            {"tables": [(t, TABLES[t].doc) for t in PAGE_TABLES], "error": error},
            status=400 if error else 200,
        )
    path, table = Path(staged["path"]), staged["table"]
    header, sample, seen = _sample(path)
    spec = TABLES[table]
    post = request.POST if request.method == "POST" else None
    fields = []
    for col in spec.columns:
        chosen = post.get(f"col_{col.name}", "") if post else _guess(col.name, header)
        values = (
            post.get(f"values_{col.name}", "")
            if post
            else _value_lines(col.values, seen.get(chosen, set()))
            if col.values and chosen
            else ""
        )
        fields.append(
            {
                "column": col,
                "chosen": chosen,
                "fixed": post.get(f"fixed_{col.name}", "") if post else "",
                "values": values,
            }
        )
    context: dict[str, Any] = {
        "staged": staged,
        "header": header,
        "sample": sample,
        "fields": fields,
        "periods": list(PERIOD_LABELS.items()),
        "period": post.get("period", "school_year") if post else "school_year",
        "markers": post.get("markers", "") if post else ", ".join(DEFAULT_MARKERS),
        "name": post.get("name", "") if post else Path(staged["name"]).stem,
    }
    if post is None:
        return render(request, "metrics/map_file.html", context)
    mapping, problems = _build(post, table, header)
    context["problems"] = problems
    if problems:
        return render(request, "metrics/map_file.html", context, status=400)
    if post.get("step") == "preview":
        context["preview"] = _preview(path, mapping, table)
        return render(request, "metrics/map_file.html", context)
    # save the mapping and import the file with it
    name = mapping["name"]
    slug = slugify(name)[:90] or "mapping"
    saved = SavedMapping.objects.filter(slug=slug).first()
    try:
        if saved is None:
            saved = SavedMapping.objects.create(
                name=name, slug=slug, table=table, mapping=mapping, created_by=request.user
            )
            record(
                actor=request.user, action="data.mapping.create", obj=saved, after=snapshot(saved)
            )
        else:
            before = snapshot(saved)
            saved.mapping, saved.table = mapping, table
            saved.save()
            record(
                actor=request.user,
                action="data.mapping.change",
                obj=saved,
                before=before,
                after=snapshot(saved),
            )
    except IntegrityError:
        context["problems"] = [f"Another mapping is already called “{name}”: choose another name."]
        return render(request, "metrics/map_file.html", context, status=400)
    task = DataImport.objects.create(
        created_by=request.user, file_name=staged["name"], stored_path=str(path), mapping=saved.key
    )
    request.session.pop(SESSION_KEY, None)
    tasks.start(task)
    return redirect("metrics:import_task", task.pk)
