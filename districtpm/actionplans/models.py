"""Action teams, one per priority, with their yearly action plans and monthly status updates."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from districtpm.core.models import WorkItem
from districtpm.core.scoping import ScopedQuerySet

RATINGS = [("on_track", "On track"), ("at_risk", "At risk"), ("off_track", "Off track")]


class ActionTeam(models.Model):
    """The team that drives one priority of the plan. Its lead and members (with an action team
    role) reach its work; its name is only a name, so renaming it changes nobody's access."""

    priority = models.ForeignKey("plans.Priority", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="action_teams",
        help_text="Who works on the team; with an action team role, they reach its work.",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["priority__order", "name"]

    def __str__(self) -> str:
        return self.name


class ActionPlan(models.Model):
    """A team's plan for one school year; open work carries into the next year's plan."""

    team = models.ForeignKey(ActionTeam, on_delete=models.CASCADE, related_name="plans")
    school_year = models.CharField(max_length=9)
    objective = models.TextField(blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluation = models.TextField(blank=True, help_text="The year-end evaluation of progress.")
    evaluated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year", "team__priority__order"]
        constraints = [
            models.UniqueConstraint(fields=["team", "school_year"], name="one_plan_per_team_year")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.school_year}"


class PlanAction(WorkItem):
    """An action or milestone of an action plan, with its owner, date and resources."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="actions")
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateField(
        null=True, blank=True, help_text="When the work starts; the timeline draws it from here."
    )
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="0 to 100."
    )
    initiative = models.ForeignKey(
        "plans.Initiative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_actions",
        help_text="The initiative of the plan this action carries out.",
    )
    goal = models.ForeignKey(
        "plans.Goal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_actions",
        help_text="The goal it should move.",
    )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.start_date and self.due_date and self.start_date > self.due_date:
            raise ValidationError({"start_date": "The start comes on or before the due date."})
        if self.plan_id:
            priority = self.plan.team.priority_id
            if self.initiative and self.initiative.priority_id != priority:
                raise ValidationError(
                    {"initiative": "Choose an initiative of the team's priority."}
                )
            if self.goal and self.goal.priority_id != priority:
                raise ValidationError({"goal": "Choose a goal of the team's priority."})


class StatusUpdate(models.Model):
    """A team's monthly update on timeline, scope and resources, with a narrative."""

    team = models.ForeignKey(ActionTeam, on_delete=models.CASCADE, related_name="updates")
    month = models.DateField(help_text="The first day of the month the update is for.")
    timeline = models.CharField(max_length=10, choices=RATINGS)
    scope = models.CharField(max_length=10, choices=RATINGS)
    resources = models.CharField(max_length=10, choices=RATINGS)
    narrative = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "team__priority__order"]
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="one_update_per_team_month")
        ]

    def __str__(self) -> str:
        return f"{self.team}, {self.month:%B %Y}"

    @property
    def worst(self) -> str:
        order = [code for code, _ in RATINGS]
        return max((self.timeline, self.scope, self.resources), key=order.index)
