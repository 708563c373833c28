"""The strategic plan: plan → priorities → goals with targets, initiatives → key actions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from districtpm.core.models import WorkItem
from districtpm.core.scoping import ScopedQuerySet


class Plan(models.Model):
    """The district's strategic plan over a span of school years."""

    name = models.CharField(max_length=200)
    first_year = models.CharField(max_length=9, help_text="For example 2024-2025.")
    last_year = models.CharField(max_length=9)
    vision = models.TextField(blank=True)
    theory_of_action = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-first_year"]

    def __str__(self) -> str:
        return self.name


class Priority(models.Model):
    """An instructional priority or focal area of the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="priorities")
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "priorities"

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    """A result the plan commits to: a lagging metric for an entity and group, from a baseline
    to yearly targets up to the goal year."""

    class Level(models.TextChoices):
        DISTRICT = "district", "District"
        NETWORK = "network", "Network"
        SCHOOL = "school", "School"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    priority = models.ForeignKey(
        Priority, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    statement = models.CharField(max_length=300)
    metric = models.ForeignKey("metrics.Metric", on_delete=models.PROTECT, related_name="goals")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.DISTRICT)
    entity_code = models.CharField(max_length=30, default="district")
    group_dim = models.CharField(max_length=20, default="all")
    group_value = models.CharField(max_length=40, default="all")
    baseline_year = models.CharField(max_length=9)
    baseline_value = models.FloatField()
    goal_year = models.CharField(max_length=9)
    tolerance = models.FloatField(
        default=0.02, help_text="How far short of the trajectory still counts as at risk."
    )
    reported_status = models.CharField(
        max_length=20,
        blank=True,
        help_text="What the owner reports; computed status wins when data are missing.",
    )
    leading_metrics = models.ManyToManyField("metrics.Metric", blank=True, related_name="led_goals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["priority__order", "statement"]

    def __str__(self) -> str:
        return self.statement

    def clean(self) -> None:
        if self.goal_year and self.baseline_year and self.goal_year <= self.baseline_year:
            raise ValidationError({"goal_year": "The goal year must come after the baseline year."})

    @property
    def group_label(self) -> str:
        """The student group in words: "English learners", "Students with disabilities: no",
        "Hispanic"; empty for all students."""
        from districtpm.analytics.schema import GROUP_DIMENSIONS

        if self.group_dim == "all":
            return ""
        name = GROUP_DIMENSIONS.get(self.group_dim, self.group_dim)
        if self.group_value == "yes":
            return name
        if self.group_value == "no":
            return f"{name}: no"
        return self.group_value

    @property
    def targets_by_year(self) -> dict[str, float]:
        return {t.school_year: t.value for t in self.targets.all()}


class Target(models.Model):
    """The value a goal should reach in one school year."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="targets")
    school_year = models.CharField(max_length=9)
    value = models.FloatField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school_year"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "school_year"], name="one_target_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.value} in {self.school_year}"


class GoalStatusRecord(models.Model):
    """The computed status of a goal for one period, kept as history."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="status_history")
    period = models.CharField(max_length=30)
    status = models.CharField(max_length=20)
    actual = models.FloatField(null=True)
    target = models.FloatField(null=True)
    computed_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "period"], name="one_status_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.status} in {self.period}"

    @property
    def label(self) -> str:
        from districtpm.plans.status import LABELS

        return LABELS.get(self.status, self.status)


class Initiative(models.Model):
    """A body of work under a priority, with the leading measures that should move first."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="initiatives")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leading_metrics = models.ManyToManyField(
        "metrics.Metric", blank=True, related_name="initiatives"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KeyAction(WorkItem):
    """A key action or milestone of an initiative, with its owner and date."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="actions")


class ForecastRelation(models.Model):
    """This year's forecast model for one metric and interim window: the year-end result against
    the window's result, learned across schools from a set of school years (forecast.learn).

    Stored when metric values are recomputed, so a page reads it instead of refitting it on
    every request. A fit that could not be made (too few school-years) is stored too, with n = 0
    and no coefficients, so it is not tried again on every request either."""

    metric = models.ForeignKey("metrics.Metric", on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=20)
    years = models.TextField(help_text="The school years learned from, comma-separated, in order.")
    slope = models.FloatField(null=True)
    intercept = models.FloatField(null=True)
    sigma = models.FloatField(null=True)
    n = models.PositiveIntegerField(default=0)
    learned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "window", "years"], name="one_relation_per_window_and_years"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} from {self.window} ({self.n} school-years)"


class CacheGeneration(models.Model):
    """A token that changes whenever what a cached page shows may have changed (new metric
    values, a change to the plan). It lives in the database so that every server process sees
    a change made by any other; a random token, not a counter, so that a rolled-back change can
    never bring back a token whose cached pages were made inside it."""

    name = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.token}"


class Commentary(models.Model):
    """The story behind a goal's number for one month: what happened, why, and what comes next,
    written by the goal's owner (or the plan's keepers) and approved by the performance
    management office before the Board reads it."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Waiting for approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned for changes"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="commentaries")
    month = models.DateField(help_text="The first day of the month it speaks for.")
    what_happened = models.TextField("What happened")
    why = models.TextField("Why", blank=True)
    what_next = models.TextField("What comes next", blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "month"], name="one_commentary_per_goal_month")
        ]

    def __str__(self) -> str:
        return f"{self.goal} — {self.month:%B %Y}"
