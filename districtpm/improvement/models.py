"""What the improvement app stores: the steps each kind of designation requires in a
school year (set by the district), and each designated school's progress on them.

A school's steps are not copied: they are the year's rules for its designation's kind, so a
rule changed or added reaches every designated school at once. What is stored per school is
what happened: a step completed (by whom, when, with a note) and a reminder sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from districtpm.actionplans.models import RATINGS
from districtpm.core.models import WorkItem
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


# ---------------------------------------------------------------------------------------------
# A designated school's action plan: areas of focus, initiatives, steps, measures, checkpoints.
# Steps are work items, like the action teams' actions and the plan's key actions; checkpoints
# are rated on the action teams' scale.


class SchoolPlan(models.Model):
    """A school's improvement plan for one school year."""

    school = models.ForeignKey("org.School", on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    theory_of_action = models.TextField(
        blank=True,
        max_length=2000,
        help_text="If we do these things, then this will happen for students.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year__start_date", "school__name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year"], name="one_school_plan")
        ]

    def __str__(self) -> str:
        return f"{self.school} improvement plan {self.school_year}"


class FocusArea(models.Model):
    """One area the plan focuses on, usually answering one of the school's problem statements."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField(max_length=200)
    problem = models.ForeignKey(
        ProblemStatement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class SchoolInitiative(models.Model):
    """What the school will do in an area of focus; its name_es is shown on the Spanish
    Blueprint (the English name when it is blank)."""

    area = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="initiatives")
    name = models.CharField(max_length=200)
    name_es = models.CharField("Name in Spanish", max_length=200, blank=True)
    description = models.TextField(blank=True, max_length=2000)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["area", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class SchoolPlanStep(WorkItem):
    """One step of an initiative, with its owner, dates and resources."""

    initiative = models.ForeignKey(SchoolInitiative, on_delete=models.CASCADE, related_name="steps")
    starts_on = models.DateField(null=True, blank=True)

    class Meta(WorkItem.Meta):
        pass


class InitiativeMeasure(models.Model):
    """A leading or lagging measure of an initiative: a metric of the engine for a student group
    at the school, with the value the school aims for."""

    class Kind(models.TextChoices):
        LEADING = "leading", "Leading"
        LAGGING = "lagging", "Lagging"

    initiative = models.ForeignKey(
        SchoolInitiative, on_delete=models.CASCADE, related_name="measures"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    metric = models.ForeignKey("metrics.Metric", on_delete=models.PROTECT, related_name="+")
    group_dim = models.CharField(max_length=20, default="all")
    group_value = models.CharField(max_length=40, default="all")
    target = models.FloatField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["initiative", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.metric_id}"


class Checkpoint(models.Model):
    """A date on which the plan is reviewed: who reviews it, what they look at, and once held,
    its status (the action teams' scale) and the evidence."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="checkpoints")
    on = models.DateField()
    reviewers = models.CharField(max_length=300)
    looks_at = models.CharField("What is looked at", max_length=500)
    status = models.CharField(max_length=10, choices=RATINGS, blank=True)
    evidence = models.TextField(blank=True, max_length=3000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "on", "pk"]

    def __str__(self) -> str:
        return f"Checkpoint {self.on:%d %b %Y}"


class PlanComment(models.Model):
    """A comment on a school's plan, from its supervisor, a district leader or its team."""

    plan = models.ForeignKey(SchoolPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    written_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "written_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


# ---------------------------------------------------------------------------------------------
# The School Blueprint: the plan's one-page overview for families, published by the principal.


class Blueprint(models.Model):
    """What the Blueprint says beyond the plan: its goals, in English and Spanish. The theory of
    action and initiatives come from the plan; the measures are its own four."""

    plan = models.OneToOneField(SchoolPlan, on_delete=models.CASCADE, related_name="blueprint")
    goals = models.TextField(max_length=1500, blank=True)
    goals_es = models.TextField("Goals in Spanish", max_length=1500, blank=True)
    theory_of_action_es = models.TextField(
        "Theory of action in Spanish", max_length=2000, blank=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the public page shows: the Blueprint's words as the principal published them
    # (blueprint.words); the current values are read when the page is drawn.
    published_content = models.JSONField(default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Blueprint: {self.plan}"


class BlueprintMeasure(models.Model):
    """One of the Blueprint's leading measures: learning in reading, learning in mathematics,
    thriving, belonging. The current value is read at the time the page is drawn."""

    class Area(models.TextChoices):
        READING = "reading", "Learning: reading"
        MATH = "math", "Learning: mathematics"
        THRIVING = "thriving", "Thriving"
        BELONGING = "belonging", "Belonging"

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="measures")
    area = models.CharField(max_length=10, choices=Area.choices)
    metric = models.ForeignKey("metrics.Metric", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=200, help_text="How families read the measure.")
    label_es = models.CharField("Label in Spanish", max_length=200, blank=True)
    target = models.FloatField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["blueprint", "area"]
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "area"], name="one_measure_per_area")
        ]

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------------------------------------
# Problem-solving workshops: sessions, one registration per school, a waiting list.


class Workshop(models.Model):
    """One session of the problem-solving workshop. Seats are school teams. Until priority_until
    only designated schools take seats."""

    class Level(models.TextChoices):
        ELEMENTARY = "elementary", "Elementary"
        SECONDARY = "secondary", "Secondary"

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=Level.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=300)
    seats = models.PositiveSmallIntegerField(help_text="How many school teams it takes.")
    priority_until = models.DateTimeField(
        null=True, blank=True, help_text="Until then, only designated schools take seats."
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gt=0), name="workshop_has_seats"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="workshop_ends_later"
            ),
        ]

    def __str__(self) -> str:
        from django.utils import timezone

        return f"{self.title}, {timezone.localtime(self.starts_at):%d %b %Y}"


class Registration(models.Model):
    """A school's registration for a session: seated or waiting (in the order registered),
    until cancelled. One per school and session."""

    class Status(models.TextChoices):
        SEATED = "seated", "Seat taken"
        WAITING = "waiting", "Waiting list"
        CANCELLED = "cancelled", "Cancelled"

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    school = models.ForeignKey("org.School", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices)
    headcount = models.PositiveSmallIntegerField(help_text="Team members coming (food, pay).")
    members = models.TextField(max_length=2000, blank=True, help_text="Names, one per line.")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    seated_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["workshop", "registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "school"],
                condition=~models.Q(status="cancelled"),
                name="one_registration_per_school",
            ),
            models.CheckConstraint(condition=models.Q(headcount__gt=0), name="someone_comes"),
        ]

    def __str__(self) -> str:
        return f"{self.school} at {self.workshop}"


class NoteCatcher(models.Model):
    """A note catcher a school's team filled in to prepare for its workshop."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="note_catchers"
    )
    file = models.FileField(upload_to="note-catchers/%Y/")
    name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["registration", "uploaded_at"]

    def __str__(self) -> str:
        return self.name
