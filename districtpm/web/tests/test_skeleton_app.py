"""Must show 4 of issue 10: the skeleton app (docs/skeleton) drops into the product touching no
file outside it but the settings' INSTALLED_APPS and the root urls.

The package is copied to a temporary folder with the skeleton added as `districtpm/skeleton`
(so the shared working tree is never changed); a settings module and a root urlconf of the test's
own add the app to INSTALLED_APPS and include its urls — nothing else. In a subprocess with that
settings module and its own DISTRICTPM_VAR it then migrates, and runs the skeleton's own tests,
the URL-access test, the layer test and the write-path test.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import districtpm

PACKAGE = Path(districtpm.__file__).resolve().parent
ROOT = PACKAGE.parent
SKELETON = ROOT / "docs" / "skeleton"

# The only two additions a new app needs outside its folder.
SETTINGS = """from districtpm.settings_test import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "districtpm.skeleton"]  # noqa: F405
ROOT_URLCONF = "skeleton_urls"
"""
URLS = """from django.urls import include, path

from districtpm.urls import urlpatterns as product

urlpatterns = [path("visits/", include("districtpm.skeleton.urls")), *product]
"""
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def product_with_skeleton(folder: Path) -> dict[str, str]:
    """Copy the package with the skeleton added under `folder`; the environment to run it in."""
    shutil.copytree(PACKAGE, folder / "districtpm", ignore=IGNORE)
    shutil.copytree(SKELETON, folder / "districtpm" / "skeleton", ignore=IGNORE)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    (folder / "skeleton_settings.py").write_text(SETTINGS)
    (folder / "skeleton_urls.py").write_text(URLS)
    (folder / "var").mkdir()
    # Its own SQLite file, whatever database the suite runs on: the copy must never migrate the
    # server database that DATABASE_URL names (CI's PostgreSQL run).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_")) and k != "DATABASE_URL"
    }
    return env | {
        "PYTHONPATH": str(folder),  # ahead of the editable install of the working tree
        "DJANGO_SETTINGS_MODULE": "skeleton_settings",
        "DISTRICTPM_VAR": str(folder / "var"),
        "ANALYTICS_PATH": str(folder / "var" / "analytics.duckdb"),
    }


def run(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )


def changed_outside(folder: Path) -> list[str]:
    """Files of the copied package that differ from the working tree's, the new app left out."""
    differences: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        differences.extend(f"{prefix}{name}" for name in cmp.diff_files)
        differences.extend(f"{prefix}{name}" for name in cmp.left_only + cmp.right_only)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(PACKAGE, folder / "districtpm", ignore=["__pycache__"]), "")
    return sorted(differences)


def test_the_skeleton_app_drops_in_with_settings_and_root_urls_only(tmp_path):
    env = product_with_skeleton(tmp_path)
    assert changed_outside(tmp_path) == ["skeleton"]

    where = run(tmp_path, env, "-c", "import districtpm; print(districtpm.__file__)")
    assert where.stdout.strip() == str(tmp_path / "districtpm" / "__init__.py"), where.stderr

    migrate = run(tmp_path, env, "-m", "django", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    assert "Applying skeleton.0001_initial... OK" in migrate.stdout
    pending = run(tmp_path, env, "-m", "django", "makemigrations", "skeleton", "--check")
    assert pending.returncode == 0, pending.stdout + pending.stderr

    tests = run(
        tmp_path,
        env,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ds=skeleton_settings",
        "districtpm/skeleton/tests",
        "districtpm/accounts/tests/test_url_access_rules.py",
        "districtpm/core/tests/test_layers.py",
        "districtpm/core/tests/test_write_path.py",
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "xfail" not in summary, summary
    # The skeleton's own tests ran too, among them the one that finds it in the navigation.
    listed = run(
        tmp_path,
        env,
        "-m",
        "pytest",
        "-q",
        "--collect-only",
        "-p",
        "no:cacheprovider",
        "--ds=skeleton_settings",
        "districtpm/skeleton/tests",
    )
    assert "test_the_app_is_in_the_navigation" in listed.stdout, listed.stdout[-2000:]
