"""Login throttling by username and address, and by address alone across every username.

Axes counts failures per lockout parameter set against one limit. We keep its per username and
address rule (AXES_FAILURE_LIMIT) and add a second, higher limit for one address across all
usernames (AXES_IP_FAILURE_LIMIT), so one password sprayed over many accounts is stopped too.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class AddressAwareHandler(AxesDatabaseHandler):
    """Axes' database handler that also locks an address after too many failures overall."""

    def address_failures(self, request: HttpRequest) -> int:
        """Failures from this request's address within the cool-off window, for any username."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if self.address_failures(request) >= settings.AXES_IP_FAILURE_LIMIT:
            # Reported as at the limit, so axes' own checks (before a sign-in is tried, and
            # after a failure) lock every username from this address.
            return max(failures, get_failure_limit(request, credentials))
        return failures
