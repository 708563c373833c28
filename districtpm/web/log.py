"""Logging filters. Imported by the LOGGING setting, so nothing here may import models."""

from __future__ import annotations

import logging


class QuietRefusals(logging.Filter):
    """Turn Django's log of a refused request (4xx) into one line without a traceback.

    A 403 is the access rules doing their job; Django logs it with the full traceback of the
    PermissionDenied. We keep method, path, user id and status, and leave 5xx records (real
    errors) with their tracebacks untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        request = getattr(record, "request", None)
        method = getattr(request, "method", "-")
        path = getattr(request, "path", "-")
        user = getattr(request, "user", None)
        user_id = getattr(user, "pk", None) if user is not None else None
        record.msg = "Refused %s %s for user %s: status %s"
        record.args = (
            method,
            _escaped(path),
            user_id if user_id is not None else "anonymous",
            status,
        )
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _escaped(text: str) -> str:
    """The path as Django logs it: control characters escaped, so one request is one line."""
    return text.encode("unicode_escape").decode("ascii")
