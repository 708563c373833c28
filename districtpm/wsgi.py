"""WSGI entry point."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "districtpm.settings")
application = get_wsgi_application()

# Before serving: end the import tasks a crashed or killed earlier process left running.
from districtpm.metrics.tasks import recover_at_startup  # noqa: E402

recover_at_startup()

# With `gunicorn --preload` this runs once in the master, before the workers are forked: a
# database connection opened here must not be inherited by every worker (they would share one
# socket), so it is closed, and each worker opens its own.
from django.db import connections  # noqa: E402

connections.close_all()
