"""The layers of the product, lowest first, and the check that no module imports upward.

An app may import from its own layer and the layers below it, never above: a lower app learns
of a higher one only through what the higher one registers with it (scope rules, signals,
providers) when it loads. `tests/test_layers.py` runs the check over the whole package.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

LAYERS: tuple[str, ...] = (
    "core",  # access, roles, intake, cells, plain text: knows no domain
    "audit",  # the append-only log
    "org",  # district, networks, schools, years, staff
    "accounts",  # role assignments and caseloads; each request's Access
    "analytics",  # the student-data store and its imports
    "metrics",  # definitions, engine, values
    "plans",  # the strategic plan, status, forecasts, scorecards
    "actionplans",  # action teams, plans, status updates
    "meetings",  # cycles, meetings, packs, calendars, reminders
    "web",  # the shell and navigation
    "demo",  # the demo district: uses everything
)
# Modules of the package itself (settings, root urls, wsgi, the command line) share the top
# layer with the demo, which serves the product as a site does.
SITE = "site"
_RANK: dict[str, float] = {name: index for index, name in enumerate(LAYERS)} | {
    SITE: len(LAYERS) - 1
}


def declared_layers(package_dir: Path) -> dict[str, str]:
    """Apps not named above that give their own place: `layer_above = "meetings"` on the
    AppConfig in their apps.py. A new app then needs no edit here (docs/adding-an-app.md)."""
    declared = {}
    for apps_py in sorted(package_dir.glob("*/apps.py")):
        app = apps_py.parent.name
        if app in LAYERS:
            continue
        for node in ast.walk(ast.parse(apps_py.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["layer_above"]
                and isinstance(node.value, ast.Constant)
                and node.value.value in LAYERS
            ):
                declared[app] = node.value.value
    return declared


# A declared app sits just above the layer it names: it may import that layer and those below,
# apps declared above the same layer may import each other, and nothing below imports it.
_DECLARED = declared_layers(Path(__file__).resolve().parents[1])
_RANK |= {app: _RANK[below] + 0.5 for app, below in _DECLARED.items()}
LAYERS = LAYERS + tuple(_DECLARED)


@dataclass(frozen=True)
class Import:
    """One import statement: where it stands and what it names."""

    path: Path
    line: int
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    top_level: bool  # at module scope (runs on import) rather than inside a function


def layer_of(module: str, package: str = "districtpm") -> str | None:
    """The layer a dotted module belongs to; None outside the package."""
    parts = module.split(".")
    if parts[0] != package:
        return None
    if len(parts) == 1 or parts[1] not in _RANK or parts[1] == SITE:
        return SITE if len(parts) <= 2 and (len(parts) == 1 or parts[1] not in _RANK) else None
    return parts[1]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path) -> list[Import]:
    """Every import of the package's own modules below `root` (the package folder), tests and
    migrations left out: tests may reach anywhere, and migrations name apps by label.
    `from package import name` names the module package.name when there is one."""
    found = []
    modules = {_module_name(p, root) for p in root.rglob("*.py")}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if "tests" in rel or "migrations" in rel or rel[-1] == "conftest.py":
            continue
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] == root.name:
                    found.append(Import(path, node.lineno, module, target, id(node) in top))
    return found


def upward_imports(root: Path) -> list[str]:
    """`file:line: a imports b` for each import that runs up the layers, and for each module in
    an app the layers do not name (every app must be given its place)."""
    problems = []
    for imp in imports(root):
        here = layer_of(imp.module, root.name)
        there = layer_of(imp.target, root.name)
        if here is None:
            problems.append(f"{imp.path}:{imp.line}: {imp.module} is in no layer")
        elif there is None:
            problems.append(f"{imp.path}:{imp.line}: {imp.target} is in no layer")
        elif _RANK[there] > _RANK[here]:
            problems.append(
                f"{imp.path}:{imp.line}: {imp.module} ({here}) imports {imp.target} ({there})"
            )
    return problems


RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def upward_relations(root: Path) -> list[str]:
    """`file:line: app.Model relates to other.Model` for each model field that names, by its
    "app.Model" string, a model of a layer above its own app: a relation is a dependency as
    surely as an import (the migration and the table need the other app)."""
    problems = []
    for path in sorted(root.glob("*/models.py")):
        app = path.parent.name
        if app not in _RANK:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) in RELATIONS):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            other = str(node.args[0].value).split(".")[0]
            if other in _RANK and _RANK[other] > _RANK[app]:
                problems.append(
                    f"{path}:{node.lineno}: a model of {app} relates to {node.args[0].value} "
                    f"({other}, a layer above)"
                )
    return problems


def import_cycles(root: Path) -> list[list[str]]:
    """Modules that import each other in a loop at module scope (an import inside a function
    runs later and cannot loop), found with Tarjan's algorithm."""
    graph: dict[str, set[str]] = {}
    for imp in imports(root):
        graph.setdefault(imp.module, set())
        if imp.top_level and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue  # a name imported from a package's __init__ that is not a module
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles
