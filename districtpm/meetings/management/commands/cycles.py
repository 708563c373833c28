"""`districtpm cycles`: meeting cycles from the command line.

districtpm cycles plan --preset performance-dialogues --school-year 2026-2027
districtpm cycles ics --school-year 2026-2027 > year.ics
districtpm cycles remind [--today 2026-12-01] [--days-before 3]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.core.scoping import SYSTEM
from districtpm.meetings import ics, schedule
from districtpm.meetings.models import Meeting
from districtpm.meetings.presets import PRESETS


class Command(BaseCommand):
    help = "Plan a year of meetings, write it as iCalendar, send status-update reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        plan = sub.add_parser("plan", help="Create or update the year's meetings from a preset.")
        plan.add_argument("--preset", choices=sorted(PRESETS), required=True)
        plan.add_argument("--school-year", required=True)
        cal = sub.add_parser("ics", help="Write the year's meetings as iCalendar to stdout.")
        cal.add_argument("--school-year", required=True)
        cal.add_argument("--preset", choices=sorted(PRESETS), default=None)
        remind = sub.add_parser(
            "remind", help="Email team leads whose monthly update is missing before Explore."
        )
        remind.add_argument("--today", type=dt.date.fromisoformat, default=None)
        remind.add_argument("--days-before", type=int, default=3)

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        if verb == "plan":
            try:
                cycle, counts = schedule.plan_year(
                    options["school_year"], options["preset"], acting_user=SYSTEM, source="command"
                )
            except schedule.PlanningError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{cycle}: {counts['created']} created, {counts['changed']} changed, "
                f"{counts['unchanged']} unchanged, {counts['removed']} removed."
            )
            for m in cycle.meetings.select_related("rule", "priority"):
                moved = f"  ({m.moved_reason})" if m.moved_reason else ""
                self.stdout.write(f"  {m.date:%a %Y-%m-%d} {m.title}{moved}")
        elif verb == "ics":
            meetings = Meeting.objects.filter(
                cycle__school_year__name=options["school_year"]
            ).select_related("rule", "priority")
            if options["preset"]:
                meetings = meetings.filter(cycle__preset=options["preset"])
            if not meetings.exists():
                raise CommandError(
                    f"No meetings in {options['school_year']}: run `districtpm cycles plan` first."
                )
            text = ics.calendar(meetings, f"District PM {options['school_year']}").decode()
            self.stdout.write(text, ending="")
        else:
            from districtpm.meetings.reminders import send_reminders

            sent = send_reminders(options["today"], options["days_before"], acting_user=SYSTEM)
            for r in sent:
                self.stdout.write(f"Reminded {r.sent_to} ({r.team}, {r.month:%B %Y}).")
            self.stdout.write(f"{len(sent)} reminder(s) sent.")
