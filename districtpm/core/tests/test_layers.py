"""No module imports a layer above its own, and no modules import each other in a loop."""

from __future__ import annotations

from pathlib import Path

import districtpm
from districtpm.core.layers import LAYERS, import_cycles, upward_imports, upward_relations

PACKAGE = Path(districtpm.__file__).resolve().parent


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(PACKAGE) == []


def test_no_modules_import_each_other_in_a_loop():
    assert import_cycles(PACKAGE) == []


def test_every_app_has_its_place_in_the_layers():
    apps = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert apps == set(LAYERS)


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "districtpm"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_planted_upward_import_is_found(tmp_path):
    root = _plant(
        tmp_path,
        {
            "org/models.py": "from districtpm.core.scoping import Access\n",
            "org/views.py": "def f():\n    from districtpm.plans.models import Goal\n",
            "plans/models.py": "from districtpm.org.models import School\n",
            "org/tests/test_x.py": "from districtpm.demo import generator\n",  # tests may
        },
    )
    problems = upward_imports(root)
    assert len(problems) == 1
    assert "districtpm.org.views (org) imports districtpm.plans.models (plans)" in problems[0]


def test_a_module_outside_the_layers_is_found(tmp_path):
    root = _plant(tmp_path, {"nolayer/models.py": "from districtpm.core import roles\n"})
    assert [p for p in upward_imports(root) if "is in no layer" in p]


def test_a_planted_loop_is_found(tmp_path):
    root = _plant(
        tmp_path,
        {
            "org/a.py": "from districtpm.org import b\n",
            "org/b.py": "import districtpm.org.a\n",
            "org/c.py": "def f():\n    from districtpm.org import a\n",
        },
    )
    assert import_cycles(root) == [["districtpm.org.a", "districtpm.org.b"]]


def test_no_model_relates_to_a_model_of_a_layer_above():
    assert upward_relations(PACKAGE) == []


def test_a_planted_upward_relation_is_found(tmp_path):
    root = tmp_path / "districtpm"
    (root / "org").mkdir(parents=True)
    (root / "org" / "models.py").write_text(
        "from django.db import models\n"
        "class School(models.Model):\n"
        "    plan = models.ForeignKey('plans.Plan', on_delete=models.CASCADE)\n"
        "    year = models.ForeignKey('org.SchoolYear', on_delete=models.CASCADE)\n"
    )
    [problem] = upward_relations(root)
    assert "relates to plans.Plan" in problem
