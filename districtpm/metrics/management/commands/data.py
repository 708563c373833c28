"""`districtpm data …`: the analytics store and the metric engine from the terminal.

districtpm data import FILE --mapping MAPPING.yaml [--no-recompute]
districtpm data compute [--table T ...] [--year YYYY-YYYY ...]
districtpm data validate [FOLDER]
districtpm data schema
districtpm data status
districtpm data rollup-check [--source S] [--metric M ...] [--tolerance POINTS]
districtpm data recover [--stale-after SECONDS]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from districtpm.analytics import schema, store
from districtpm.analytics.importer import ImportFailed, MappingError, import_file
from districtpm.analytics.published import rollup_check
from districtpm.core.intake import InputRefused
from districtpm.metrics import engine
from districtpm.metrics.compute import recompute
from districtpm.metrics.definitions import DefinitionError, definitions_dir, load_all


class Command(BaseCommand):
    help = "Import data into the analytics store and compute metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="Import a CSV, XLSX or Parquet file through a mapping.")
        imp.add_argument("file")
        imp.add_argument("--mapping", required=True)
        imp.add_argument("--no-recompute", action="store_true")
        ros = sub.add_parser(
            "oneroster",
            help="Import students, enrollments and results "
            "from a OneRoster 1.1 CSV bundle (folder or zip).",
        )
        ros.add_argument("bundle")
        ros.add_argument(
            "--rules", required=True, help="YAML saying which line items are which assessments."
        )
        ros.add_argument("--no-recompute", action="store_true")
        comp = sub.add_parser("compute", help="Recompute metric values.")
        comp.add_argument("--table", action="append", default=[])
        comp.add_argument("--year", action="append", default=[])
        val = sub.add_parser("validate", help="Check the metric definitions.")
        val.add_argument("folder", nargs="?")
        sub.add_parser("schema", help="Print the canonical schema as Markdown.")
        sub.add_parser("status", help="Rows per table in the store.")
        roll = sub.add_parser(
            "rollup-check", help="Compare rolled-up grade rows with published totals."
        )
        roll.add_argument("--source")
        roll.add_argument(
            "--metric",
            action="append",
            default=[],
            help="A metric over a published source: compare its school figures rolled up from "
            "grade rows, as the engine computes them, with the file's all-grades figures.",
        )
        roll.add_argument(
            "--tolerance",
            type=float,
            default=0.1,
            help="How far apart the two may be to agree, in the metric's unit "
            "(percentage points for a percent; default 0.1).",
        )
        rec = sub.add_parser(
            "recover", help="End import tasks a stopped server left running, finishing their work."
        )
        rec.add_argument(
            "--stale-after",
            type=float,
            default=None,
            help="Seconds without a heartbeat after which a task on another host counts as dead.",
        )

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        getattr(self, f"do_{verb.replace('-', '_')}")(**options)

    def do_import(self, file: str, mapping: str, no_recompute: bool, **_: Any) -> None:
        path = Path(file)
        if not path.exists():
            raise CommandError(f"{file}: no such file")
        bar = tqdm(total=1, unit="row", desc=f"Importing {path.name}", file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = import_file(path, mapping, progress=progress)
        except (MappingError, InputRefused) as exc:
            bar.close()
            raise CommandError(f"{exc} Nothing was imported.") from exc
        except OSError as exc:  # unreadable file: say so without a traceback or server path
            bar.close()
            raise CommandError(f"{path.name} cannot be read ({exc.strerror}).") from exc
        except ImportFailed as failure:
            bar.close()
            for error in failure.result.errors:
                self.stderr.write(str(error))
            self.stderr.write(failure.result.summary() + " The store is unchanged.")
            sys.exit(1)
        bar.close()
        self.stdout.write(result.summary())
        if not no_recompute:
            years = set().union(*result.school_years.values())
            self._compute(set(result.rows), years)

    def do_oneroster(self, bundle: str, rules: str, no_recompute: bool, **_: Any) -> None:
        from districtpm.analytics.oneroster import import_bundle

        if not Path(bundle).exists():
            raise CommandError(f"{bundle}: no such folder or file")
        try:
            result = import_bundle(Path(bundle), rules)
        except (MappingError, InputRefused) as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        except (OSError, yaml.YAMLError) as exc:  # the rules file missing or not YAML
            raise CommandError(f"The rules file cannot be read: {exc}") from exc
        except ImportFailed as failure:
            for error in failure.result.errors:
                self.stderr.write(str(error))
            self.stderr.write(failure.result.summary() + " The store is unchanged.")
            sys.exit(1)
        self.stdout.write(result.summary())
        if not no_recompute:
            self._compute(set(result.rows), set().union(*result.school_years.values()))

    def do_recover(self, stale_after: float | None, **_: Any) -> None:
        from districtpm.metrics.tasks import recover_interrupted

        recovered = recover_interrupted(stale_seconds=stale_after)
        for task in recovered:
            self.stdout.write(f"Import {task.pk} ({task.file_name}): {task.summary}")
        self.stdout.write(f"{len(recovered)} interrupted import task(s) recovered.")

    def do_compute(self, table: list[str], year: list[str], **_: Any) -> None:
        self._compute(set(table) or None, set(year) or None)

    def _compute(self, tables: set[str] | None, years: set[str] | None) -> None:
        try:
            definitions = load_all()
        except DefinitionError as exc:
            raise CommandError(str(exc)) from exc
        bar = tqdm(total=len(definitions), unit="metric", desc="Computing", file=sys.stderr)

        def progress(metric: str, index: int, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(metric)
            bar.update(1)

        run = recompute(tables=tables, years=years, progress=progress)
        bar.close()
        self.stdout.write(
            f"{run.scope}: {run.rows} values stored in {run.seconds:.1f} s (run {run.pk})."
        )

    def do_validate(self, folder: str | None, **_: Any) -> None:
        try:
            found = load_all(Path(folder) if folder else definitions_dir())
        except DefinitionError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            sys.exit(1)
        self.stdout.write(f"{len(found)} metric definitions are valid.")

    def do_schema(self, **_: Any) -> None:
        self.stdout.write(schema.markdown())

    def do_status(self, **_: Any) -> None:
        with store.connect() as con:
            for name, count in store.table_counts(con).items():
                self.stdout.write(f"{name:<20} {count:>12,}")

    def do_rollup_check(
        self, source: str | None, metric: list[str], tolerance: float, **_: Any
    ) -> None:
        if metric:
            self._metric_rollup_check(metric, tolerance)
            return
        with store.connect() as con:
            frame = rollup_check(con, source)
        for (src, measure), part in frame.groupby(["source", "measure"]):
            comparable = part[part["comparable"]]
            equal = (comparable["rolled_numerator"] == comparable["published_numerator"]).sum()
            self.stdout.write(
                f"{src} {measure}: {len(part)} school totals, {len(comparable)} comparable, "
                f"{equal} equal when rolled up from grades, "
                f"{len(part) - len(comparable)} with incomplete or suppressed grade rows"
            )

    def _metric_rollup_check(self, metric_ids: list[str], tolerance: float) -> None:
        """The same comparison through the product's engine and a shipped definition."""
        try:
            definitions = load_all()
        except DefinitionError as exc:
            raise CommandError(str(exc)) from exc
        con = store.ibis_connection()
        try:
            for metric_id in metric_ids:
                d = definitions.get(metric_id)
                if d is None or not d.published:
                    raise CommandError(f"{metric_id} is not a metric over a published source.")
                frame = engine.school_total_check(con, d)
                scale = 100 if d.unit == "percent" else 1
                both = frame.dropna(subset=["value_grades", "value_published"])
                gap = (both["value_grades"] - both["value_published"]).abs() * scale
                within = int((gap <= tolerance + 1e-9).sum())
                unknown = int((frame["value_grades"].isna() & frame["n_grades"].notna()).sum())
                share = within / len(both) if len(both) else 0.0
                self.stdout.write(
                    f"{metric_id}: {len(both)} school-years with both figures, {within} "
                    f"({share:.1%}) within {tolerance:g} of the published all-grades figure; "
                    f"{unknown} unknown when rolled up (a grade suppressed or missing its count)"
                )
        finally:
            con.disconnect()
