"""Metric definitions as the app knows them, their computed values, and each run's lineage.

Only results live here — never a student row. Suppressed cells are stored without their value,
numerator, denominator or n, so nothing below the minimum can leave through any page or export.
"""

from __future__ import annotations

from django.db import models

from districtpm.core.scoping import ScopedQuerySet


class Metric(models.Model):
    """A metric definition loaded from the district's YAML folder."""

    id = models.CharField(max_length=63, primary_key=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=63, blank=True)
    measure = models.CharField(max_length=20, blank=True)
    period = models.CharField(max_length=20)
    direction = models.CharField(max_length=10)
    kind = models.CharField(max_length=10)
    unit = models.CharField(max_length=20)
    format = models.CharField(max_length=20)
    min_n = models.PositiveIntegerField()
    levels = models.JSONField(default=list)
    groups = models.JSONField(default=list)
    is_gap = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    digest = models.CharField(max_length=64)
    definition = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def format_value(self, value: float | None) -> str:
        if value is None or value != value:  # NaN
            return "—"
        if self.format == "percent":
            return f"{value * 100:.0f}%"
        if self.format == "percent1":
            return f"{value * 100:.1f}%"
        if self.format == "number":
            return f"{value:,.0f}"
        if self.format == "decimal2":
            return f"{value:,.2f}"
        return f"{value:,.1f}"


class ComputeRun(models.Model):
    """One computation of metric values, with what it was computed from."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=200, default="all metrics")
    definitions = models.JSONField(default=dict, help_text="Metric id → version and digest.")
    sources = models.JSONField(default=list, help_text="Imported files and their hashes.")
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.scope})"


class SuppressedReason(models.TextChoices):
    SHOWN = "", "Shown"
    SMALL = "small", "Fewer students than the minimum"
    COMPLEMENT = "complement", "Hidden to protect another cell"


class MetricValue(models.Model):
    """One metric for one entity, period and student group, after suppression."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="values")
    level = models.CharField(max_length=10)
    entity_code = models.CharField(max_length=30)
    grade = models.CharField(max_length=3, blank=True)
    period = models.CharField(max_length=30)
    # The period's place in time (analytics.schema.period_order): every list sorts by it, so
    # windows run fall, winter, spring and months September to June, never alphabetically.
    period_order = models.IntegerField(default=0)
    school_year = models.CharField(max_length=9)
    group_dim = models.CharField(max_length=20)
    group_value = models.CharField(max_length=40)
    n = models.IntegerField(null=True)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    value = models.FloatField(null=True)
    suppressed = models.BooleanField(default=False)
    suppressed_reason = models.CharField(
        max_length=10, blank=True, choices=SuppressedReason.choices, default=""
    )
    run = models.ForeignKey(ComputeRun, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["metric", "level", "entity_code", "period"]),
            models.Index(fields=["metric", "school_year"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suppressed=False)
                | models.Q(
                    value__isnull=True,
                    n__isnull=True,
                    numerator__isnull=True,
                    denominator__isnull=True,
                ),
                name="suppressed_values_are_blank",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.level}:{self.entity_code} {self.period} {self.group_value}"


class DataImport(models.Model):
    """A file uploaded for import into the analytics store, run as a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        COMPUTING = "computing", "Recomputing metrics"
        DONE = "done", "Done"
        # The summary says what was changed, if anything (a recovered task may have imported).
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    mapping = models.CharField(max_length=255)
    file_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the uploaded file, once it is read."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # Who is running the task ("host:pid") and when it last said so: start-up recovery uses them
    # to tell a task whose process died from one another live process is still running.
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class SavedMapping(models.Model):
    """A mapping made in the import page (metrics/mapping_views.py): how a district's own file's
    columns become one table of the analytics store. Kept for the next file of the same kind;
    the shipped mappings live beside the product as YAML files."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    table = models.CharField(max_length=40)
    mapping = models.JSONField(help_text="The importer's mapping (analytics/importer.py).")
    created_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """Its name among the mappings an import task may use."""
        return f"saved-{self.slug}"
