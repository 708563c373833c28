"""`districtpm org import schools|staff|oneroster PATH`: import the organisation from files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.core import intake
from districtpm.core.scoping import SYSTEM
from districtpm.org import importing


class Command(BaseCommand):
    help = "Import schools and staff from CSV files or a OneRoster 1.1 CSV bundle."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser(
            "import", help="Import a file; nothing changes unless all rows are valid."
        )
        imp.add_argument("kind", choices=["schools", "staff", "oneroster"])
        imp.add_argument("path", help="A CSV file, or for oneroster a folder or .zip bundle.")

    def handle(self, *args: Any, verb: str, kind: str, path: str, **options: Any) -> None:
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path}: no such file or folder")
        if kind != "oneroster" and not source.is_file():
            raise CommandError(f"{path}: not a file; give the path of a CSV file")
        try:
            if kind == "oneroster":
                report = importing.import_oneroster(source, acting_user=SYSTEM, source="cli")
            else:
                importer = (
                    importing.import_schools_csv
                    if kind == "schools"
                    else importing.import_staff_csv
                )
                intake.check_size(source.stat().st_size, name=source.name)
                with source.open("rb") as stream:
                    report = importer(stream, acting_user=SYSTEM, name=source.name, source="cli")
        except importing.InputRefused as refused:
            # The file as a whole cannot be read: one clear message, no traceback.
            raise CommandError(f"Nothing was imported. {refused}") from None
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except importing.ImportFailed as failure:
            for error in failure.report.errors:
                self.stderr.write(str(error))
            self.stderr.write(failure.report.summary())
            sys.exit(1)
        self.stdout.write(report.summary())
