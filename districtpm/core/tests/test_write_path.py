"""Views change nothing themselves: every write to a workflow object goes through a function in
the app's actions.py (atomic, permission-checked, audited). Read from the views' source."""

from __future__ import annotations

import ast
from pathlib import Path

import districtpm

PACKAGE = Path(districtpm.__file__).resolve().parent
QUERY_WRITES = {
    "create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}
RELATION_WRITES = {"set", "add", "remove", "clear"}


def _chain(node: ast.AST) -> list[str]:
    """The names along an attribute chain: `a.b.filter(x).c` → ['a', 'b', 'filter', 'c']."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names[::-1]
        else:
            return names[::-1]


def writes_in(source: str) -> list[tuple[int, str]]:
    """(line, call) for each call in `source` that writes a model: a queryset or manager write,
    an instance's save() or delete(), or a change to a many-to-many relation."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method, chain = node.func.attr, _chain(node.func.value)
        text = ".".join(chain + [method])
        keywords = {k.arg for k in node.keywords}
        if method in QUERY_WRITES and ("objects" in chain or "filter" in chain):
            found.append((node.lineno, text))
        elif method == "save" and not node.args and "commit" not in keywords:
            found.append((node.lineno, text))  # a model's save(); a workbook's takes a file
        elif method == "delete" and not node.args and len(chain) == 1:
            found.append((node.lineno, text))
        elif method in RELATION_WRITES and len(chain) >= 2 and not chain[0].endswith("s"):
            found.append((node.lineno, text))  # obj.attendees.set(...), not seen.add(x)
    return found


def test_no_view_writes_a_model_itself():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {call}"
        for path in sorted(PACKAGE.glob("*/views.py"))
        for line, call in writes_in(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_planted_write_in_a_view_is_found():
    planted = """
def add_item(request, pk):
    item = form.save(commit=False)
    item.save()
    Meeting.objects.filter(pk=pk).update(state="held")
    FeedToken.objects.create(user=request.user)
    meeting.attendees.set(people)
    workbook.save(buffer)
    names.update({"a": 1})
    seen.add(pk)
"""
    assert [call for _, call in writes_in(planted)] == [
        "item.save",
        "Meeting.objects.filter.update",
        "FeedToken.objects.create",
        "meeting.attendees.set",
    ]
