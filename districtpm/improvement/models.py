"""What the improvement app stores so far: the steps each kind of designation requires in a
school year (set by the district), and each designated school's progress on them.

A school's steps are not copied: they are the year's rules for its designation's kind, so a
rule changed or added reaches every designated school at once. What is stored per school is
what happened: a step completed (by whom, when, with a note) and a reminder sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from districtpm.core.scoping import ScopedQuerySet
from districtpm.org.models import Designation, SchoolYear


class StepRule(models.Model):
    """One step a kind of designation requires in a school year, with its due date."""

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Designation.Kind.choices)
    name = models.CharField(max_length=200)
    due_on = models.DateField()
    remind_days = models.PositiveSmallIntegerField(
        default=14, help_text="How many days before the due date the principal is reminded."
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school_year", "kind", "due_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school_year", "kind", "name"], name="one_step_rule")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, due {self.due_on:%d %b %Y})"

    def reminds_on(self) -> dt.date:
        return self.due_on - dt.timedelta(days=self.remind_days)


class StepDone(models.Model):
    """A designated school's completion of one step."""

    designation = models.ForeignKey(
        Designation, on_delete=models.CASCADE, related_name="steps_done"
    )
    rule = models.ForeignKey(StepRule, on_delete=models.CASCADE, related_name="done")
    done_on = models.DateField()
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["designation", "rule"], name="one_completion")
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} done on {self.done_on:%d %b %Y}"


class StepReminder(models.Model):
    """The one reminder a designated school's principal gets before a step is due."""

    designation = models.ForeignKey(Designation, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(StepRule, on_delete=models.CASCADE, related_name="reminders")
    sent_to = models.CharField(max_length=500)
    sent_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["designation", "rule"], name="one_step_reminder")
        ]

    def __str__(self) -> str:
        return f"Reminder: {self.rule.name}"


class ProblemStatement(models.Model):
    """The difference between where a student group is and where the school wants it, written
    from the metrics engine's values; it keeps the figures it was written from."""

    school = models.ForeignKey(
        "org.School", on_delete=models.CASCADE, related_name="problem_statements"
    )
    metric = models.ForeignKey("metrics.Metric", on_delete=models.PROTECT, related_name="+")
    school_year = models.CharField(max_length=9)
    period = models.CharField(max_length=30)
    group_dim = models.CharField(max_length=20)
    group_value = models.CharField(max_length=40)
    current_value = models.FloatField()
    current_n = models.IntegerField()
    school_value = models.FloatField(null=True)  # all students at the school
    district_value = models.FloatField(null=True)  # the group in the district
    trend = models.JSONField(default=list)  # [[school year, value or null], ...], oldest first
    desired_value = models.FloatField()
    desired_from_goal = models.BooleanField(default=False)
    text = models.TextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-written_at"]

    def __str__(self) -> str:
        return f"{self.school}: {self.metric_id} for {self.group_dim} {self.group_value}"


class RootCause(models.Model):
    """A hypothesis of what causes a problem, verified or rejected with evidence: an indicator
    of the school's self-assessment (its final rating), a metric, a note."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "To verify"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    problem = models.ForeignKey(ProblemStatement, on_delete=models.CASCADE, related_name="causes")
    hypothesis = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    indicator_rating = models.ForeignKey(
        "rubrics.FinalRating", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the self-assessment said when the cause was decided, kept as written.
    indicator_note = models.CharField(max_length=400, blank=True)
    metric = models.ForeignKey(
        "metrics.Metric", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["problem", "pk"]

    def __str__(self) -> str:
        return self.hypothesis[:80]


class HighLeverageAction(models.Model):
    """One of the two to four high-leverage actions a school's team chooses from its
    self-assessment before the problem-solving workshop."""

    school = models.ForeignKey("org.School", on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    indicator_rating = models.ForeignKey(
        "rubrics.FinalRating", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
