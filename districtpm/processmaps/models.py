"""A process map: an initiative's process (or one that stands alone) in versions — as it is,
as it is to be, and revisions after — each a set of steps in lanes (the division that owns
the step) joined by flows. A version once published is what the board reads; every version
keeps its own steps, so comparing two is comparing their rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from districtpm.core.scoping import ScopedQuerySet


class ProcessMap(models.Model):
    """A process, by name, of an initiative or of its own."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=4000)
    initiative = models.ForeignKey(
        "plans.Initiative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="process_maps",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Version(models.Model):
    """One drawing of the process: as it is, as it is to be, or a later revision."""

    class Kind(models.TextChoices):
        AS_IS = "as_is", "As is"
        TO_BE = "to_be", "To be"
        REVISION = "revision", "Revision"

    process_map = models.ForeignKey(ProcessMap, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.AS_IS)
    label = models.CharField(max_length=200, blank=True)
    published = models.BooleanField(
        default=False, help_text="A published version is what the board reads."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["process_map", "number"]
        constraints = [
            models.UniqueConstraint(fields=["process_map", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.process_map}: {self.title}"

    @property
    def title(self) -> str:
        return self.label or f"{self.get_kind_display()} (version {self.number})"


class Step(models.Model):
    """A step of a version, in the lane of the division that owns it (none: no owner yet)."""

    class Kind(models.TextChoices):
        START = "start", "Start"
        TASK = "task", "Task"
        DECISION = "decision", "Decision"
        HANDOFF = "handoff", "Hand-off to an outside party"
        END = "end", "End"

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(
        max_length=20, help_text="The step's short id, kept from version to version."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TASK)
    name = models.CharField(max_length=200)
    lane = models.ForeignKey(
        "org.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.ForeignKey(
        "org.Position", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    days = models.DecimalField(
        max_digits=6, decimal_places=1, default=0, help_text="Expected duration, in days."
    )
    produces = models.CharField(
        max_length=200, blank=True, help_text="The data or document the step produces."
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="one_step_key"),
            models.CheckConstraint(condition=models.Q(days__gte=0), name="step_days"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"


class Flow(models.Model):
    """From one step to the next; a decision's flows carry its outcomes as labels."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="flows")
    source = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="incoming")
    label = models.CharField(max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "source__order", "target__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="one_flow"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="flow_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.key} → {self.target.key}"
