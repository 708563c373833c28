"""Test settings: the product's settings with a fast password hasher."""

import tempfile
from pathlib import Path

from districtpm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests render pages without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background tasks run inline, inside the test's transaction.
DISTRICTPM_TASKS_INLINE = True

# Drawn chart pictures are kept out of the checkout's var/ folder.
CHART_CACHE_DIR = Path(tempfile.mkdtemp(prefix="districtpm-charts-"))

# Uploaded evidence files too.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="districtpm-uploads-"))
