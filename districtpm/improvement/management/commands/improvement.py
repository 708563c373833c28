"""`districtpm improvement remind [--today YYYY-MM-DD]`: email each designated school's
principal once before each step falls due (run it daily, as `cycles remind` is)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from districtpm.core.scoping import SYSTEM
from districtpm.improvement.actions import send_step_reminders


class Command(BaseCommand):
    help = "Designations' steps: reminders to principals."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        remind = sub.add_parser("remind", help="Send the reminders due today.")
        remind.add_argument("--today", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, verb: str, today: dt.date | None = None, **_: Any) -> None:
        sent = send_step_reminders(today, acting_user=SYSTEM)
        self.stdout.write(f"{len(sent)} reminder{'s' * (len(sent) != 1)} sent.")
