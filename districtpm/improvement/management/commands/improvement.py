"""`districtpm improvement remind [--today YYYY-MM-DD]`: email each designated school's
principal once before each step falls due (run it daily, as `cycles remind` is).
`districtpm improvement import-designations FILE.csv`: designations from a state's file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.core.scoping import SYSTEM
from districtpm.improvement.actions import send_step_reminders


class Command(BaseCommand):
    help = "Designations' steps: reminders to principals."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        remind = sub.add_parser("remind", help="Send the reminders due today.")
        remind.add_argument("--today", type=dt.date.fromisoformat, default=None)
        imp = sub.add_parser("import-designations", help="Designations from a CSV file.")
        imp.add_argument("file", type=Path)

    def handle(self, *args: Any, verb: str, today: dt.date | None = None, **opts: Any) -> None:
        if verb == "import-designations":
            from districtpm.core.intake import ImportFailed, InputRefused
            from districtpm.improvement.importing import import_designations

            file = opts["file"]
            try:
                done = import_designations(
                    file.read_bytes(), name=file.name, acting_user=SYSTEM, source="system"
                )
            except FileNotFoundError:
                raise CommandError(f"There is no file {file}.") from None
            except InputRefused as exc:
                raise CommandError(str(exc)) from None
            except ImportFailed as exc:
                for error in exc.outcome.errors:
                    self.stderr.write(str(error))
                raise CommandError(str(exc)) from None
            self.stdout.write(done.summary())
            return
        sent = send_step_reminders(today, acting_user=SYSTEM)
        self.stdout.write(f"{len(sent)} reminder{'s' * (len(sent) != 1)} sent.")
