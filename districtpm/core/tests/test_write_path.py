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
# Attribute chains a view may write to that are not models: the session, a form's cleaned data.
NOT_MODELS = {"session", "cleaned_data", "GET", "POST", "headers", "context"}


def _chain(node: ast.AST) -> list[str]:
    """The names along an attribute chain: `a.b.filter(x).c` → ['a', 'b', 'filter', 'c']."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value  # teams[0].members → teams.members
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
        on_model = len(chain) >= 2 and not NOT_MODELS & set(chain)
        if method in QUERY_WRITES and ("objects" in chain or "filter" in chain or on_model):
            found.append((node.lineno, text))  # also meeting.items.create, goal.targets.update
        elif method == "save" and not node.args and "commit" not in keywords:
            found.append((node.lineno, text))  # a model's save(); a workbook's takes a file
        elif method == "delete" and not node.args:
            found.append((node.lineno, text))  # obj.delete(), found.plan.delete(), qs.delete()
        elif method in RELATION_WRITES and on_model:
            found.append((node.lineno, text))  # obj.attendees.set(...), not seen.add(x)
    return found


def test_no_view_writes_a_model_itself():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {call}"
        for pattern in ("*/views.py", "*/views/*.py", "*/api.py", "*/api/*.py")
        for path in sorted(PACKAGE.glob(pattern))
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
    meeting.items.create(kind="note")
    goal.targets.update(value=1)
    meeting.items.all().delete()
    found.plan.delete()
    teams[0].members.add(user)
    request.session.update({"a": 1})
"""
    assert [call for _, call in writes_in(planted)] == [
        "item.save",
        "Meeting.objects.filter.update",
        "FeedToken.objects.create",
        "meeting.attendees.set",
        "meeting.items.create",
        "goal.targets.update",
        "meeting.items.all.delete",
        "found.plan.delete",
        "teams.members.add",
    ]
